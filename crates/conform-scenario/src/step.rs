//! One step: build the request (variables, fixture bodies with
//! overrides), send it (repeating under `retry` until `until` or the checks
//! hold), check the response, capture variables, and record the exchange
//! with every secret redacted.

use crate::assert::{check, eval, eval_true, Env, Kept, Sent};
use crate::curl::curl_line;
use crate::interp::{interpolate, interpolate_json, Vars};
use crate::plan::{Body, Capture, HeaderValue, PlannedStep};
use crate::result::{ExchangeRecord, HttpRecord, Outcome, Phase, Requirement, Status, StepResult};
use crate::validate::BodyValidator;
use conform_endpoint::{AuthConfig, Endpoint, Request, Response};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

/// Bodies longer than this are cut in the recorded exchange.
const MAX_RECORDED_BODY: usize = 256 * 1024;

pub struct StepContext<'a> {
    pub endpoint: &'a Endpoint,
    pub vars: &'a mut Vars,
    pub fixtures: &'a BTreeMap<String, Value>,
    pub validator: Option<&'a dyn BodyValidator>,
    /// Sent as `X-Correlation-ID` on every request of the scenario.
    pub correlation_id: &'a str,
    /// Exchanges kept by name (TestScript `requestId`, `responseId`).
    pub kept: &'a mut BTreeMap<String, Kept>,
}

/// A result with no request sent (skipped, or refused).
pub fn not_run(step: &PlannedStep, phase: Phase, status: Status, reason: String) -> StepResult {
    StepResult {
        id: step.id.clone(),
        name: step.name.clone(),
        phase,
        group: step.group.clone(),
        region: step.on.clone(),
        writes: step.writes,
        status,
        reason: Some(reason),
        duration_ms: 0,
        attempts: 0,
        assertions: Vec::new(),
        captures: BTreeMap::new(),
        exchange: None,
    }
}

/// A step's own SHALL check (`request`, `until`, `capture.<var>`) that did
/// not hold, or (with [`Status::Error`]) could not be made.
pub(crate) fn step_check(id: &str, status: Status, message: String) -> Outcome {
    Outcome::check(id, Requirement::Shall, status, message)
}

fn failed(id: &str, message: String) -> Outcome {
    step_check(id, Status::Fail, message)
}

pub fn execute(step: &PlannedStep, phase: Phase, ctx: &mut StepContext) -> StepResult {
    let start = Instant::now();
    let mut result = not_run(step, phase, Status::Pass, String::new());
    result.reason = None;
    let req = match build(step, ctx) {
        Ok(r) => r,
        // Teardown for something never created: nothing to undo.
        Err(e) if phase == Phase::Teardown && e.starts_with("unknown variable") => {
            result.status = Status::Skip;
            result.reason = Some(format!(
                "not run: {e} (the step that captures it did not run)"
            ));
            return result;
        }
        Err(e) => {
            result.status = Status::Fail;
            result.assertions.push(failed("request", e.clone()));
            result.reason = Some(e);
            return result;
        }
    };
    if let Err(e) = same_origin(ctx.endpoint, &req) {
        result.status = Status::Fail;
        result.assertions.push(failed("request", e.clone()));
        result.reason = Some(e);
        return result;
    }
    let vars = ctx.vars.clone();
    let interp = |s: &str| interpolate(s, &vars);
    let sent_request = Sent {
        method: req.method.clone(),
        url: ctx
            .endpoint
            .url(&req)
            .map(|u| u.to_string())
            .unwrap_or(req.target.clone()),
        headers: req.headers.clone(),
    };
    // Read while the checks run; this step's exchange is added after.
    let kept: &BTreeMap<String, Kept> = ctx.kept;
    let (fixtures, validator) = (ctx.fixtures, ctx.validator);

    let mut attempts = 0;
    let sent = loop {
        attempts += 1;
        let sent = ctx.endpoint.send(&req);
        let Some(retry) = step.retry else { break sent };
        let satisfied = match (&sent, &step.until) {
            (Ok(resp), Some(u)) => interp(u)
                .and_then(|u| eval_true(&resp.body, &u, ctx.validator))
                .unwrap_or(false),
            (Ok(resp), None) => step.checks.iter().all(|c| {
                let env = Env {
                    response: resp,
                    request: &sent_request,
                    kept,
                    fixtures,
                    validator,
                    interpolate: &interp,
                };
                check(c, &env).status != Status::Fail
            }),
            (Err(_), _) => false,
        };
        if satisfied
            || start.elapsed() + retry.every > retry.limit
            || attempts >= crate::compile::MAX_RETRY_ATTEMPTS
        {
            break sent;
        }
        std::thread::sleep(retry.every);
    };
    result.attempts = attempts;
    let redactor = ctx.endpoint.redactor();
    let resp = match sent {
        Ok(r) => r,
        // No answer at all is not a failed check but one that could not be
        // made: `error`, which the exit code tells apart (infrastructure).
        Err(e) => {
            let m = redactor.redact(&format!("no response from {}: {e}", step.on));
            result.exchange = Some(record(ctx.endpoint, &req, None));
            result.status = Status::Error;
            result
                .assertions
                .push(step_check("request", Status::Error, m.clone()));
            result.reason = Some(m);
            result.duration_ms = start.elapsed().as_millis() as u64;
            return result;
        }
    };
    if let (Some(retry), Some(u)) = (step.retry, &step.until) {
        let held = interp(u)
            .and_then(|u| eval_true(&resp.body, &u, ctx.validator))
            .unwrap_or(false);
        let message = if held {
            format!("{u} after {attempts} attempt(s)")
        } else {
            format!(
                "still not true after {attempts} attempt(s) in {:?}: {u}",
                retry.limit
            )
        };
        let status = if held { Status::Pass } else { Status::Fail };
        result.assertions.push(step_check("until", status, message));
    }
    let env = Env {
        response: &resp,
        request: &sent_request,
        kept,
        fixtures,
        validator,
        interpolate: &interp,
    };
    for c in &step.checks {
        let mut a = check(c, &env);
        a.message = redactor.redact(&a.message);
        result.assertions.push(a);
    }
    for (var, from) in step.captures.iter().chain(&step.soft_captures) {
        let got = capture(from, &resp, ctx.validator);
        // `__id.<responseId>` (TestScript targetId) is best effort: the body's
        // id, else the id in Location; nothing when neither is there.
        let got = match (got, var.starts_with("__id.")) {
            (Err(_), true) => match resp.header("location").and_then(location_id) {
                Some(id) => Ok(id),
                None => continue,
            },
            (Err(_), false) if step.soft_captures.iter().any(|(v, _)| v == var) => continue,
            (g, _) => g,
        };
        match got {
            Ok(v) => {
                ctx.vars.insert(var.clone(), v.clone());
                result.captures.insert(var.clone(), redactor.redact(&v));
            }
            Err(e) => result
                .assertions
                .push(failed(&format!("capture.{var}"), redactor.redact(&e))),
        }
    }
    result.exchange = Some(record(ctx.endpoint, &req, Some(&resp)));
    for name in &step.keep_as {
        ctx.kept.insert(
            name.clone(),
            Kept {
                request: sent_request.clone(),
                response: resp.clone(),
            },
        );
    }
    if let Some(a) = result.assertions.iter().find(|a| a.status.is_failure()) {
        result.status = a.status;
        result.reason = Some(format!("{}: {}", a.rule, a.message));
    }
    result.duration_ms = start.elapsed().as_millis() as u64;
    result
}

/// An absolute URL (a captured link, a pointer's URL) must stay on the
/// region's own scheme, host and port: the region's credentials are never
/// sent anywhere a server's answer points to.
fn same_origin(endpoint: &Endpoint, req: &Request) -> Result<(), String> {
    let url = endpoint.url(req).map_err(|e| e.to_string())?;
    let base = endpoint.url(&Request::get("")).map_err(|e| e.to_string())?;
    if url.origin() == base.origin() {
        Ok(())
    } else {
        Err(format!(
            "refusing to send region '{}''s request to {} (not the region's host): use a step on the region that serves it",
            endpoint.region().name,
            endpoint.redactor().redact(url.as_str())
        ))
    }
}

/// The id in a `Location` like `.../Patient/123/_history/1`.
fn location_id(loc: &str) -> Option<String> {
    let parts: Vec<&str> = loc.trim_end_matches('/').split('/').collect();
    let i = parts
        .iter()
        .position(|p| *p == "_history")
        .unwrap_or(parts.len());
    (i >= 1).then(|| parts[i - 1].to_string())
}

pub(crate) fn capture(
    from: &Capture,
    resp: &Response,
    v: Option<&dyn BodyValidator>,
) -> Result<String, String> {
    match from {
        Capture::Header(h) => resp
            .header(h)
            .map(str::to_string)
            .ok_or_else(|| format!("no {h} header to capture")),
        Capture::Body(measure) => Ok(measure.of(&resp.body)),
        Capture::FhirPath(expr) => {
            let values = eval(&resp.body, expr, v)?;
            match values.first() {
                Some(Some(v)) => Ok(conform_fhirpath::value_to_string(v)),
                Some(None) => Err(format!("'{expr}' gave an element, not a value")),
                None => Err(format!("nothing to capture: '{expr}' gave nothing")),
            }
        }
        Capture::Path(path) => {
            let values =
                crate::assert::with_model(v, |m| crate::body::select(&resp.body, path, m))?;
            match values.first() {
                Some(first) => Ok(first.clone()),
                None => Err(format!("nothing to capture: path '{path}' selects nothing")),
            }
        }
    }
}

fn build(step: &PlannedStep, ctx: &StepContext) -> Result<Request, String> {
    let vars = &*ctx.vars;
    let mut req = Request::new(&step.method, &interpolate(&step.path, vars)?);
    if step.anonymous {
        req = req.without_auth();
    }
    if step.stop_at_redirects {
        req = req.without_redirects();
    }
    for (k, v) in &step.params {
        req = req.query(k, &interpolate(v, vars)?);
    }
    let has = |name: &str| {
        step.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has("Accept") {
        req = req.header("Accept", "application/fhir+json");
    }
    if !has("X-Request-ID") {
        req = req.header("X-Request-ID", &uuid::Uuid::new_v4().to_string());
    }
    if !has("X-Correlation-ID") {
        req = req.header("X-Correlation-ID", ctx.correlation_id);
    }
    for (k, v) in &step.headers {
        req = req.header(k, &header_value(v, vars)?);
    }
    if let Some(call) = &step.gp_connect {
        req = gp_connect_headers(req, call, ctx)?;
    }
    if let Some(Body::Form(fields)) = &step.body {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, &interpolate(v, vars)?);
        }
        req.body = Some(form.finish().into_bytes());
        if !has("Content-Type") {
            req = req.header("Content-Type", "application/x-www-form-urlencoded");
        }
        return Ok(req);
    }
    let body = match &step.body {
        None | Some(Body::Form(_)) => None,
        Some(Body::Inline(v)) => Some(interpolate_json(v, vars)?),
        Some(Body::Fixture { name, set }) => {
            let mut doc = ctx
                .fixtures
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no fixture '{name}'"))?;
            for (path, value) in set {
                set_path(&mut doc, path, interpolate_json(value, vars)?)?;
            }
            Some(interpolate_json(&doc, vars)?)
        }
    };
    if let Some(b) = body {
        let json = b.to_string().into_bytes();
        let xml = step.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("Content-Type")
                && matches!(v, HeaderValue::Text(t) if t.contains("xml"))
        });
        // A step that says it sends XML sends the body as FHIR XML.
        req.body = Some(if xml {
            crate::assert::with_model(ctx.validator, |m| {
                crate::body::xml_form(&json, m).map(|x| x.into_owned())
            })?
        } else {
            json
        });
        if !has("Content-Type") {
            req = req.header("Content-Type", "application/fhir+json");
        }
    }
    Ok(req)
}

/// A header's value with its variables filled in, base64-encoded when
/// the step asks for that.
fn header_value(value: &HeaderValue, vars: &Vars) -> Result<String, String> {
    use base64::Engine;
    match value {
        HeaderValue::Text(t) => interpolate(t, vars),
        HeaderValue::Base64(v) => {
            let text = match interpolate_json(v, vars)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            Ok(base64::engine::general_purpose::STANDARD.encode(text))
        }
    }
}

/// The SSP headers and the audit JWT of a GP Connect call, from the
/// region's `gp_connect` settings and the step's interaction.
fn gp_connect_headers(
    req: Request,
    call: &crate::model::GpConnectCall,
    ctx: &StepContext,
) -> Result<Request, String> {
    let region = ctx.endpoint.region();
    let Some(settings) = region.gp_connect.as_ref() else {
        return Err(format!(
            "region '{}' has no gp_connect settings, which a GP Connect call needs (docs/regions.md)",
            region.name
        ));
    };
    let vars = &*ctx.vars;
    let or = |value: &Option<String>, default: &str| match value {
        Some(v) => interpolate(v, vars),
        None => Ok(default.to_string()),
    };
    let audience = or(&call.audience, region.base_url.trim_end_matches('/'))?;
    let scope = or(&call.scope, "patient/*.read")?;
    let token = conform_endpoint::gp_connect::mint(
        settings,
        &audience,
        &scope,
        conform_endpoint::gp_connect::LIFETIME_SECS,
    );
    Ok(req
        .header("Ssp-TraceID", &uuid::Uuid::new_v4().to_string())
        .header("Ssp-From", &settings.consumer_asid)
        .header("Ssp-To", &or(&call.to_asid, &settings.provider_asid)?)
        .header("Ssp-InteractionID", &interpolate(&call.interaction, vars)?)
        .header("Authorization", &format!("Bearer {token}")))
}

/// Sets `a.b[0].c` in a JSON value, creating objects on the way.
pub fn set_path(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut cur = doc;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (
                n,
                Some(
                    rest.trim_end_matches(']')
                        .parse::<usize>()
                        .map_err(|_| format!("bad index in '{path}'"))?,
                ),
            ),
            None => (part, None),
        };
        let obj = cur
            .as_object_mut()
            .ok_or_else(|| format!("'{path}': '{name}' is not inside an object"))?;
        cur = obj.entry(name.to_string()).or_insert(Value::Null);
        if let Some(i) = index {
            let arr = cur
                .as_array_mut()
                .ok_or_else(|| format!("'{path}': '{name}' is not a list"))?;
            cur = arr
                .get_mut(i)
                .ok_or_else(|| format!("'{path}': '{name}' has no item {i}"))?;
        }
    }
    *cur = value;
    Ok(())
}

/// Whether a body is text a report may show: a textual media type (or
/// none given) and valid UTF-8. Anything else (a PDF, an image) is
/// recorded as its length and SHA-1 only.
fn is_text(media_type: Option<&str>, b: &[u8]) -> bool {
    let textual = media_type.is_none_or(|m| {
        let m = m
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        m.is_empty()
            || m.starts_with("text/")
            || m.ends_with("/json")
            || m.ends_with("+json")
            || m.ends_with("/xml")
            || m.ends_with("+xml")
            || m == "application/x-www-form-urlencoded"
            || m == "application/jwt"
    });
    textual && std::str::from_utf8(b).is_ok()
}

/// A body as the evidence holds it: text (cut past [`MAX_RECORDED_BODY`]),
/// or for binary content a line with its type, length and SHA-1.
fn recorded_body(media_type: Option<&str>, b: &[u8]) -> Option<String> {
    if b.is_empty() || is_text(media_type, b) {
        return body_text(b);
    }
    Some(format!(
        "[binary body not recorded: {} bytes, {}, SHA-1 {}]",
        b.len(),
        media_type.unwrap_or("no Content-Type"),
        crate::plan::sha1_base64(b)
    ))
}

fn body_text(b: &[u8]) -> Option<String> {
    if b.is_empty() {
        return None;
    }
    let cut = b.len() > MAX_RECORDED_BODY;
    let mut s = String::from_utf8_lossy(&b[..b.len().min(MAX_RECORDED_BODY)]).into_owned();
    if cut {
        s.push_str(&format!("\n[cut: {} bytes in all]", b.len()));
    }
    Some(s)
}

fn record(endpoint: &Endpoint, req: &Request, resp: Option<&Response>) -> ExchangeRecord {
    let r = endpoint.redactor();
    let url = endpoint
        .url(req)
        .map(|u| u.to_string())
        .unwrap_or(req.target.clone());
    let mut headers: Vec<(String, String)> = endpoint
        .region()
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers.extend(req.headers.iter().cloned());
    // A token a step sends itself (GP Connect's audit JWT) is no more
    // evidence than the region's own.
    let headers: Vec<(String, String)> = headers
        .into_iter()
        .map(|(k, v)| {
            let v = if k.eq_ignore_ascii_case("authorization") {
                format!("Bearer {}", conform_endpoint::REDACTED)
            } else {
                r.redact(&v)
            };
            (k, v)
        })
        .collect();
    let req_type = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    let req_body = req
        .body
        .as_deref()
        .and_then(|b| recorded_body(req_type, b))
        .map(|b| r.redact(&b));
    let authenticated = req.authenticate && !matches!(endpoint.region().auth, AuthConfig::None);
    let curl = r.redact(&curl_line(
        &req.method,
        &url,
        &headers,
        req_body.as_deref(),
        authenticated,
    ));
    ExchangeRecord {
        request: HttpRecord {
            method: Some(req.method.clone()),
            url: Some(r.redact(&url)),
            status: None,
            headers,
            body: req_body,
        },
        response: resp.map(|resp| HttpRecord {
            method: None,
            url: None,
            status: Some(resp.status),
            headers: resp
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), r.redact(v)))
                .collect(),
            body: recorded_body(resp.header("content-type"), &resp.body).map(|b| r.redact(&b)),
        }),
        curl,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn binary_bodies_are_recorded_as_length_and_hash() {
        let pdf = b"%PDF-1.4\n\xff\xfe binary";
        let got = super::recorded_body(Some("application/pdf"), pdf).unwrap();
        assert!(
            got.starts_with("[binary body not recorded: 18 bytes, application/pdf, SHA-1 "),
            "{got}"
        );
        assert!(!got.contains("PDF-1.4"));
        // Text that is not UTF-8 is binary too; JSON and HTML are text.
        assert!(super::recorded_body(Some("text/html"), b"\xff\xfe")
            .unwrap()
            .starts_with("[binary"));
        assert_eq!(
            super::recorded_body(Some("text/html; charset=utf-8"), b"<p>hi</p>").unwrap(),
            "<p>hi</p>"
        );
        assert_eq!(
            super::recorded_body(Some("application/fhir+json"), b"{}").unwrap(),
            "{}"
        );
    }

    #[test]
    fn form_encoding() {
        // what a form body's field becomes (url's application/x-www-form-urlencoded)
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("subject:identifier", "https://x|9 0");
        assert_eq!(form.finish(), "subject%3Aidentifier=https%3A%2F%2Fx%7C9+0");
    }
}
