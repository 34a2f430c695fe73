//! `--format sarif`: SARIF 2.1.0, the format code-scanning tools read, for
//! every command's outcomes. One run; one result per outcome that did not
//! pass (information and passes only when asked), placed by where it was
//! found: a payload finding by file, line and column with its FHIRPath as
//! a logical location; an endpoint check by the URL it was made against; a
//! scenario step or a set-up check by a logical location. Each result has a
//! partial fingerprint from [`Outcome::fingerprint`] (rule and location,
//! never the message or the line) so it keeps its identity across runs.
//! `tool.driver.rules` lists the rules that fired, with a description.

use crate::group::{Group, Scope};
use conform_outcome::{Outcome, Severity, Triage};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the partial fingerprint; bump the version if its inputs change
/// (v2: [`Outcome::fingerprint`] of the artifact URI, endpoint, scenario or
/// area).
pub const FINGERPRINT_KEY: &str = "conformFinding/v2";

/// Describes a rule by its id, when it knows the rule.
pub type Describe<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Default)]
pub struct SarifOptions<'a> {
    /// Also report information outcomes and passes (as SARIF `note`s).
    pub include_information: bool,
    /// Describes a rule by id (the validator's rules, a pack's national
    /// rules); rules it does not know are described by their outcome's
    /// `why`, else generically.
    pub describe: Option<Describe<'a>>,
    /// The folder file URIs are made relative to (the working folder).
    pub base_dir: Option<&'a Path>,
    /// `runs[0].properties` (a validation run's packages, say).
    pub properties: Map<String, Value>,
}

pub fn render_sarif(groups: &[Group], opts: &SarifOptions) -> String {
    let mut rules: BTreeMap<&str, &Outcome> = BTreeMap::new();
    let mut results = Vec::new();
    for group in groups {
        let scope = GroupPlace::of(group.scope, opts.base_dir);
        for o in &group.outcomes {
            if o.severity == Severity::Information && !opts.include_information {
                continue;
            }
            rules.entry(o.rule.as_str()).or_insert(o);
            results.push(result(o, &scope));
        }
    }
    let rule_ids: Vec<&str> = rules.keys().copied().collect();
    for r in &mut results {
        let id = r["ruleId"].as_str().unwrap_or_default();
        if let Ok(i) = rule_ids.binary_search(&id) {
            r["ruleIndex"] = json!(i);
        }
    }
    let rules: Vec<Value> = rules.values().map(|o| rule(o, opts.describe)).collect();
    let mut run = json!({
        "tool": { "driver": {
            "name": "conform",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
    });
    if !opts.properties.is_empty() {
        run["properties"] = Value::Object(opts.properties.clone());
    }
    run["results"] = json!(results);
    let out = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    });
    serde_json::to_string_pretty(&out).expect("JSON values always serialise") + "\n"
}

/// Where a group's outcomes are, before each outcome adds its own place.
struct GroupPlace<'a> {
    scope: Scope<'a>,
    /// The artifact: a file's URI reference, or an endpoint's URL.
    uri: Option<String>,
}

impl<'a> GroupPlace<'a> {
    fn of(scope: Scope<'a>, base: Option<&Path>) -> GroupPlace<'a> {
        let uri = match scope {
            Scope::File(path) => artifact_uri(path, base),
            Scope::Endpoint(url) => Some(url.to_string()),
            Scope::Scenario(_) | Scope::Area(_) => None,
        };
        GroupPlace { scope, uri }
    }

    /// What the fingerprint is scoped by: the artifact, else the scope's name.
    fn fingerprint_scope(&self) -> &str {
        match (&self.uri, self.scope) {
            (Some(uri), _) => uri,
            (None, Scope::File(_)) => "",
            (None, scope) => scope.name(),
        }
    }
}

fn result(o: &Outcome, place: &GroupPlace) -> Value {
    let mut result = json!({
        "ruleId": o.rule,
        "level": level(o.severity),
        "message": { "text": o.message },
    });
    let l = &o.location;
    let mut location = Map::new();
    // An outcome's own URL (a probe check made against one resource) wins
    // over its endpoint's.
    let uri = l.url.clone().or_else(|| place.uri.clone());
    if let Some(uri) = uri {
        let mut physical = json!({ "artifactLocation": { "uri": uri } });
        if let Some(line) = l.line {
            physical["region"] =
                json!({ "startLine": line.max(1), "startColumn": l.column.unwrap_or(1).max(1) });
        }
        location.insert("physicalLocation".into(), physical);
    }
    let mut logical = Vec::new();
    if let Some(expression) = l.expression.as_deref().filter(|e| !e.is_empty()) {
        logical.push(json!({ "fullyQualifiedName": expression, "kind": "element" }));
    }
    let step = match (&l.scenario, &l.step) {
        (Some(s), Some(step)) => Some(format!("{s}/{step}")),
        (Some(s), None) => Some(s.clone()),
        (None, Some(step)) => Some(step.clone()),
        (None, None) => match place.scope {
            Scope::Scenario(s) => Some(s.to_string()),
            _ => None,
        },
    };
    if let Some(step) = step {
        logical.push(json!({ "fullyQualifiedName": step, "kind": "function" }));
    }
    if let Some(subject) = &l.subject {
        let name = match place.scope {
            Scope::Area(area) => format!("{area}/{subject}"),
            _ => subject.clone(),
        };
        logical.push(json!({ "fullyQualifiedName": name, "kind": "resource" }));
    } else if let Scope::Area(area) = place.scope {
        logical.push(json!({ "fullyQualifiedName": area, "kind": "namespace" }));
    }
    if !logical.is_empty() {
        location.insert("logicalLocations".into(), json!(logical));
    }
    if !location.is_empty() {
        result["locations"] = json!([Value::Object(location)]);
    }
    result["partialFingerprints"] =
        json!({ FINGERPRINT_KEY: o.fingerprint(place.fingerprint_scope()) });
    let mut properties = Map::new();
    if let Some(code) = o.code {
        properties.insert("issueCode".into(), json!(code.as_str()));
    }
    properties.insert("severity".into(), json!(o.severity.as_str()));
    if let Some(r) = o.requirement {
        properties.insert("requirement".into(), json!(r.as_str()));
        properties.insert("status".into(), json!(o.status.as_str()));
    }
    if let Some(region) = &l.region {
        properties.insert("region".into(), json!(region));
    }
    result["properties"] = Value::Object(properties);
    apply_triage(&mut result, o.triage.as_ref());
    result
}

fn rule(o: &Outcome, describe: Option<Describe>) -> Value {
    let text = describe
        .and_then(|d| d(&o.rule))
        .or_else(|| o.why.clone())
        .unwrap_or_else(|| match o.code {
            Some(conform_outcome::IssueCode::Invariant) => {
                format!(
                    "The FHIR invariant {} of the definitions does not hold.",
                    o.rule
                )
            }
            _ => format!("conform rule {}.", o.rule),
        });
    let mut properties = Map::new();
    if let Some(code) = o.code {
        properties.insert("issueCode".into(), json!(code.as_str()));
    }
    if let Some(r) = o.requirement {
        properties.insert("requirement".into(), json!(r.as_str()));
    }
    // A check's default level is what its failure would be.
    let severity = o.requirement.map_or(o.severity, |r| r.failure_severity());
    json!({
        "id": o.rule,
        "name": o.rule,
        "shortDescription": { "text": text },
        "fullDescription": { "text": text },
        "defaultConfiguration": { "level": level(severity) },
        "properties": properties,
    })
}

fn apply_triage(result: &mut Value, triage: Option<&Triage>) {
    let suppression = |status: &str, justification: &str| json!([{ "kind": "external", "status": status, "justification": justification }]);
    match triage {
        None => {}
        Some(Triage::New) => result["baselineState"] = json!("new"),
        Some(Triage::Baselined) => result["baselineState"] = json!("unchanged"),
        Some(Triage::Waived { justification }) => {
            result["suppressions"] = suppression("accepted", justification)
        }
        // The waiver no longer holds: shown as rejected, and it fails again.
        Some(Triage::Expired { justification }) => {
            result["suppressions"] = suppression("rejected", justification)
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Fatal | Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "note",
    }
}

/// The file's URI reference relative to `base` (or as given when it lies
/// elsewhere), with `/` separators and percent-encoding; none for stdin.
pub fn artifact_uri(path: &str, base: Option<&Path>) -> Option<String> {
    if path == "<stdin>" || path == "-" {
        return None;
    }
    let p = Path::new(path);
    let rel = match base {
        Some(b) if p.is_absolute() => p.strip_prefix(b).unwrap_or(p),
        _ => p,
    };
    let text = rel.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else if b == b':' && out.is_empty() {
            out.push_str("%3A");
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if p.is_absolute() && rel == p {
        // Outside the base folder: an absolute file URI.
        return Some(format!(
            "file://{}",
            if out.starts_with('/') {
                out
            } else {
                format!("/{out}")
            }
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        let base = Path::new("/work/repo");
        assert_eq!(
            artifact_uri("/work/repo/a b/p.json", Some(base)).as_deref(),
            Some("a%20b/p.json")
        );
        assert_eq!(
            artifact_uri("./fixtures/p.json", Some(base)).as_deref(),
            Some("fixtures/p.json")
        );
        assert_eq!(
            artifact_uri("/elsewhere/p.json", Some(base)).as_deref(),
            Some("file:///elsewhere/p.json")
        );
        assert_eq!(artifact_uri("<stdin>", Some(base)), None);
    }
}
