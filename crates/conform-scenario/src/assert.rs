//! Evaluating a step's checks against its response: status, headers,
//! FHIRPath (boolean, compared, counted), resource type and validation.
//! Every check gives an [`Outcome`](conform_outcome::Outcome) with a
//! message that says what was expected and what came back (the step adds
//! where: scenario, step, region).

use crate::plan::{CheckKind, HeaderExpect, PlannedCheck};
use crate::result::Status;
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

/// Runs one check. `interpolate` interpolates expressions (`${var}`). A
/// failed SHOULD or MAY comes back as a warning (`Outcome::check`).
pub fn check(
    c: &PlannedCheck,
    resp: &Response,
    validator: Option<&dyn BodyValidator>,
    interpolate: &dyn Fn(&str) -> Result<String, String>,
) -> conform_outcome::Outcome {
    let (ok, message) = match verdict_of(&c.kind, resp, validator, interpolate) {
        Verdict::Pass(m) => (Some(true), m),
        Verdict::Fail(m) => (
            Some(false),
            c.message
                .clone()
                .map_or(m.clone(), |x| format!("{x} ({m})")),
        ),
        Verdict::Skip(m) => (None, m),
    };
    let status = match ok {
        Some(true) => Status::Pass,
        Some(false) => Status::Fail,
        None => Status::Skip,
    };
    conform_outcome::Outcome::check(c.id.clone(), c.severity, status, message)
        .with_verifies(c.requirements.clone())
}

enum Verdict {
    Pass(String),
    Fail(String),
    Skip(String),
}

fn verdict(ok: bool, pass: String, fail: String) -> Verdict {
    if ok {
        Verdict::Pass(pass)
    } else {
        Verdict::Fail(fail)
    }
}

fn verdict_of(
    kind: &CheckKind,
    resp: &Response,
    validator: Option<&dyn BodyValidator>,
    interpolate: &dyn Fn(&str) -> Result<String, String>,
) -> Verdict {
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
                (HeaderExpect::Present, Some(v)) => Verdict::Pass(format!("{name}: {v}")),
                (HeaderExpect::Present, None) => Verdict::Fail(format!("no {name} header")),
                (HeaderExpect::Absent, None) => Verdict::Pass(format!("no {name} header")),
                (HeaderExpect::Absent, Some(v)) => {
                    Verdict::Fail(format!("{name} should be absent, got '{v}'"))
                }
                (HeaderExpect::Compare(op, want), got) => {
                    let want = match interpolate(want) {
                        Ok(w) => w,
                        Err(e) => return Verdict::Fail(e),
                    };
                    match got {
                        Some(v) if op.test(v, &want) => Verdict::Pass(format!("{name}: {v}")),
                        Some(v) => Verdict::Fail(format!(
                            "{name} should {} '{want}', got '{v}'",
                            op.word()
                        )),
                        None => Verdict::Fail(format!("no {name} header (expected '{want}')")),
                    }
                }
            }
        }
        CheckKind::FhirPath(expr) => {
            let expr = match interpolate(expr) {
                Ok(e) => e,
                Err(e) => return Verdict::Fail(e),
            };
            match eval_true(&resp.body, &expr, validator) {
                Ok(ok) => verdict(ok, expr.clone(), format!("not true: {expr}")),
                Err(e) => Verdict::Fail(e),
            }
        }
        CheckKind::Compare { expr, op, value } => {
            let (expr, value) = match (interpolate(expr), interpolate(value)) {
                (Ok(e), Ok(v)) => (e, v),
                (Err(e), _) | (_, Err(e)) => return Verdict::Fail(e),
            };
            match eval(&resp.body, &expr, validator) {
                Ok(values) => {
                    let first = values
                        .first()
                        .and_then(|v| v.as_ref())
                        .map(conform_fhirpath::value_to_string);
                    match first {
                        Some(a) if op.test(&a, &value) => Verdict::Pass(format!("{expr} = '{a}'")),
                        _ => Verdict::Fail(format!(
                            "{expr} should {} '{value}', got {}",
                            op.word(),
                            show(&values)
                        )),
                    }
                }
                Err(e) => Verdict::Fail(e),
            }
        }
        CheckKind::Count { expr, min, max } => {
            let expr = match interpolate(expr) {
                Ok(e) => e,
                Err(e) => return Verdict::Fail(e),
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
                Err(e) => Verdict::Fail(e),
            }
        }
        CheckKind::ResourceType(want) => {
            let got = resp
                .json()
                .and_then(|v| v["resourceType"].as_str().map(str::to_string));
            match got {
                Some(g) if &g == want => Verdict::Pass(format!("a {g}")),
                Some(g) => Verdict::Fail(format!("expected a {want}, got a {g}")),
                None => Verdict::Fail(format!("expected a {want}, got no FHIR resource")),
            }
        }
        CheckKind::Validate(target) => match validator {
            None => Verdict::Skip(format!(
                "not validated against {target}: no definitions loaded"
            )),
            Some(v) => match v.errors(&resp.body, target) {
                Ok(errors) if errors.is_empty() => Verdict::Pass(format!("valid against {target}")),
                Ok(errors) => Verdict::Fail(summarise(target, &errors)),
                Err(e) => Verdict::Fail(e),
            },
        },
        CheckKind::ContentType(want) => {
            let want = match interpolate(want) {
                Ok(w) => w.trim().to_ascii_lowercase(),
                Err(e) => return Verdict::Fail(e),
            };
            match resp.media_type() {
                Some(got) if got == want => Verdict::Pass(format!("Content-Type {got}")),
                Some(got) => Verdict::Fail(format!("expected Content-Type {want}, got {got}")),
                None => Verdict::Fail(format!("expected Content-Type {want}, got none")),
            }
        }
        CheckKind::BodyMeasure { measure, value } => {
            let want = match interpolate(value) {
                Ok(w) => w.trim().to_string(),
                Err(e) => return Verdict::Fail(e),
            };
            if want.is_empty() {
                return Verdict::Skip(format!(
                    "no {} given to compare the body with",
                    measure.word()
                ));
            }
            let got = measure.of(&resp.body);
            verdict(
                got == want,
                format!("{} {got}", measure.word()),
                format!(
                    "the body's {} is {got}, expected {want} ({} bytes received)",
                    measure.word(),
                    resp.body.len()
                ),
            )
        }
        CheckKind::BodyExcludes(texts) => {
            let mut found = Vec::new();
            for t in texts {
                let t = match interpolate(t) {
                    Ok(t) => t,
                    Err(e) => return Verdict::Fail(e),
                };
                if contains_text(&resp.body, &t) {
                    found.push(t);
                }
            }
            verdict(
                found.is_empty(),
                format!("none of {} text(s) in the body", texts.len()),
                format!(
                    "the body holds what it must not: {} ({} bytes, status {})",
                    found
                        .iter()
                        .map(|f| format!("'{f}'"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    resp.body.len(),
                    resp.status
                ),
            )
        }
        CheckKind::Unsupported(why) => Verdict::Skip(why.clone()),
    }
}

/// Whether `needle` is in the bytes, ASCII case ignored; a 10-digit NHS
/// number also in its `3 3 4` display form. An empty needle is never found.
pub(crate) fn contains_text(body: &[u8], needle: &str) -> bool {
    let needle = needle.trim();
    if needle.is_empty() {
        return false;
    }
    let mut forms = vec![needle.to_string()];
    if needle.len() == 10 && needle.bytes().all(|b| b.is_ascii_digit()) {
        forms.push(format!(
            "{} {} {}",
            &needle[..3],
            &needle[3..6],
            &needle[6..]
        ));
    }
    forms.iter().any(|f| {
        let f = f.as_bytes();
        body.windows(f.len()).any(|w| w.eq_ignore_ascii_case(f))
    })
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

#[cfg(test)]
mod tests {
    use super::contains_text;

    #[test]
    fn text_is_found_case_ignored_and_nhs_numbers_in_display_form() {
        assert!(contains_text(b"<p>SHAW, Amelia</p>", "Shaw"));
        assert!(contains_text(b"NHS No: 999 001 0005", "9990010005"));
        assert!(contains_text(b"nhs=9990010005", "9990010005"));
        assert!(!contains_text(b"Sign in with your smartcard", "9990010005"));
        assert!(!contains_text(b"anything", " "));
    }
}
