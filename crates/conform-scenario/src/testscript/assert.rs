//! TestScript asserts → planned checks on the response of the operation
//! before them; an assert on something this runner cannot check becomes a
//! skipped check naming it.

use super::Compiler;
use crate::model::Severity;
use crate::plan::{
    CheckKind, HeaderExpect, Operator, PlannedCheck, PlannedStep, RequestPart, SelectTest, Selector,
};
use serde_json::Value;

/// TestScript R4 `setup.action.assert` elements (and R5's `stopTestOnFail`:
/// a failed assert stops its scenario here either way).
const ASSERT_KEYS: &[&str] = &[
    "id",
    "extension",
    "modifierExtension",
    "label",
    "description",
    "direction",
    "compareToSourceId",
    "compareToSourceExpression",
    "compareToSourcePath",
    "contentType",
    "expression",
    "headerField",
    "minimumId",
    "navigationLinks",
    "operator",
    "path",
    "requestMethod",
    "requestURL",
    "resource",
    "response",
    "responseCode",
    "sourceId",
    "validateProfileId",
    "value",
    "warningOnly",
    "stopTestOnFail",
];

fn response_code(word: &str) -> Option<u16> {
    Some(match word {
        "okay" => 200,
        "created" => 201,
        "noContent" => 204,
        "notModified" => 304,
        "bad" => 400,
        "forbidden" => 403,
        "notFound" => 404,
        "methodNotAllowed" => 405,
        "conflict" => 409,
        "gone" => 410,
        "preconditionFailed" => 412,
        "unprocessable" => 422,
        _ => return None,
    })
}

impl Compiler<'_> {
    pub(super) fn assert(&mut self, a: &Value, last: Option<&PlannedStep>) -> PlannedCheck {
        let label = a["label"]
            .as_str()
            .or(a["description"].as_str())
            .unwrap_or("assert");
        let mut check = PlannedCheck {
            id: crate::compile::slug(label),
            severity: if a["warningOnly"] == true {
                Severity::Should
            } else {
                Severity::Shall
            },
            requirements: Vec::new(),
            message: a["description"].as_str().map(str::to_string),
            kind: CheckKind::Unsupported(String::new()),
            source: None,
        };
        let mut problems: Vec<String> = a
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !ASSERT_KEYS.contains(&k.as_str()))
            .map(|(k, _)| format!("assert.{k}"))
            .collect();
        // The response checked: another operation's (by its responseId or
        // requestId) or a fixture; by default the operation just before.
        if let Some(src) = a["sourceId"].as_str() {
            let is_last = last.is_some_and(|l| l.keep_as.iter().any(|k| k == src));
            if !is_last {
                check.source = Some(src.to_string());
            }
        }
        let op = a["operator"].as_str();
        let operator = match op.map(|o| (o, Operator::parse(o))) {
            Some((_, Some(o))) => o,
            Some(("empty" | "notEmpty" | "eval", None)) | None => Operator::Equals,
            Some((other, None)) => {
                problems.push(format!("assert.operator '{other}'"));
                Operator::Equals
            }
        };
        let value = a["value"].as_str().map(str::to_string);
        // expression/path with operator and value → what the values must be.
        let test = |default: SelectTest| match (op, &value) {
            (Some("empty"), _) => SelectTest::Empty,
            (Some("notEmpty"), _) => SelectTest::NotEmpty,
            (Some("eval"), _) => SelectTest::True,
            (_, Some(v)) => SelectTest::Compare(operator, v.clone()),
            (_, None) => default,
        };
        let selector = a["expression"]
            .as_str()
            .map(|e| Selector::FhirPath(e.to_string()))
            .or_else(|| a["path"].as_str().map(|p| Selector::Path(p.to_string())));
        let source_selector = a["compareToSourceExpression"]
            .as_str()
            .map(|e| Selector::FhirPath(e.to_string()))
            .or_else(|| {
                a["compareToSourcePath"]
                    .as_str()
                    .map(|p| Selector::Path(p.to_string()))
            });
        if a["path"].is_string() || a["compareToSourcePath"].is_string() {
            self.out.needs_definitions = true;
        }
        check.kind = if let Some(r) = a["response"].as_str() {
            match response_code(r) {
                Some(c) => CheckKind::Status(vec![c]),
                None => unsupported_kind(&mut problems, format!("assert.response '{r}'")),
            }
        } else if let Some(rc) = a["responseCode"].as_str() {
            let codes: Vec<u16> = rc
                .split(',')
                .filter_map(|c| c.trim().parse().ok())
                .collect();
            match operator {
                Operator::Equals | Operator::In if !codes.is_empty() => CheckKind::Status(codes),
                _ => CheckKind::StatusIs(operator, rc.to_string()),
            }
        } else if let Some(r) = a["resource"].as_str() {
            CheckKind::ResourceType(r.to_string())
        } else if let Some(ct) = a["contentType"].as_str() {
            // The format: `xml` and `json` match any of their media types
            // (application/fhir+xml, application/xml+fhir, application/xml).
            let want = match ct {
                "xml" | "json" => ct.to_string(),
                other => other.to_string(),
            };
            let op = if op.is_some() {
                operator
            } else {
                Operator::Contains
            };
            CheckKind::Header {
                name: "Content-Type".into(),
                expect: HeaderExpect::Compare(op, want),
            }
        } else if let Some(h) = a["headerField"].as_str() {
            let expect = match (op, value) {
                (Some("empty"), _) => HeaderExpect::Absent,
                (Some("notEmpty"), _) | (None, None) => HeaderExpect::Present,
                (_, Some(v)) => HeaderExpect::Compare(operator, v),
                (_, None) => HeaderExpect::Present,
            };
            CheckKind::Header {
                name: h.to_string(),
                expect,
            }
        } else if let Some(src) = a["compareToSourceId"].as_str() {
            match source_selector {
                Some(theirs) => CheckKind::CompareToSource {
                    selector: selector.unwrap_or(theirs.clone()),
                    source: src.to_string(),
                    source_selector: theirs,
                    op: operator,
                },
                None => unsupported_kind(
                    &mut problems,
                    "compareToSourceId without compareToSourceExpression or compareToSourcePath"
                        .into(),
                ),
            }
        } else if let Some(Selector::FhirPath(e)) = &selector {
            CheckKind::Select {
                selector: Selector::FhirPath(e.clone()),
                test: test(SelectTest::True),
            }
        } else if let Some(Selector::Path(p)) = &selector {
            CheckKind::Select {
                selector: Selector::Path(p.clone()),
                test: test(SelectTest::Holds),
            }
        } else if let Some(m) = a["minimumId"].as_str() {
            if self.is_fixture(m) {
                CheckKind::Minimum(m.to_string())
            } else {
                unsupported_kind(&mut problems, format!("minimumId '{m}' is not a fixture"))
            }
        } else if let Some(nav) = a["navigationLinks"].as_bool() {
            if nav {
                CheckKind::NavigationLinks
            } else {
                CheckKind::NotApplicable("navigationLinks is false: not checked".into())
            }
        } else if let Some(m) = a["requestMethod"].as_str() {
            CheckKind::Request {
                part: RequestPart::Method,
                op: operator,
                value: m.to_string(),
            }
        } else if let Some(u) = a["requestURL"].as_str() {
            let op = if op.is_some() {
                operator
            } else {
                Operator::Equals
            };
            CheckKind::Request {
                part: RequestPart::Url,
                op,
                value: u.to_string(),
            }
        } else if let Some(p) = a["validateProfileId"].as_str() {
            let url = self.ts["profile"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["id"] == p)
                .and_then(|x| x["reference"].as_str());
            match url {
                Some(u) => CheckKind::Validate(u.to_string()),
                None => unsupported_kind(
                    &mut problems,
                    format!("validateProfileId '{p}': no such profile"),
                ),
            }
        } else {
            unsupported_kind(&mut problems, "an assert with nothing to check".into())
        };
        if a["direction"] == "request" && problems.is_empty() {
            // An assert on the request judges the client that sent it. Here
            // conform plays every client and the servers are under test, so
            // it would only judge conform's own request.
            check.kind = CheckKind::NotApplicable(
                "direction 'request' checks the request of a client under test; conform sends \
                 every request itself and tests servers, so this assert does not apply"
                    .into(),
            );
        }
        if !problems.is_empty() {
            let why = format!("unsupported TestScript element(s): {}", problems.join(", "));
            self.out
                .unsupported
                .push(format!("{}: {}", check.id, problems.join(", ")));
            check.kind = CheckKind::Unsupported(why);
        }
        check
    }
}

fn unsupported_kind(problems: &mut Vec<String>, what: String) -> CheckKind {
    problems.push(what.clone());
    CheckKind::Unsupported(what)
}

pub(super) fn unsupported(what: &str) -> PlannedCheck {
    PlannedCheck {
        id: "unsupported".into(),
        severity: Severity::Shall,
        requirements: Vec::new(),
        message: None,
        kind: CheckKind::Unsupported(format!("unsupported TestScript element: {what}")),
        source: None,
    }
}
