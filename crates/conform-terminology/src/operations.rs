//! The server operations: `metadata` (both modes), `$validate-code` in
//! batches (falling back to one request a question on a server without
//! batch support), `$lookup` and `$expand`.

use crate::cache::ServerInfo;
use crate::wire;
use crate::{get_json, Endpoint, Request};
use conform_outcome::terminology::{CodeAnswer, CodeQuestion};
use serde::Serialize;
use serde_json::Value;

/// `metadata` and `metadata?mode=terminology`: FHIR version, software, and
/// the code systems (with versions) the server holds.
pub fn server_info(endpoint: &Endpoint) -> Result<ServerInfo, String> {
    let cs = get_json(endpoint, &Request::get("metadata"))?;
    if cs["resourceType"] != "CapabilityStatement" {
        return Err(format!(
            "metadata answered a {}, not a CapabilityStatement",
            cs["resourceType"].as_str().unwrap_or("non-resource")
        ));
    }
    let mut info = ServerInfo {
        fhir_version: cs["fhirVersion"].as_str().map(str::to_string),
        software: cs["software"]["name"].as_str().map(str::to_string),
        software_version: cs["software"]["version"].as_str().map(str::to_string),
        fetched_at: crate::cache::now(),
        ..ServerInfo::default()
    };
    // Not every server describes its code systems; questions still go.
    if let Ok(tc) = get_json(
        endpoint,
        &Request::get("metadata").query("mode", "terminology"),
    ) {
        for c in tc["codeSystem"].as_array().into_iter().flatten() {
            if let Some(uri) = c["uri"].as_str() {
                let versions = c["version"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v["code"].as_str().map(str::to_string))
                    .collect();
                info.code_systems.insert(uri.to_string(), versions);
            }
        }
    }
    Ok(info)
}

/// One question's answer, and whether it says the server does not hold
/// the value set (so it may be asked again with the value set inline).
pub struct Asked {
    pub answer: CodeAnswer,
    pub unknown_value_set: bool,
}

impl Asked {
    fn of(q: &CodeQuestion, status: u16, body: Option<&Value>) -> Asked {
        Asked {
            answer: wire::answer(q, status, body),
            unknown_value_set: wire::names_unknown_value_set(q, status, body),
        }
    }

    fn failed(why: String) -> Asked {
        Asked {
            answer: CodeAnswer::not_checked(why),
            unknown_value_set: false,
        }
    }
}

/// Asks one batch of questions: one batch Bundle, or one request each when
/// the server refuses batches. Every question gets an answer.
pub fn validate_batch(endpoint: &Endpoint, questions: &[wire::Sent<'_>]) -> Vec<Asked> {
    let all = |why: String| {
        questions
            .iter()
            .map(|_| Asked::failed(why.clone()))
            .collect()
    };
    if questions.len() == 1 {
        return vec![validate_one(endpoint, questions[0])];
    }
    let req = Request::new("POST", "").json(&wire::batch(questions));
    let resp = match endpoint.send(&req) {
        Ok(r) => r,
        Err(e) => return all(format!("the terminology server could not be asked: {e}")),
    };
    let body = resp.json();
    let fhir_json = resp.media_type().is_some_and(|m| m.contains("json"));
    match (resp.status, &body) {
        (200..=299, Some(b)) if fhir_json && b["resourceType"] == "Bundle" => {
            let entries = b["entry"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            if entries.len() != questions.len() {
                return all(format!(
                    "the terminology server answered a batch of {} with {} entries",
                    questions.len(),
                    entries.len()
                ));
            }
            questions
                .iter()
                .zip(entries)
                .map(|((q, ..), e)| Asked::of(q, wire::entry_status(e), e.get("resource")))
                .collect()
        }
        (200..=299, _) => all(format!(
            "the terminology server's answer is not FHIR JSON (HTTP {}, {})",
            resp.status,
            resp.media_type()
                .unwrap_or_else(|| "no content type".into())
        )),
        // No batch support here: ask one by one.
        (400 | 404 | 405 | 501, _) => questions
            .iter()
            .map(|s| validate_one(endpoint, *s))
            .collect(),
        (status, Some(b)) if b["resourceType"] == "OperationOutcome" => all(format!(
            "the terminology server answered HTTP {status}: {}",
            wire::outcome_text(b)
        )),
        (status, _) => all(format!("the terminology server answered HTTP {status}")),
    }
}

/// One `$validate-code` request.
fn validate_one(endpoint: &Endpoint, (q, version, inline): wire::Sent<'_>) -> Asked {
    let req = Request::new("POST", wire::operation(q)).json(&wire::parameters(q, version, inline));
    match endpoint.send(&req) {
        Err(e) => Asked::failed(format!("the terminology server could not be asked: {e}")),
        Ok(resp) => match resp.json() {
            Some(body) if resp.media_type().is_some_and(|m| m.contains("json")) => {
                Asked::of(q, resp.status, Some(&body))
            }
            _ => Asked::failed(format!(
                "the terminology server's answer is not FHIR JSON (HTTP {}, {})",
                resp.status,
                resp.media_type()
                    .unwrap_or_else(|| "no content type".into())
            )),
        },
    }
}

/// What `$lookup` says of a concept.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Lookup {
    pub name: Option<String>,
    pub version: Option<String>,
    pub display: Option<String>,
    pub designations: Vec<String>,
    pub inactive: bool,
}

/// `CodeSystem/$lookup` of one code.
pub fn lookup(
    endpoint: &Endpoint,
    system: &str,
    code: &str,
    version: Option<&str>,
) -> Result<Lookup, String> {
    let mut req = Request::get("CodeSystem/$lookup")
        .query("system", system)
        .query("code", code);
    if let Some(v) = version {
        req = req.query("version", v);
    }
    let p = get_json(endpoint, &req)?;
    let params = p["parameter"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let text = |name: &str| {
        params
            .iter()
            .find(|x| x["name"] == name)
            .and_then(|x| x["valueString"].as_str())
            .map(str::to_string)
    };
    let part = |x: &Value, name: &str| -> Option<Value> {
        x["part"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
    };
    Ok(Lookup {
        name: text("name"),
        version: text("version"),
        display: text("display"),
        designations: params
            .iter()
            .filter(|x| x["name"] == "designation")
            .filter_map(|x| {
                part(x, "value")?["valueString"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect(),
        inactive: params.iter().filter(|x| x["name"] == "property").any(|x| {
            part(x, "code").is_some_and(|c| c["valueCode"] == "inactive")
                && part(x, "value").is_some_and(|v| v["valueBoolean"] == true)
        }),
    })
}

/// `ValueSet/$expand` of a value set, at most `count` codes: the codes as
/// (system, code, display).
pub fn expand(
    endpoint: &Endpoint,
    url: &str,
    count: usize,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    let req = Request::get("ValueSet/$expand")
        .query("url", url)
        .query("count", &count.to_string());
    let vs = get_json(endpoint, &req)?;
    let mut out = Vec::new();
    fn walk(contains: &Value, out: &mut Vec<(String, String, Option<String>)>) {
        for c in contains.as_array().into_iter().flatten() {
            if let (Some(s), Some(code)) = (c["system"].as_str(), c["code"].as_str()) {
                out.push((
                    s.to_string(),
                    code.to_string(),
                    c["display"].as_str().map(str::to_string),
                ));
            }
            walk(&c["contains"], out);
        }
    }
    walk(&vs["expansion"]["contains"], &mut out);
    Ok(out)
}
