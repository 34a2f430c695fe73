//! TestScript asserts → planned checks on the response of the operation
//! before them; an assert on something this runner cannot check becomes a
//! skipped check naming it.

use super::{fixture_value, Compiler};
use crate::model::Severity;
use crate::plan::{CheckKind, HeaderExpect, Operator, PlannedCheck, PlannedStep};
use serde_json::Value;

const ASSERT_KEYS: &[&str] = &[
    "compareToSourceId",
    "compareToSourceExpression",
    "label",
    "description",
    "direction",
    "contentType",
    "expression",
    "headerField",
    "operator",
    "resource",
    "response",
    "responseCode",
    "sourceId",
    "validateProfileId",
    "value",
    "warningOnly",
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
        };
        let mut problems: Vec<String> = a
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !ASSERT_KEYS.contains(&k.as_str()))
            .map(|(k, _)| format!("assert.{k}"))
            .collect();
        if a["direction"] == "request" {
            problems.push("assert.direction=request".into());
        }
        if let (Some(src), Some(last)) = (a["sourceId"].as_str(), last) {
            if !last.id.ends_with(&format!("#{src}")) {
                problems.push(format!(
                    "assert.sourceId '{src}' (only the last response is checked)"
                ));
            }
        }
        let op = a["operator"].as_str();
        let operator = op.map(Operator::parse);
        if let Some(None) = operator {
            if !matches!(op, Some("empty" | "notEmpty")) {
                problems.push(format!("assert.operator '{}'", op.unwrap_or("")));
            }
        }
        let operator = operator.flatten().unwrap_or(Operator::Equals);
        let value = a["value"].as_str().map(str::to_string);
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
            if operator == Operator::Equals || operator == Operator::In {
                CheckKind::Status(codes)
            } else {
                unsupported_kind(
                    &mut problems,
                    format!("assert.responseCode with operator {}", op.unwrap_or("")),
                )
            }
        } else if let Some(r) = a["resource"].as_str() {
            CheckKind::ResourceType(r.to_string())
        } else if let Some(ct) = a["contentType"].as_str() {
            CheckKind::Header {
                name: "Content-Type".into(),
                expect: HeaderExpect::Compare(Operator::Contains, ct.to_string()),
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
        } else if let (Some(src), Some(e)) = (
            a["compareToSourceId"].as_str(),
            a["compareToSourceExpression"].as_str(),
        ) {
            // The same expression on the fixture and on the response.
            match self.out.fixtures.get(src).map(|f| fixture_value(f, e)) {
                Some(Ok(v)) => CheckKind::Compare {
                    expr: e.to_string(),
                    op: operator,
                    value: v,
                },
                Some(Err(m)) => {
                    unsupported_kind(&mut problems, format!("compareToSourceExpression: {m}"))
                }
                None => unsupported_kind(
                    &mut problems,
                    format!("compareToSourceId '{src}' (only fixtures can be compared to)"),
                ),
            }
        } else if let Some(e) = a["expression"].as_str() {
            match (op, value) {
                (Some("empty"), _) => CheckKind::Count {
                    expr: e.to_string(),
                    min: None,
                    max: Some(0),
                },
                (Some("notEmpty"), _) => CheckKind::Count {
                    expr: e.to_string(),
                    min: Some(1),
                    max: None,
                },
                (_, Some(v)) => CheckKind::Compare {
                    expr: e.to_string(),
                    op: operator,
                    value: v,
                },
                (_, None) => CheckKind::FhirPath(e.to_string()),
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
            unsupported_kind(
                &mut problems,
                "an assert with nothing this runner checks".into(),
            )
        };
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
    }
}
