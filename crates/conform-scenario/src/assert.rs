//! Evaluating a step's checks against its response: status, headers,
//! FHIRPath (boolean, compared, counted), resource type and validation.
//! Every check gives an [`AssertionResult`] with a message that says what
//! was expected and what came back.

use crate::model::Severity;
use crate::plan::{CheckKind, HeaderExpect, PlannedCheck};
use crate::result::{AssertionResult, Status};
use crate::validate::{summarise, BodyValidator};
use conform_endpoint::Response;
use conform_fhirpath::Value;

/// FHIRPath over a JSON body: the System value of each item (`None` for
/// complex nodes). Uses the loaded definitions' types when there are any.
pub fn eval(
    body: &[u8],
    expr: &str,
    validator: Option<&dyn BodyValidator>,
) -> Result<Vec<Option<Value>>, String> {
    let parsed = conform_fhirpath::parse(expr)
        .map_err(|e| format!("FHIRPath '{expr}' does not parse: {e}"))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the response has no body".into());
    }
    let doc = conform_json::parse(body).map_err(|e| format!("the response is not JSON: {e}"))?;
    let run = |ctx: &conform_fhirpath::Context| {
        conform_fhirpath::evaluate(&parsed, &doc, doc.root(), ctx).map(|items| {
            items
                .iter()
                .map(|i| conform_fhirpath::item_value(&doc, i, ctx))
                .collect::<Vec<_>>()
        })
    };
    let out = match validator.and_then(|v| v.validator()) {
        Some(v) => v.with_fhirpath_context(&doc, run),
        None => run(&conform_fhirpath::Context::new()),
    };
    out.map_err(|e| format!("FHIRPath '{expr}' failed: {e}"))
}

/// FHIRPath that must give exactly `true`.
pub fn eval_true(
    body: &[u8],
    expr: &str,
    validator: Option<&dyn BodyValidator>,
) -> Result<bool, String> {
    let out = eval(body, expr, validator)?;
    match out.as_slice() {
        [Some(Value::Boolean(b))] => Ok(*b),
        [] => Ok(false),
        other => Err(format!(
            "FHIRPath '{expr}' gave {} instead of one boolean",
            show(other)
        )),
    }
}

/// The values as they are quoted in messages.
pub fn show(values: &[Option<Value>]) -> String {
    if values.is_empty() {
        return "nothing (an empty collection)".into();
    }
    let parts: Vec<String> = values
        .iter()
        .take(5)
        .map(|v| match v {
            Some(Value::String(s)) => format!("'{s}'"),
            Some(v) => conform_fhirpath::value_to_string(v),
            None => "(element)".into(),
        })
        .collect();
    let more = if values.len() > 5 {
        format!(" and {} more", values.len() - 5)
    } else {
        String::new()
    };
    format!("[{}]{more}", parts.join(", "))
}

/// Runs one check. `expr_of` interpolates expressions (`${var}`).
pub fn check(
    c: &PlannedCheck,
    resp: &Response,
    validator: Option<&dyn BodyValidator>,
    interpolate: &dyn Fn(&str) -> Result<String, String>,
) -> AssertionResult {
    let (ok, message) = match outcome(&c.kind, resp, validator, interpolate) {
        Outcome::Pass(m) => (Some(true), m),
        Outcome::Fail(m) => (
            Some(false),
            c.message
                .clone()
                .map_or(m.clone(), |x| format!("{x} ({m})")),
        ),
        Outcome::Skip(m) => (None, m),
    };
    let status = match ok {
        Some(true) => Status::Pass,
        Some(false) if c.severity == Severity::SHALL => Status::Fail,
        Some(false) => Status::Warn,
        None => Status::Skip,
    };
    AssertionResult {
        id: c.id.clone(),
        severity: c.severity.as_str(),
        requirements: c.requirements.clone(),
        status,
        message,
    }
}

enum Outcome {
    Pass(String),
    Fail(String),
    Skip(String),
}

fn verdict(ok: bool, pass: String, fail: String) -> Outcome {
    if ok {
        Outcome::Pass(pass)
    } else {
        Outcome::Fail(fail)
    }
}

fn outcome(
    kind: &CheckKind,
    resp: &Response,
    validator: Option<&dyn BodyValidator>,
    interpolate: &dyn Fn(&str) -> Result<String, String>,
) -> Outcome {
    match kind {
        CheckKind::Status(codes) => {
            let want: Vec<String> = codes.iter().map(u16::to_string).collect();
            verdict(
                codes.contains(&resp.status),
                format!("status {}", resp.status),
                format!(
                    "expected status {}, got {}{}",
                    want.join(" or "),
                    resp.status,
                    outcome_text(&resp.body)
                ),
            )
        }
        CheckKind::Header { name, expect } => {
            let got = resp.header(name);
            match (expect, got) {
                (HeaderExpect::Present, Some(v)) => Outcome::Pass(format!("{name}: {v}")),
                (HeaderExpect::Present, None) => Outcome::Fail(format!("no {name} header")),
                (HeaderExpect::Absent, None) => Outcome::Pass(format!("no {name} header")),
                (HeaderExpect::Absent, Some(v)) => {
                    Outcome::Fail(format!("{name} should be absent, got '{v}'"))
                }
                (HeaderExpect::Compare(op, want), got) => {
                    let want = match interpolate(want) {
                        Ok(w) => w,
                        Err(e) => return Outcome::Fail(e),
                    };
                    match got {
                        Some(v) if op.test(v, &want) => Outcome::Pass(format!("{name}: {v}")),
                        Some(v) => Outcome::Fail(format!(
                            "{name} should {} '{want}', got '{v}'",
                            op.word()
                        )),
                        None => Outcome::Fail(format!("no {name} header (expected '{want}')")),
                    }
                }
            }
        }
        CheckKind::FhirPath(expr) => {
            let expr = match interpolate(expr) {
                Ok(e) => e,
                Err(e) => return Outcome::Fail(e),
            };
            match eval_true(&resp.body, &expr, validator) {
                Ok(ok) => verdict(ok, expr.clone(), format!("not true: {expr}")),
                Err(e) => Outcome::Fail(e),
            }
        }
        CheckKind::Compare { expr, op, value } => {
            let (expr, value) = match (interpolate(expr), interpolate(value)) {
                (Ok(e), Ok(v)) => (e, v),
                (Err(e), _) | (_, Err(e)) => return Outcome::Fail(e),
            };
            match eval(&resp.body, &expr, validator) {
                Ok(values) => {
                    let first = values
                        .first()
                        .and_then(|v| v.as_ref())
                        .map(conform_fhirpath::value_to_string);
                    match first {
                        Some(a) if op.test(&a, &value) => Outcome::Pass(format!("{expr} = '{a}'")),
                        _ => Outcome::Fail(format!(
                            "{expr} should {} '{value}', got {}",
                            op.word(),
                            show(&values)
                        )),
                    }
                }
                Err(e) => Outcome::Fail(e),
            }
        }
        CheckKind::Count { expr, min, max } => {
            let expr = match interpolate(expr) {
                Ok(e) => e,
                Err(e) => return Outcome::Fail(e),
            };
            match eval(&resp.body, &expr, validator) {
                Ok(values) => {
                    let n = values.len();
                    let ok = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
                    let want = match (min, max) {
                        (Some(a), Some(b)) if a == b => format!("{a}"),
                        (Some(a), Some(b)) => format!("{a} to {b}"),
                        (Some(a), None) => format!("at least {a}"),
                        (None, Some(b)) => format!("at most {b}"),
                        (None, None) => "any number".into(),
                    };
                    verdict(
                        ok,
                        format!("{expr}: {n} item{}", if n == 1 { "" } else { "s" }),
                        format!("{expr}: expected {want} item(s), got {n}"),
                    )
                }
                Err(e) => Outcome::Fail(e),
            }
        }
        CheckKind::ResourceType(want) => {
            let got = resp
                .json()
                .and_then(|v| v["resourceType"].as_str().map(str::to_string));
            match got {
                Some(g) if &g == want => Outcome::Pass(format!("a {g}")),
                Some(g) => Outcome::Fail(format!("expected a {want}, got a {g}")),
                None => Outcome::Fail(format!("expected a {want}, got no FHIR resource")),
            }
        }
        CheckKind::Validate(target) => match validator {
            None => Outcome::Skip(format!(
                "not validated against {target}: no definitions loaded"
            )),
            Some(v) => match v.errors(&resp.body, target) {
                Ok(errors) if errors.is_empty() => Outcome::Pass(format!("valid against {target}")),
                Ok(errors) => Outcome::Fail(summarise(target, &errors)),
                Err(e) => Outcome::Fail(e),
            },
        },
        CheckKind::Unsupported(why) => Outcome::Skip(why.clone()),
    }
}

/// ` (OperationOutcome: ...)` when an error body says why.
fn outcome_text(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    if v["resourceType"] != "OperationOutcome" {
        return String::new();
    }
    let texts: Vec<String> = v["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i["diagnostics"]
                .as_str()
                .or(i["details"]["text"].as_str())
                .map(str::to_string)
        })
        .take(3)
        .collect();
    if texts.is_empty() {
        String::new()
    } else {
        format!(" (OperationOutcome: {})", texts.join("; "))
    }
}
