//! TestScript operations → planned steps: the request (type, resource,
//! params or url, source and target fixtures, headers), the region of its
//! destination, and what its response fills (`responseId`).

use super::assert::unsupported;
use super::Compiler;
use crate::plan::{Body, Capture, PlannedStep};
use serde_json::Value;

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
    "requestId",
    "responseId",
    "id",
    "extension",
    "modifierExtension",
    "sourceId",
    "targetId",
    "url",
];

impl Compiler<'_> {
    pub(super) fn operation(
        &mut self,
        op: &Value,
        group: Option<String>,
    ) -> Result<PlannedStep, String> {
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
        // `params` is the path after [type] when given; else the target's
        // id, else (update) the id of the resource sent.
        let instance = |c: &Self, rtype: &str| -> String {
            if !params.is_empty() {
                return format!("{rtype}{params}");
            }
            match target_id(c, "targetId").or_else(|| target_id(c, "sourceId")) {
                Some(id) => format!("{rtype}/{id}"),
                None => rtype.to_string(),
            }
        };
        let body_type = op["sourceId"]
            .as_str()
            .and_then(|s| self.out.fixtures.get(s))
            .and_then(|f| f["resourceType"].as_str())
            .unwrap_or(resource)
            .to_string();
        // HTTP for each operation type (testscript-operation-codes, and
        // any other code a named operation `$code`).
        let history = |c: &Self| -> String {
            match target_id(c, "targetId") {
                Some(id) => format!("{resource}/{id}/_history{params}"),
                None if !resource.is_empty() => format!("{resource}/_history{params}"),
                None => format!("_history{params}"),
            }
        };
        let (method, path) = match code {
            "read" => ("GET", instance(self, resource)),
            "vread" => match target_id(self, "targetId") {
                Some(id) if params.is_empty() => {
                    let t = op["targetId"].as_str().unwrap_or("");
                    let version = self
                        .out
                        .fixtures
                        .get(t)
                        .and_then(|f| f["meta"]["versionId"].as_str())
                        .map_or(format!("${{__vid.{t}}}"), str::to_string);
                    ("GET", format!("{resource}/{id}/_history/{version}"))
                }
                _ => ("GET", instance(self, resource)),
            },
            "search" => ("GET", format!("{resource}{params}")),
            "history" => ("GET", history(self)),
            "create" => ("POST", format!("{body_type}{params}")),
            "update" | "updateCreate" => ("PUT", instance(self, &body_type)),
            "patch" => ("PATCH", instance(self, resource)),
            "delete" => ("DELETE", instance(self, resource)),
            "deleteCondSingle" | "deleteCondMultiple" => ("DELETE", format!("{resource}{params}")),
            "capabilities" => ("GET", "metadata".to_string()),
            "transaction" | "batch" => ("POST", String::new()),
            "" if op["method"].is_string() => ("", String::new()),
            "" => {
                self.out.unsupported.push(format!(
                    "{}: an operation with neither type nor method",
                    step.id
                ));
                step.checks
                    .push(unsupported("an operation with neither type nor method"));
                ("GET", "metadata".to_string())
            }
            name => {
                let name = name.trim_start_matches('$');
                let on = match target_id(self, "targetId") {
                    Some(id) => format!("{resource}/{id}/"),
                    None if !resource.is_empty() => format!("{resource}/"),
                    None => String::new(),
                };
                let method = if op["sourceId"].is_string() {
                    "POST"
                } else {
                    "GET"
                };
                (method, format!("{on}${name}{params}"))
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
        // `encodeRequestUrl` (default true): the query of `params` is sent
        // encoded, as a RESTful client sends it (`|`, `+`, spaces...), from
        // what the script wrote, encoded or not; `false` sends it as written.
        if op["encodeRequestUrl"] != false && op["url"].is_null() {
            if let Some((path, query)) = step.path.split_once('?') {
                step.params = query_pairs(query);
                step.path = path.to_string();
            }
        }
        step.writes =
            matches!(step.method.as_str(), "POST" | "PUT" | "DELETE" | "PATCH") && code != "search";
        if let Some(src) = op["sourceId"].as_str() {
            if matches!(step.method.as_str(), "POST" | "PUT" | "PATCH") {
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
                step.headers.push((f.to_string(), v.to_string().into()));
            }
        }
        // The body goes in the content type asked for (XML converted when
        // the step is built); a content type without a body is not sent.
        if let (Some(ct), Some(_)) = (op["contentType"].as_str(), &step.body) {
            step.headers.push(("Content-Type".into(), mime(ct).into()));
        } else if code == "patch" {
            let json_patch = op["sourceId"]
                .as_str()
                .and_then(|s| self.out.fixtures.get(s))
                .is_some_and(Value::is_array);
            if json_patch {
                step.headers.push((
                    "Content-Type".into(),
                    "application/json-patch+json".to_string().into(),
                ));
            }
        }
        if let Some(a) = op["accept"].as_str() {
            step.headers.push(("Accept".into(), mime(a).into()));
        }
        if [op["accept"].as_str(), op["contentType"].as_str()].contains(&Some("xml")) {
            self.out.needs_definitions = true;
        }
        if let Some(r) = response_id {
            step.captures
                .push((format!("__id.{r}"), Capture::FhirPath("id".into())));
            step.soft_captures.push((
                format!("__vid.{r}"),
                Capture::FhirPath("meta.versionId".into()),
            ));
            step.keep_as.push(r.to_string());
        }
        if let Some(r) = op["requestId"].as_str() {
            step.keep_as.push(r.to_string());
        }
        Ok(step)
    }
}

fn mime(code: &str) -> String {
    match code {
        "json" => "application/fhir+json".into(),
        "xml" => "application/fhir+xml".into(),
        other => other.into(),
    }
}

/// The `name=value` pairs of a query as written, each percent-decoded (a
/// `+` stays a plus: it is a literal in the FHIR search values scripts
/// write, such as a time zone), to be encoded again when sent.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_query_is_read_as_written_encoded_or_not() {
        assert_eq!(
            super::query_pairs("identifier=http://x|1&_lastUpdated=gt2020-01-01T00:00:00+01:00"),
            [
                ("identifier".to_string(), "http://x|1".to_string()),
                ("_lastUpdated".into(), "gt2020-01-01T00:00:00+01:00".into())
            ]
        );
        assert_eq!(
            super::query_pairs("identifier=http%3A%2F%2Fx%7C1&given=${name}&_summary"),
            [
                ("identifier".to_string(), "http://x|1".to_string()),
                ("given".into(), "${name}".into()),
                ("_summary".into(), String::new())
            ]
        );
    }
}
