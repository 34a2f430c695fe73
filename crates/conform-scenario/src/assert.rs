//! Evaluating a step's checks against its response: status, headers,
//! FHIRPath (boolean, compared, counted), resource type and validation.
//! Every check gives an [`Outcome`](conform_outcome::Outcome) with a
//! message that says what was expected and what came back (the step adds
//! where: scenario, step, region).

use crate::plan::{
    CheckKind, HeaderExpect, Operator, PlannedCheck, RequestPart, SelectTest, Selector,
};
use crate::result::Status;
use crate::validate::{summarise, BodyValidator};
use conform_endpoint::Response;
use conform_fhirpath::Value;
use std::collections::BTreeMap;

/// A request as it was sent (its URL in full).
#[derive(Clone, Debug, Default)]
pub struct Sent {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request and its response, kept under a TestScript `requestId` or
/// `responseId` for later checks.
#[derive(Clone, Debug)]
pub struct Kept {
    pub request: Sent,
    pub response: Response,
}

/// What a check can read: this step's exchange, the kept ones and the
/// fixtures, the definitions, and how to interpolate `${var}`.
pub struct Env<'a> {
    pub response: &'a Response,
    pub request: &'a Sent,
    pub kept: &'a BTreeMap<String, Kept>,
    pub fixtures: &'a BTreeMap<String, serde_json::Value>,
    pub validator: Option<&'a dyn BodyValidator>,
    pub interpolate: &'a dyn Fn(&str) -> Result<String, String>,
}

impl Env<'_> {
    /// The exchange a source id names: a kept one, or a fixture as a
    /// response with its JSON body and no headers.
    fn source(&self, id: &str) -> Result<Kept, String> {
        if let Some(k) = self.kept.get(id) {
            return Ok(k.clone());
        }
        if let Some(f) = self.fixtures.get(id) {
            return Ok(Kept {
                request: Sent::default(),
                response: Response {
                    status: 0,
                    headers: vec![("content-type".into(), "application/fhir+json".into())],
                    body: f.to_string().into_bytes(),
                    elapsed: std::time::Duration::ZERO,
                    attempts: 0,
                    url: String::new(),
                },
            });
        }
        Err(format!(
            "no fixture, response or request named '{id}' (its operation has not run)"
        ))
    }

    fn with_model<R>(&self, f: impl FnOnce(Option<&dyn conform_xml::Model>) -> R) -> R {
        with_model(self.validator, f)
    }

    /// The string values a selector gives on a body.
    fn select(&self, body: &[u8], selector: &Selector) -> Result<Vec<String>, String> {
        match selector {
            Selector::FhirPath(e) => {
                let e = (self.interpolate)(e)?;
                Ok(eval(body, &e, self.validator)?
                    .iter()
                    .map(|v| match v {
                        Some(v) => conform_fhirpath::value_to_string(v),
                        None => "(element)".into(),
                    })
                    .collect())
            }
            Selector::Path(p) => {
                let p = (self.interpolate)(p)?;
                self.with_model(|m| crate::body::select(body, &p, m))
            }
        }
    }
}

/// Runs `f` with the XML↔JSON model of the loaded definitions, if any.
pub fn with_model<R>(
    validator: Option<&dyn BodyValidator>,
    f: impl FnOnce(Option<&dyn conform_xml::Model>) -> R,
) -> R {
    match validator.and_then(|v| v.validator()) {
        Some(v) => {
            let model = v.xml_model();
            f(Some(&model))
        }
        None => f(None),
    }
}

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
    let body = with_model(validator, |m| {
        crate::body::json_form(body, m).map(|b| b.into_owned())
    })?;
    let doc = conform_json::parse(&body).map_err(|e| format!("the response is not JSON: {e}"))?;
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
pub fn check(c: &PlannedCheck, env: &Env) -> conform_outcome::Outcome {
    let verdict = match c.source.as_deref().map(|s| env.source(s)) {
        None => verdict_of(&c.kind, env.response, env.request, env),
        Some(Ok(k)) => verdict_of(&c.kind, &k.response, &k.request, env),
        Some(Err(e)) => Verdict::Fail(e),
    };
    let (ok, message) = match verdict {
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

fn verdict_of(kind: &CheckKind, resp: &Response, request: &Sent, env: &Env) -> Verdict {
    let validator = env.validator;
    let interpolate = env.interpolate;
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
            let got = env
                .with_model(|m| crate::body::json_value(&resp.body, m))
                .ok()
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
        CheckKind::Select { selector, test } => match env.select(&resp.body, selector) {
            Err(e) => Verdict::Fail(e),
            Ok(values) => select_verdict(&describe(selector), &values, test, interpolate),
        },
        CheckKind::CompareToSource {
            selector,
            source,
            source_selector,
            op,
        } => {
            let theirs = env
                .source(source)
                .and_then(|k| env.select(&k.response.body, source_selector));
            match (env.select(&resp.body, selector), theirs) {
                (Err(e), _) | (_, Err(e)) => Verdict::Fail(e),
                (Ok(ours), Ok(theirs)) => match theirs.first() {
                    None => Verdict::Fail(format!(
                        "{} gives nothing on '{source}' to compare with",
                        describe(source_selector)
                    )),
                    Some(want) => select_verdict(
                        &describe(selector),
                        &ours,
                        &SelectTest::Compare(*op, want.clone()),
                        // The source's value is data, not a template.
                        &|s: &str| Ok(s.to_string()),
                    ),
                },
            }
        }
        CheckKind::Request { part, op, value } => {
            let value = match interpolate(value) {
                Ok(v) => v,
                Err(e) => return Verdict::Fail(e),
            };
            let (what, got) = match part {
                // as a script writes it: not percent-encoded
                RequestPart::Url => (
                    "request URL",
                    percent_encoding::percent_decode_str(&request.url)
                        .decode_utf8_lossy()
                        .into_owned(),
                ),
                RequestPart::Method => ("request method", request.method.to_ascii_lowercase()),
            };
            let want = match part {
                RequestPart::Method => value.to_ascii_lowercase(),
                RequestPart::Url => value,
            };
            verdict(
                op.test(&got, &want),
                format!("{what} {got}"),
                format!("{what} should {} '{want}', got '{got}'", op.word()),
            )
        }
        CheckKind::Minimum(fixture) => {
            let minimum = match env.fixtures.get(fixture) {
                Some(f) => f,
                None => return Verdict::Fail(format!("no fixture '{fixture}'")),
            };
            match env.with_model(|m| crate::body::json_value(&resp.body, m)) {
                Err(e) => Verdict::Fail(e),
                Ok(got) => {
                    let mut missing = Vec::new();
                    contains_minimum(minimum, &got, "", &mut missing);
                    verdict(
                        missing.is_empty(),
                        format!("every element of '{fixture}' is there"),
                        format!(
                            "{} element(s) of '{fixture}' missing or different: {}",
                            missing.len(),
                            missing
                                .iter()
                                .take(5)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                }
            }
        }
        CheckKind::NavigationLinks => {
            match env.with_model(|m| crate::body::json_value(&resp.body, m)) {
                Err(e) => Verdict::Fail(e),
                Ok(b) => navigation_links(&b),
            }
        }
        CheckKind::Capabilities(required) => {
            match env.with_model(|m| crate::body::json_value(&resp.body, m)) {
                Err(e) => Verdict::Fail(format!("no CapabilityStatement: {e}")),
                Ok(cs) if cs["resourceType"] != "CapabilityStatement" => Verdict::Fail(format!(
                    "expected a CapabilityStatement, got {}",
                    cs["resourceType"].as_str().unwrap_or("no FHIR resource")
                )),
                Ok(cs) => {
                    let missing = missing_capabilities(&cs, required);
                    verdict(
                        missing.is_empty(),
                        format!("the server declares {}", describe_capabilities(required)),
                        format!(
                            "the server's CapabilityStatement does not declare {}",
                            missing.join(", ")
                        ),
                    )
                }
            }
        }
        CheckKind::StatusIs(op, value) => {
            let got = resp.status.to_string();
            verdict(
                op.test(&got, value),
                format!("status {got}"),
                format!("status should {} '{value}', got {got}", op.word()),
            )
        }
        CheckKind::NotApplicable(why) | CheckKind::Unsupported(why) => Verdict::Skip(why.clone()),
    }
}

fn describe_capabilities(required: &[(String, Vec<String>)]) -> String {
    required
        .iter()
        .map(|(t, i)| {
            let i = i.join("|");
            if t.is_empty() {
                i
            } else {
                format!("{t} {i}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The required interactions a server-mode CapabilityStatement does not
/// declare (`rest.interaction` for the system, `rest.resource.interaction`
/// for a type).
fn missing_capabilities(cs: &serde_json::Value, required: &[(String, Vec<String>)]) -> Vec<String> {
    let servers: Vec<&serde_json::Value> = cs["rest"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["mode"] == "server")
        .collect();
    let codes = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["code"].as_str().map(str::to_string))
            .collect()
    };
    required
        .iter()
        .filter(|(rtype, any_of)| {
            let declared: Vec<String> = servers
                .iter()
                .flat_map(|r| {
                    if rtype.is_empty() {
                        codes(&r["interaction"])
                    } else {
                        r["resource"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|x| x["type"] == rtype.as_str())
                            .flat_map(|x| codes(&x["interaction"]))
                            .collect()
                    }
                })
                .collect();
            !any_of.iter().any(|c| declared.contains(c))
        })
        .map(|(t, i)| describe_capabilities(&[(t.clone(), i.clone())]))
        .collect()
}

fn describe(s: &Selector) -> String {
    match s {
        Selector::FhirPath(e) => e.clone(),
        Selector::Path(p) => format!("path {p}"),
    }
}

fn quoted(values: &[String]) -> String {
    if values.is_empty() {
        return "nothing (an empty collection)".into();
    }
    let shown: Vec<String> = values.iter().take(5).map(|v| format!("'{v}'")).collect();
    format!("[{}]", shown.join(", "))
}

fn select_verdict(
    what: &str,
    values: &[String],
    test: &SelectTest,
    interpolate: &dyn Fn(&str) -> Result<String, String>,
) -> Verdict {
    match test {
        SelectTest::Empty => verdict(
            values.is_empty(),
            format!("{what}: empty"),
            format!("{what} should be empty, got {}", quoted(values)),
        ),
        SelectTest::NotEmpty => verdict(
            !values.is_empty(),
            format!("{what}: {}", quoted(values)),
            format!("{what} gives nothing"),
        ),
        SelectTest::Holds => verdict(
            !values.is_empty()
                && !matches!(values.first().map(String::as_str), Some("false" | "0" | "")),
            format!("{what} holds: {}", quoted(values)),
            format!("{what} does not hold: {}", quoted(values)),
        ),
        SelectTest::True => verdict(
            values == ["true"],
            format!("{what} is true"),
            format!("{what} should be true, got {}", quoted(values)),
        ),
        SelectTest::Compare(op, want) => {
            let want = match interpolate(want) {
                Ok(w) => w,
                Err(e) => return Verdict::Fail(e),
            };
            let ok = match values.first() {
                Some(first) => op.test(first, &want),
                // Nothing is not equal to, does not contain, is not in anything.
                None => matches!(
                    op,
                    Operator::NotEquals | Operator::NotContains | Operator::NotIn
                ),
            };
            verdict(
                ok,
                format!("{what} = {}", quoted(values)),
                format!(
                    "{what} should {} '{want}', got {}",
                    op.word(),
                    quoted(values)
                ),
            )
        }
    }
}

/// Every element and value of `minimum` in `got` (objects: each member;
/// arrays: each item matched by some item), ids and meta aside; the paths
/// of what is not there go in `missing`.
fn contains_minimum(
    minimum: &serde_json::Value,
    got: &serde_json::Value,
    at: &str,
    missing: &mut Vec<String>,
) {
    use serde_json::Value as J;
    match (minimum, got) {
        (J::Object(m), J::Object(g)) => {
            for (k, v) in m {
                // The server assigns these.
                if at.is_empty() && matches!(k.as_str(), "id" | "meta" | "text") {
                    continue;
                }
                let here = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match g.get(k) {
                    Some(gv) => contains_minimum(v, gv, &here, missing),
                    None => missing.push(here),
                }
            }
        }
        (J::Array(m), J::Array(g)) => {
            for (i, item) in m.iter().enumerate() {
                let found = g.iter().any(|gi| {
                    let mut none = Vec::new();
                    contains_minimum(item, gi, "", &mut none);
                    none.is_empty()
                });
                if !found {
                    missing.push(format!("{at}[{i}]"));
                }
            }
        }
        (m, g) if m == g => {}
        _ => missing.push(at.to_string()),
    }
}

/// A Bundle with a `self` link, and first/previous/next/last links (when
/// there) each with a URL; `next` without `first`, or `previous` without
/// `last`... are not required by FHIR, so not asked for.
fn navigation_links(b: &serde_json::Value) -> Verdict {
    if b["resourceType"] != "Bundle" {
        return Verdict::Fail(format!(
            "navigation links need a Bundle, got {}",
            b["resourceType"].as_str().unwrap_or("no FHIR resource")
        ));
    }
    let links: Vec<(&str, &str)> = b["link"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            (
                l["relation"].as_str().unwrap_or(""),
                l["url"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let mut problems = Vec::new();
    if !links.iter().any(|(r, u)| *r == "self" && !u.is_empty()) {
        problems.push("no 'self' link with a URL".to_string());
    }
    for (r, u) in &links {
        if u.is_empty() {
            problems.push(format!("link '{r}' has no URL"));
        }
    }
    let count = b["entry"].as_array().map_or(0, Vec::len);
    let total = b["total"].as_u64();
    if total.is_some_and(|t| t as usize > count) && !links.iter().any(|(r, _)| *r == "next") {
        problems.push(format!(
            "total {} with {count} entries here but no 'next' link",
            total.unwrap_or(0)
        ));
    }
    let rels: Vec<&str> = links.iter().map(|(r, _)| *r).collect();
    verdict(
        problems.is_empty(),
        format!("navigation links: {}", rels.join(", ")),
        problems.join("; "),
    )
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
