//! The FHIR R4 terminology operations: `$validate-code` (ValueSet and
//! CodeSystem), `$lookup`, `$expand`, and the two `/metadata` answers.
//! Each takes the operation's parameters and gives an HTTP status with a
//! FHIR resource; transport (auth, faults, batches) is in `mod.rs`.

use super::content::{expand, CodeSystem, Concept, ExpandError, Expansion, Library};
use crate::httpd::decode;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) const TX_ISSUE_TYPE: &str = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type";
pub(crate) const SOFTWARE: &str = "conform tx test server";
/// Expansions larger than this need `count`.
pub(crate) const MAX_EXPANSION: usize = 1000;

/// An answer: HTTP status and a FHIR resource.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply { status: 200, body }
    }
    pub fn error(status: u16, code: &str, text: impl Into<String>) -> Reply {
        Reply {
            status,
            body: outcome(code, &text.into()),
        }
    }
}

/// A one-issue OperationOutcome (severity error).
pub(crate) fn outcome(code: &str, text: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "details": {"text": text}, "diagnostics": text}]
    })
}

/// Operation parameters from a query string, a form or a `Parameters`
/// resource, as (name, value) with primitive values as JSON strings.
#[derive(Default, Debug)]
pub(crate) struct Params(pub Vec<(String, Value)>);

impl Params {
    pub fn from_query(q: &str) -> Params {
        Params(
            q.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (decode(k), Value::String(decode(v)))
                })
                .collect(),
        )
    }

    pub fn from_parameters(p: &Value) -> Result<Params, String> {
        if p["resourceType"] != "Parameters" {
            return Err(format!(
                "The body must be a Parameters resource, not {}",
                p["resourceType"].as_str().unwrap_or("something else")
            ));
        }
        let mut out = Vec::new();
        for param in p["parameter"].as_array().into_iter().flatten() {
            let Some(name) = param["name"].as_str() else {
                continue;
            };
            let value = param.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.starts_with("value") || *k == "resource")
                    .map(|(_, v)| v.clone())
            });
            if let Some(v) = value {
                out.push((name.to_string(), v));
            }
        }
        Ok(Params(out))
    }

    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn str(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn usize(&self, name: &str) -> Result<Option<usize>, Reply> {
        match self.str(name) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| {
                Reply::error(
                    400,
                    "invalid",
                    format!("The parameter '{name}' must be a whole number, not '{s}'"),
                )
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// validate-code

struct Coding {
    system: Option<String>,
    version: Option<String>,
    code: String,
    display: Option<String>,
}

impl Coding {
    fn from_json(v: &Value) -> Option<Coding> {
        Some(Coding {
            system: v["system"].as_str().map(str::to_string),
            version: v["version"].as_str().map(str::to_string),
            code: v["code"].as_str()?.to_string(),
            display: v["display"].as_str().map(str::to_string),
        })
    }
}

struct Issue {
    severity: &'static str,
    code: &'static str,
    tx: &'static str,
    text: String,
    expression: String,
}

#[derive(Default)]
struct Verdict {
    result: bool,
    code: Option<String>,
    system: Option<String>,
    version: Option<String>,
    display: Option<String>,
    inactive: bool,
    issues: Vec<Issue>,
    unknown_system: Option<String>,
}

/// The value set a coding is checked against.
struct VsContext<'a> {
    canonical: String,
    expansion: &'a Expansion,
}

fn at(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

fn check_coding(lib: &Library, c: &Coding, prefix: &str, vs: Option<&VsContext>) -> Verdict {
    let mut v = Verdict {
        code: Some(c.code.clone()),
        system: c.system.clone(),
        ..Verdict::default()
    };
    let Some(system) = c.system.as_deref() else {
        v.issues.push(Issue {
            severity: "error",
            code: "invalid",
            tx: "invalid-data",
            text: "Coding has no system. A code with no system has no defined meaning, and it cannot be validated. A system should be provided".into(),
            expression: prefix_or(prefix, "code"),
        });
        return v;
    };
    let Some(cs) = lib.code_system(system, c.version.as_deref()) else {
        let canonical = match &c.version {
            Some(ver) => format!("{system}|{ver}"),
            None => system.to_string(),
        };
        let known = lib.code_system_versions(system);
        let text = match (&c.version, known.is_empty()) {
            (Some(ver), false) => format!(
                "A definition for CodeSystem '{system}' version '{ver}' could not be found, so the code cannot be validated. Valid versions: {}",
                known.join(", ")
            ),
            _ => format!(
                "A definition for CodeSystem '{system}' could not be found, so the code cannot be validated"
            ),
        };
        v.issues.push(Issue {
            severity: "error",
            code: "not-found",
            tx: "not-found",
            text,
            expression: at(prefix, "system"),
        });
        v.unknown_system = Some(canonical);
        return v;
    };
    v.version = cs.version.clone();
    v.system = Some(cs.url.clone());
    let concept = cs.find(&c.code);
    v.result = true;
    match concept {
        Some(concept) => {
            v.code = Some(concept.code.clone());
            v.display = concept.display.clone();
            v.inactive = concept.inactive;
            if let Some(d) = &c.display {
                check_display(&cs, concept, d, prefix, &mut v);
            }
            if concept.inactive {
                v.issues.push(Issue {
                    severity: "warning",
                    code: "business-rule",
                    tx: "status-check",
                    text: format!(
                        "The concept '{}' has a status of inactive and its use should be reviewed",
                        concept.code
                    ),
                    expression: prefix_or(prefix, "code"),
                });
            }
        }
        None if cs.complete() => {
            v.result = false;
            v.issues.push(Issue {
                severity: "error",
                code: "code-invalid",
                tx: "invalid-code",
                text: match &cs.version {
                    Some(ver) => format!(
                        "Unknown code '{}' in the CodeSystem '{}' version '{ver}'",
                        c.code, cs.url
                    ),
                    None => format!("Unknown code '{}' in the CodeSystem '{}'", c.code, cs.url),
                },
                expression: at(prefix, "code"),
            });
        }
        None => {
            // The HL7 convention (UNKNOWN_CODE_IN_FRAGMENT): an incomplete
            // code system cannot prove a code wrong; warn, do not fail.
            v.issues.push(Issue {
                severity: "warning",
                code: "code-invalid",
                tx: "invalid-code",
                text: format!(
                    "Unknown Code '{}' in the CodeSystem '{}' version '{}' - note that the code system is labeled as {}, so the code may be valid in some other fragment",
                    c.code,
                    cs.url,
                    cs.version.as_deref().unwrap_or(""),
                    match cs.content.as_str() {
                        "example" => "an example",
                        "not-present" => "content not-present",
                        _ => "a fragment",
                    }
                ),
                expression: at(prefix, "code"),
            });
        }
    }
    if let Some(vs) = vs {
        let member = vs.expansion.contains(&cs.url, &c.code)
            || (concept.is_none() && vs.expansion.open_systems.contains(&cs.url));
        if !member {
            v.result = false;
            v.issues.push(Issue {
                severity: "error",
                code: "code-invalid",
                tx: "not-in-vs",
                text: format!(
                    "The provided code '{}#{}' was not found in the value set '{}'",
                    cs.url, c.code, vs.canonical
                ),
                expression: at(prefix, "code"),
            });
        }
    }
    v
}

/// The coding itself (tx.fhir.org points inactive issues at the coding).
fn prefix_or(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        prefix.to_string()
    }
}

fn check_display(cs: &CodeSystem, concept: &Concept, given: &str, prefix: &str, v: &mut Verdict) {
    let valid: Vec<&str> = concept
        .display
        .iter()
        .map(String::as_str)
        .chain(concept.designations.iter().map(|d| d.value.as_str()))
        .collect();
    if valid.is_empty() || valid.iter().any(|d| d.eq_ignore_ascii_case(given.trim())) {
        return;
    }
    let choices = if valid.len() == 1 {
        format!("Valid display is '{}'", valid[0])
    } else {
        let quoted: Vec<String> = valid.iter().map(|d| format!("'{d}'")).collect();
        format!(
            "Valid display is one of {} choices: {}",
            valid.len(),
            quoted.join(", ")
        )
    };
    v.result = false;
    v.issues.push(Issue {
        severity: "error",
        code: "invalid",
        tx: "invalid-display",
        text: format!(
            "Wrong Display Name '{given}' for {}#{}. {choices} (for the language(s) '--')",
            cs.url, concept.code
        ),
        expression: at(prefix, "display"),
    });
}

fn verdict_parameters(v: &Verdict) -> Value {
    let mut p: Vec<Value> = vec![json!({"name": "result", "valueBoolean": v.result})];
    let errors: Vec<&str> = v
        .issues
        .iter()
        .filter(|i| i.severity == "error")
        .map(|i| i.text.as_str())
        .collect();
    let warnings: Vec<&str> = v
        .issues
        .iter()
        .filter(|i| i.severity != "error")
        .map(|i| i.text.as_str())
        .collect();
    let message = if errors.is_empty() { warnings } else { errors };
    if !message.is_empty() {
        p.push(json!({"name": "message", "valueString": message.join("; ")}));
    }
    if let Some(d) = &v.display {
        p.push(json!({"name": "display", "valueString": d}));
    }
    if let Some(c) = &v.code {
        p.push(json!({"name": "code", "valueCode": c}));
    }
    if let Some(s) = &v.system {
        p.push(json!({"name": "system", "valueUri": s}));
    }
    if let Some(ver) = &v.version {
        p.push(json!({"name": "version", "valueString": ver}));
    }
    if v.inactive {
        p.push(json!({"name": "inactive", "valueBoolean": true}));
    }
    if let Some(u) = &v.unknown_system {
        p.push(json!({"name": "x-caused-by-unknown-system", "valueCanonical": u}));
    }
    if !v.issues.is_empty() {
        let issues: Vec<Value> = v
            .issues
            .iter()
            .map(|i| {
                json!({
                    "severity": i.severity,
                    "code": i.code,
                    "details": {
                        "coding": [{"system": TX_ISSUE_TYPE, "code": i.tx}],
                        "text": i.text
                    },
                    "expression": [i.expression]
                })
            })
            .collect();
        p.push(json!({"name": "issues", "resource": {"resourceType": "OperationOutcome", "issue": issues}}));
    }
    json!({"resourceType": "Parameters", "parameter": p})
}

/// What is to be validated, from `code`/`system`/..., `coding` or
/// `codeableConcept`, with the expression prefix issues use.
enum Subject {
    One(Coding, &'static str),
    Concept(Vec<Coding>),
}

fn subject(p: &Params, system_param: &str) -> Result<Subject, Reply> {
    if let Some(cc) = p.value("codeableConcept") {
        let codings: Vec<Coding> = cc["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Coding::from_json)
            .collect();
        if codings.is_empty() {
            return Err(Reply::error(
                400,
                "invalid",
                "The codeableConcept has no coding with a code",
            ));
        }
        return Ok(Subject::Concept(codings));
    }
    if let Some(c) = p.value("coding") {
        let coding = Coding::from_json(c)
            .ok_or_else(|| Reply::error(400, "invalid", "The coding has no code"))?;
        return Ok(Subject::One(coding, "Coding"));
    }
    let code = p.str("code").ok_or_else(|| {
        Reply::error(
            400,
            "invalid",
            "No code to validate: give code (with system), coding or codeableConcept",
        )
    })?;
    Ok(Subject::One(
        Coding {
            system: p.str(system_param),
            version: p.str("systemVersion").or_else(|| p.str("version")),
            code,
            display: p.str("display"),
        },
        "",
    ))
}

fn validate(lib: &Library, subject: Subject, vs: Option<&VsContext>) -> Value {
    match subject {
        Subject::One(c, prefix) => verdict_parameters(&check_coding(lib, &c, prefix, vs)),
        Subject::Concept(codings) => {
            let verdicts: Vec<Verdict> = codings
                .iter()
                .enumerate()
                .map(|(i, c)| check_coding(lib, c, &format!("CodeableConcept.coding[{i}]"), vs))
                .collect();
            let chosen = verdicts.iter().position(|v| v.result).unwrap_or(0);
            let mut all = verdicts;
            let mut v = all.swap_remove(chosen);
            if !v.result {
                for other in all {
                    v.issues.extend(other.issues);
                    if v.unknown_system.is_none() {
                        v.unknown_system = other.unknown_system;
                    }
                }
                if let Some(vs) = vs {
                    v.issues.push(Issue {
                        severity: "error",
                        code: "code-invalid",
                        tx: "not-in-vs",
                        text: format!(
                            "No valid coding was found for the value set '{}'",
                            vs.canonical
                        ),
                        expression: "CodeableConcept".into(),
                    });
                }
            }
            verdict_parameters(&v)
        }
    }
}

/// Expansions of named value sets, cached by canonical.
pub(crate) type ExpansionCache = Mutex<HashMap<String, Arc<Expansion>>>;

/// The value set named by `url` (+ `valueSetVersion`), or given inline as
/// `valueSet`, expanded; unknown → 404.
fn resolve_vs(
    lib: &Library,
    cache: &ExpansionCache,
    p: &Params,
) -> Result<(Value, Arc<Expansion>, String), Reply> {
    if let Some(vs) = p.value("valueSet").filter(|v| v.is_object()) {
        let exp = expand(lib, vs).map_err(expand_error)?;
        let canonical = vs["url"]
            .as_str()
            .unwrap_or("(inline value set)")
            .to_string();
        return Ok((vs.clone(), Arc::new(exp), canonical));
    }
    let url = p
        .str("url")
        .or_else(|| p.str("context"))
        .ok_or_else(|| Reply::error(400, "required", "No value set: give url or valueSet"))?;
    let version = p.str("valueSetVersion");
    let vs = lib.value_set(&url, version.as_deref()).ok_or_else(|| {
        let named = match &version {
            Some(v) => format!("{url}|{v}"),
            None => url.clone(),
        };
        Reply::error(
            404,
            "not-found",
            format!("A definition for the value set '{named}' could not be found"),
        )
    })?;
    let canonical = match vs["version"].as_str() {
        Some(v) => format!("{}|{v}", vs["url"].as_str().unwrap_or(&url)),
        None => url.clone(),
    };
    if let Some(e) = cache.lock().unwrap().get(&canonical) {
        return Ok(((*vs).clone(), e.clone(), canonical));
    }
    let exp = Arc::new(expand(lib, &vs).map_err(expand_error)?);
    cache.lock().unwrap().insert(canonical.clone(), exp.clone());
    Ok(((*vs).clone(), exp, canonical))
}

fn expand_error(e: ExpandError) -> Reply {
    let (status, code) = match &e {
        ExpandError::UnknownSystem(_) => (422, "not-found"),
        ExpandError::UnknownValueSet(_) => (422, "not-found"),
        ExpandError::NotSupported(_) => (422, "not-supported"),
        ExpandError::Invalid(_) => (422, "invalid"),
    };
    let mut r = Reply::error(status, code, e.message());
    if let ExpandError::UnknownSystem(s) = &e {
        r.body["issue"][0]["extension"] = json!([{
            "url": "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id",
            "valueString": "UNKNOWN_CODESYSTEM"
        }]);
        r.body["issue"][0]["details"]["coding"] =
            json!([{"system": TX_ISSUE_TYPE, "code": "not-found"}]);
        r.body["issue"][0]["expression"] = json!([s]);
    }
    r
}

pub(crate) fn vs_validate_code(lib: &Library, cache: &ExpansionCache, p: &Params) -> Reply {
    let subject = match subject(p, "system") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (_, exp, canonical) = match resolve_vs(lib, cache, p) {
        Ok(x) => x,
        // A value set that cannot be expanded because a system it uses is
        // unknown: the code cannot be judged (result false, caused-by).
        Err(r) if r.status == 422 => {
            let text = r.body["issue"][0]["details"]["text"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let unknown = r.body["issue"][0]["expression"][0]
                .as_str()
                .map(str::to_string);
            let mut v = Verdict {
                issues: vec![Issue {
                    severity: "error",
                    code: if unknown.is_some() {
                        "not-found"
                    } else {
                        "not-supported"
                    },
                    tx: if unknown.is_some() {
                        "not-found"
                    } else {
                        "vs-invalid"
                    },
                    text,
                    expression: "url".into(),
                }],
                unknown_system: unknown,
                ..Verdict::default()
            };
            if let Subject::One(c, _) = &subject {
                v.code = Some(c.code.clone());
                v.system = c.system.clone();
            }
            return Reply::ok(verdict_parameters(&v));
        }
        Err(r) => return r,
    };
    let ctx = VsContext {
        canonical,
        expansion: &exp,
    };
    Reply::ok(validate(lib, subject, Some(&ctx)))
}

pub(crate) fn cs_validate_code(lib: &Library, p: &Params) -> Reply {
    let subject = match subject(p, "url") {
        Ok(Subject::One(mut c, prefix)) => {
            if c.system.is_none() {
                c.system = p.str("system");
            }
            Subject::One(c, prefix)
        }
        Ok(s) => s,
        Err(r) => return r,
    };
    Reply::ok(validate(lib, subject, None))
}

pub(crate) fn lookup(lib: &Library, p: &Params) -> Reply {
    let (system, code, version) = match p.value("coding") {
        Some(c) => (
            c["system"].as_str().map(str::to_string),
            c["code"].as_str().map(str::to_string),
            c["version"].as_str().map(str::to_string),
        ),
        None => (p.str("system"), p.str("code"), p.str("version")),
    };
    let (Some(system), Some(code)) = (system, code) else {
        return Reply::error(400, "required", "$lookup needs system and code (or coding)");
    };
    let Some(cs) = lib.code_system(&system, version.as_deref()) else {
        return Reply::error(
            404,
            "not-found",
            format!("A definition for CodeSystem '{system}' could not be found"),
        );
    };
    let Some(concept) = cs.find(&code) else {
        return Reply::error(
            404,
            "not-found",
            format!(
                "Unknown code '{code}' in the CodeSystem '{}'",
                cs.canonical()
            ),
        );
    };
    let mut out =
        vec![json!({"name": "name", "valueString": cs.name.clone().unwrap_or(cs.url.clone())})];
    if let Some(v) = &cs.version {
        out.push(json!({"name": "version", "valueString": v}));
    }
    if let Some(d) = &concept.display {
        out.push(json!({"name": "display", "valueString": d}));
    }
    for d in &concept.designations {
        let mut part = Vec::new();
        if let Some(l) = &d.language {
            part.push(json!({"name": "language", "valueCode": l}));
        }
        if let Some(u) = &d.use_ {
            part.push(json!({"name": "use", "valueCoding": u}));
        }
        part.push(json!({"name": "value", "valueString": d.value}));
        out.push(json!({"name": "designation", "part": part}));
    }
    let prop = |code: &str, value: Value| -> Value {
        let mut part = vec![json!({"name": "code", "valueCode": code})];
        let mut v = Map::new();
        v.insert("name".into(), json!("value"));
        match value {
            Value::Bool(b) => v.insert("valueBoolean".into(), json!(b)),
            other => v.insert("valueCode".into(), other),
        };
        part.push(Value::Object(v));
        json!({"name": "property", "part": part})
    };
    out.push(prop("inactive", json!(concept.inactive)));
    for parent in &concept.parents {
        out.push(prop("parent", json!(parent)));
    }
    for child in cs.children(&concept.code) {
        out.push(prop("child", json!(child)));
    }
    Reply::ok(json!({"resourceType": "Parameters", "parameter": out}))
}

pub(crate) fn expand_op(lib: &Library, cache: &ExpansionCache, p: &Params) -> Reply {
    let (vs, exp, _) = match resolve_vs(lib, cache, p) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (count, offset) = match (p.usize("count"), p.usize("offset")) {
        (Ok(c), Ok(o)) => (c, o.unwrap_or(0)),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let text = p.str("filter").map(|f| f.to_lowercase());
    let active_only = p.str("activeOnly").as_deref() == Some("true");
    let selected: Vec<_> = exp
        .members
        .iter()
        .filter(|m| !(active_only && m.inactive))
        .filter(|m| {
            text.as_deref().is_none_or(|t| {
                m.display
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains(t))
                    || m.code.to_lowercase() == t
            })
        })
        .collect();
    if count.is_none() && selected.len() > MAX_EXPANSION {
        return Reply::error(
            422,
            "too-costly",
            format!(
                "The value set '{}' expansion has too many codes to display ({} > {MAX_EXPANSION}); use count (and offset) to page",
                vs["url"].as_str().unwrap_or("?"),
                selected.len()
            ),
        );
    }
    let page = selected
        .iter()
        .skip(offset)
        .take(count.unwrap_or(usize::MAX));
    let contains: Vec<Value> = page
        .map(|m| {
            let mut c = json!({"system": m.system, "code": m.code});
            if let Some(v) = &m.version {
                c["version"] = json!(v);
            }
            if let Some(d) = &m.display {
                c["display"] = json!(d);
            }
            if m.inactive {
                c["inactive"] = json!(true);
            }
            c
        })
        .collect();
    let mut parameters = vec![json!({"name": "offset", "valueInteger": offset})];
    if let Some(c) = count {
        parameters.push(json!({"name": "count", "valueInteger": c}));
    }
    if let Some(f) = p.str("filter") {
        parameters.push(json!({"name": "filter", "valueString": f}));
    }
    if active_only {
        parameters.push(json!({"name": "activeOnly", "valueBoolean": true}));
    }
    let mut out = Map::new();
    out.insert("resourceType".into(), json!("ValueSet"));
    for k in ["id", "url", "version", "name", "title", "status"] {
        if let Some(v) = vs.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let mut expansion = json!({
        "identifier": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "timestamp": super::now_rfc3339(),
        "total": selected.len(),
        "offset": offset,
        "parameter": parameters,
    });
    if !contains.is_empty() {
        expansion["contains"] = json!(contains);
    }
    out.insert("expansion".into(), expansion);
    Reply::ok(Value::Object(out))
}

// ---------------------------------------------------------------------------
// metadata

pub(crate) const OPERATIONS: [(&str, &str); 4] = [
    (
        "validate-code",
        "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code",
    ),
    (
        "expand",
        "http://hl7.org/fhir/OperationDefinition/ValueSet-expand",
    ),
    (
        "lookup",
        "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup",
    ),
    (
        "validate-code",
        "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code",
    ),
];

pub(crate) fn capability_statement(base: &str, token_url: Option<&str>) -> Value {
    let op = |name: &str, def: &str| json!({"name": name, "definition": def});
    let mut rest = json!({
        "mode": "server",
        "resource": [
            {"type": "CodeSystem", "operation": [op(OPERATIONS[2].0, OPERATIONS[2].1), op(OPERATIONS[3].0, OPERATIONS[3].1)]},
            {"type": "ValueSet", "operation": [op(OPERATIONS[0].0, OPERATIONS[0].1), op(OPERATIONS[1].0, OPERATIONS[1].1)]}
        ],
        "interaction": [{"code": "batch"}],
        "operation": OPERATIONS.iter().map(|(n, d)| op(n, d)).collect::<Vec<_>>()
    });
    if let Some(t) = token_url {
        rest["security"] = json!({
            "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}]}],
            "extension": [{
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [{"url": "token", "valueUri": t}]
            }]
        });
    }
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "kind": "instance",
        "software": {"name": SOFTWARE, "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": SOFTWARE, "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
        "rest": [rest]
    })
}

pub(crate) fn terminology_capabilities(lib: &Library) -> Value {
    let systems: Vec<Value> = lib
        .code_system_list()
        .into_iter()
        .map(|(uri, versions)| {
            let mut cs = json!({"uri": uri});
            if !versions.is_empty() {
                cs["version"] = versions.iter().map(|v| json!({"code": v})).collect();
            }
            cs
        })
        .collect();
    json!({
        "resourceType": "TerminologyCapabilities",
        "status": "active",
        "date": "2026-01-01",
        "kind": "instance",
        "software": {"name": SOFTWARE, "version": env!("CARGO_PKG_VERSION")},
        "codeSystem": systems,
        "expansion": {"hierarchical": false, "paging": true, "textFilter": "Case-insensitive substring of the display"},
        "validateCode": {"translations": false}
    })
}
