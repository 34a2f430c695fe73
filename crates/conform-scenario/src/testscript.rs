//! FHIR R4 TestScript (JSON) → a planned scenario. Supported: fixtures
//! (files relative to the TestScript, or `#contained`; `autocreate` and
//! `autodelete` as setup and teardown operations), variables
//! (`defaultValue`; `expression`/`headerField` on a fixture or a response),
//! operations read, search, create, update, delete, capabilities,
//! transaction and batch (by `type`, `resource`, `params`, `url`,
//! `sourceId`, `targetId`, `requestHeader`, `responseId`, `destination`),
//! and asserts on `response`, `responseCode`, `resource`, `contentType`,
//! `expression` (with `operator`/`value`), `headerField`,
//! `validateProfileId` and `compareToSourceId` (a fixture) with
//! `compareToSourceExpression`; `warningOnly` as SHOULD. Destinations are bound to
//! regions with `--bind INDEX=REGION`; conform is every origin (an origin's
//! index is named in the step). Anything else is listed as unsupported and
//! reported as a skipped assertion, never silently passed.

use crate::load::{Bindings, LoadError};
use crate::model::Severity;
use crate::plan::{
    Body, Capture, CheckKind, HeaderExpect, Operator, PlannedCheck, PlannedScenario, PlannedStep,
};
use conform_outcome::scenario::ScenarioIdentity;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const OPERATION_KEYS: &[&str] = &[
    "type",
    "resource",
    "label",
    "description",
    "accept",
    "contentType",
    "destination",
    "encodeRequestUrl",
    "method",
    "origin",
    "params",
    "requestHeader",
    "responseId",
    "sourceId",
    "targetId",
    "url",
];
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

struct Compiler<'a> {
    ts: &'a Value,
    bindings: &'a Bindings,
    out: PlannedScenario,
    /// Variable name → how a response fills it (by responseId).
    response_vars: Vec<(String, String, Capture)>,
    steps: usize,
}

pub fn compile_file(file: &Path, bindings: &Bindings) -> Result<PlannedScenario, LoadError> {
    let text = std::fs::read(file).map_err(|e| LoadError::new(file, e.to_string()))?;
    let ts: Value =
        serde_json::from_slice(&text).map_err(|e| LoadError::new(file, e.to_string()))?;
    compile(&ts, file, bindings).map_err(|m| LoadError::new(file, m))
}

pub fn compile(ts: &Value, file: &Path, bindings: &Bindings) -> Result<PlannedScenario, String> {
    if ts["resourceType"] != "TestScript" {
        return Err("not a TestScript".into());
    }
    let name = ts["name"]
        .as_str()
        .or(ts["id"].as_str())
        .unwrap_or("testscript");
    let mut c = Compiler {
        ts,
        bindings,
        out: PlannedScenario {
            identity: ScenarioIdentity {
                id: ts["id"].as_str().unwrap_or(name).to_string(),
                title: ts["title"].as_str().unwrap_or(name).to_string(),
                source: file.display().to_string(),
                tags: vec!["testscript".into()],
                ..Default::default()
            },
            ..Default::default()
        },
        response_vars: Vec::new(),
        steps: 0,
    };
    for (k, _) in ts.as_object().into_iter().flatten() {
        if ["rule", "ruleset", "scope", "metadata"].contains(&k.as_str()) {
            c.out.unsupported.push(format!("TestScript.{k}"));
        }
    }
    c.fixtures(file.parent().unwrap_or(Path::new("")))?;
    c.variables()?;
    for d in ts["destination"].as_array().into_iter().flatten() {
        let i = d["index"].as_u64().unwrap_or(1) as u32;
        let region = c.region(Some(i))?;
        if !c.out.identity.regions.contains(&region) {
            c.out.identity.regions.push(region);
        }
    }
    if ts["destination"].as_array().is_none_or(|a| a.is_empty()) {
        let region = c.region(None)?;
        c.out.identity.regions.push(region);
    }
    // autocreate: stored before the setup (PUT with its id, else POST);
    // autodelete: deleted after the teardown.
    let fixtures: Vec<(String, bool, bool)> = ts["fixture"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let id = f["id"].as_str()?.to_string();
            Some((id, f["autocreate"] == true, f["autodelete"] == true))
        })
        .collect();
    let mut setup = Vec::new();
    for (id, create, _) in &fixtures {
        if *create {
            let op = c.auto_operation(id, "autocreate")?;
            setup.push(c.operation(&op, None)?);
        }
    }
    setup.extend(c.actions(&ts["setup"]["action"], None)?);
    c.out.setup = setup;
    for (i, t) in ts["test"].as_array().into_iter().flatten().enumerate() {
        let group = t["name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or(format!("test {}", i + 1));
        let steps = c.actions(&t["action"], Some(group))?;
        c.out.steps.extend(steps);
    }
    let mut teardown = c.actions(&ts["teardown"]["action"], None)?;
    for (id, _, delete) in &fixtures {
        if *delete {
            let op = c.auto_operation(id, "autodelete")?;
            teardown.push(c.operation(&op, None)?);
        }
    }
    c.out.teardown = teardown;
    // Response variables become captures on the step that names the response.
    for (var, response_id, capture) in std::mem::take(&mut c.response_vars) {
        let step = c
            .out
            .setup
            .iter_mut()
            .chain(c.out.steps.iter_mut())
            .find(|s| s.id.ends_with(&format!("#{response_id}")));
        match step {
            Some(s) => s.captures.push((var, capture)),
            None => c.out.unsupported.push(format!(
                "variable '{var}': no operation has responseId '{response_id}'"
            )),
        }
    }
    Ok(c.out)
}

impl Compiler<'_> {
    fn region(&self, index: Option<u32>) -> Result<String, String> {
        let i = index.unwrap_or(1);
        self.bindings.get(&i).cloned().ok_or_else(|| {
            format!("TestScript destination {i} is not bound to a region: use --bind {i}=REGION")
        })
    }

    fn fixtures(&mut self, dir: &Path) -> Result<(), String> {
        let contained: BTreeMap<&str, &Value> = self.ts["contained"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(|id| (id, r)))
            .collect();
        for f in self.ts["fixture"].as_array().into_iter().flatten() {
            let id = f["id"].as_str().ok_or("a fixture has no id")?;
            let Some(reference) = f["resource"]["reference"].as_str() else {
                continue;
            };
            let value = if let Some(local) = reference.strip_prefix('#') {
                (*contained
                    .get(local)
                    .ok_or(format!("fixture '{id}': no contained resource '{local}'"))?)
                .clone()
            } else {
                let path = dir.join(reference);
                let text = std::fs::read(&path)
                    .map_err(|e| format!("fixture '{id}' ({}): {e}", path.display()))?;
                serde_json::from_slice(&text)
                    .map_err(|e| format!("fixture '{id}' ({}): {e}", path.display()))?
            };
            self.out.fixtures.insert(id.to_string(), value);
        }
        Ok(())
    }

    /// The operation `autocreate` or `autodelete` of a fixture stands for.
    fn auto_operation(&self, fixture: &str, what: &str) -> Result<Value, String> {
        let f = self
            .out
            .fixtures
            .get(fixture)
            .ok_or(format!("fixture '{fixture}': {what} needs its resource"))?;
        let rtype = f["resourceType"].as_str().unwrap_or("");
        let label = format!("{what} {fixture}");
        Ok(match (what, f["id"].is_string()) {
            ("autocreate", true) => {
                serde_json::json!({"type": {"code": "update"}, "resource": rtype, "sourceId": fixture, "label": label})
            }
            ("autocreate", false) => {
                serde_json::json!({"type": {"code": "create"}, "resource": rtype, "sourceId": fixture, "responseId": fixture, "label": label})
            }
            _ => {
                serde_json::json!({"type": {"code": "delete"}, "resource": rtype, "targetId": fixture, "label": label})
            }
        })
    }

    fn is_fixture(&self, id: &str) -> bool {
        self.out.fixtures.contains_key(id)
    }

    fn variables(&mut self) -> Result<(), String> {
        for v in self.ts["variable"].as_array().into_iter().flatten() {
            let name = v["name"]
                .as_str()
                .ok_or("a variable has no name")?
                .to_string();
            let source = v["sourceId"].as_str();
            if v.get("path").is_some() {
                self.out
                    .unsupported
                    .push(format!("variable '{name}': path (XPath/JSONPath)"));
            }
            match (v["expression"].as_str(), v["headerField"].as_str(), source) {
                (Some(expr), _, Some(src)) if self.is_fixture(src) => {
                    let value = fixture_value(&self.out.fixtures[src], expr)
                        .map_err(|e| format!("variable '{name}': {e}"))?;
                    self.out.vars.push((name, Value::String(value)));
                }
                (Some(expr), _, Some(src)) => {
                    self.response_vars
                        .push((name, src.to_string(), Capture::FhirPath(expr.to_string())));
                }
                (None, Some(h), Some(src)) => {
                    self.response_vars
                        .push((name, src.to_string(), Capture::Header(h.to_string())));
                }
                _ => match v["defaultValue"].as_str() {
                    Some(d) => self.out.vars.push((name, Value::String(d.to_string()))),
                    None => self.out.unsupported.push(format!(
                        "variable '{name}': needs defaultValue, or expression/headerField with sourceId"
                    )),
                },
            }
        }
        Ok(())
    }

    fn actions(
        &mut self,
        actions: &Value,
        group: Option<String>,
    ) -> Result<Vec<PlannedStep>, String> {
        let mut steps: Vec<PlannedStep> = Vec::new();
        for (i, action) in actions.as_array().into_iter().flatten().enumerate() {
            if let Some(op) = action.get("operation") {
                let step = self.operation(op, group.clone())?;
                steps.push(step);
            } else if let Some(a) = action.get("assert") {
                let check = self.assert(a, steps.last());
                match steps.last_mut() {
                    Some(s) => s.checks.push(check),
                    None => self.out.unsupported.push(format!(
                        "{} action {}: an assert before any operation",
                        group.as_deref().unwrap_or("setup/teardown"),
                        i + 1
                    )),
                }
            }
        }
        Ok(steps)
    }

    fn operation(&mut self, op: &Value, group: Option<String>) -> Result<PlannedStep, String> {
        self.steps += 1;
        let code = op["type"]["code"].as_str().unwrap_or("");
        let resource = op["resource"].as_str().unwrap_or("");
        let label = op["label"]
            .as_str()
            .or(op["description"].as_str())
            .unwrap_or(code);
        let response_id = op["responseId"].as_str();
        let mut id = format!("op{}-{}", self.steps, crate::compile::slug(code));
        if let Some(r) = response_id {
            id = format!("{id}#{r}");
        }
        let dest = op["destination"].as_u64().map(|d| d as u32);
        let origin = op["origin"]
            .as_u64()
            .map_or(String::new(), |o| format!(" (origin {o})"));
        let on = self.region(dest)?;
        if !self.out.identity.regions.contains(&on) {
            self.out.identity.regions.push(on.clone());
        }
        let mut step = PlannedStep {
            id,
            name: format!("{label}{origin}"),
            group,
            on,
            ..Default::default()
        };
        for (k, _) in op.as_object().into_iter().flatten() {
            if !OPERATION_KEYS.contains(&k.as_str()) {
                self.out
                    .unsupported
                    .push(format!("{}: operation.{k}", step.id));
            }
        }
        let params = op["params"].as_str().unwrap_or("");
        let target_id = |c: &Self, key: &str| -> Option<String> {
            let t = op[key].as_str()?;
            if c.is_fixture(t) {
                // A fixture created without an id has the server's (autocreate).
                Some(
                    c.out.fixtures[t]["id"]
                        .as_str()
                        .map_or(format!("${{__id.{t}}}"), str::to_string),
                )
            } else {
                Some(format!("${{__id.{t}}}"))
            }
        };
        let instance = |c: &Self, rtype: &str| -> String {
            match target_id(c, "targetId").or_else(|| target_id(c, "sourceId")) {
                Some(id) => format!("{rtype}/{id}"),
                None => format!("{rtype}{params}"),
            }
        };
        let body_type = op["sourceId"]
            .as_str()
            .and_then(|s| self.out.fixtures.get(s))
            .and_then(|f| f["resourceType"].as_str())
            .unwrap_or(resource)
            .to_string();
        let (method, path) = match code {
            "read" => ("GET", instance(self, resource)),
            "search" => ("GET", format!("{resource}{params}")),
            "create" => ("POST", body_type.clone()),
            "update" => ("PUT", instance(self, &body_type)),
            "delete" => ("DELETE", instance(self, resource)),
            "capabilities" => ("GET", "metadata".to_string()),
            "transaction" | "batch" => ("POST", String::new()),
            "" if op["method"].is_string() => ("", String::new()),
            other => {
                self.out
                    .unsupported
                    .push(format!("{}: operation type '{other}'", step.id));
                step.checks
                    .push(unsupported(&format!("operation type '{other}'")));
                ("GET", "metadata".to_string())
            }
        };
        step.method = op["method"]
            .as_str()
            .map(str::to_ascii_uppercase)
            .unwrap_or(method.to_string());
        step.path = match op["url"].as_str() {
            Some(u) => u.to_string(),
            None => path,
        };
        step.writes =
            matches!(step.method.as_str(), "POST" | "PUT" | "DELETE" | "PATCH") && code != "search";
        if let Some(src) = op["sourceId"].as_str() {
            if matches!(step.method.as_str(), "POST" | "PUT") {
                if !self.is_fixture(src) {
                    return Err(format!("{}: sourceId '{src}' is not a fixture", step.id));
                }
                step.body = Some(Body::Fixture {
                    name: src.to_string(),
                    set: Vec::new(),
                });
            }
        }
        for h in op["requestHeader"].as_array().into_iter().flatten() {
            if let (Some(f), Some(v)) = (h["field"].as_str(), h["value"].as_str()) {
                step.headers.push((f.to_string(), v.to_string()));
            }
        }
        if let Some(ct) = op["contentType"].as_str() {
            step.headers.push(("Content-Type".into(), mime(ct)));
        }
        if let Some(a) = op["accept"].as_str() {
            step.headers.push(("Accept".into(), mime(a)));
        }
        if let Some(r) = response_id {
            step.captures
                .push((format!("__id.{r}"), Capture::FhirPath("id".into())));
        }
        Ok(step)
    }

    fn assert(&mut self, a: &Value, last: Option<&PlannedStep>) -> PlannedCheck {
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

/// The first value of a FHIRPath expression on a fixture.
fn fixture_value(fixture: &Value, expr: &str) -> Result<String, String> {
    let body = fixture.to_string();
    crate::assert::eval(body.as_bytes(), expr, None)?
        .first()
        .and_then(|x| x.as_ref())
        .map(conform_fhirpath::value_to_string)
        .ok_or(format!("'{expr}' gives nothing on the fixture"))
}

fn unsupported_kind(problems: &mut Vec<String>, what: String) -> CheckKind {
    problems.push(what.clone());
    CheckKind::Unsupported(what)
}

fn unsupported(what: &str) -> PlannedCheck {
    PlannedCheck {
        id: "unsupported".into(),
        severity: Severity::Shall,
        requirements: Vec::new(),
        message: None,
        kind: CheckKind::Unsupported(format!("unsupported TestScript element: {what}")),
    }
}

fn mime(code: &str) -> String {
    match code {
        "json" => "application/fhir+json".into(),
        "xml" => "application/fhir+xml".into(),
        other => other.into(),
    }
}
