//! `--format sarif`: SARIF 2.1.0, the format code-scanning tools read. One
//! run; one result per finding with the file, line and column, the
//! FHIRPath as a logical location, and a partial fingerprint (rule, file,
//! FHIRPath) so a finding keeps its identity across runs while lines move.
//! `tool.driver.rules` lists the rules that fired, with a description.

use crate::ValidationReport;
use conform_validate::{IssueCode, Outcome, Severity};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the partial fingerprint; bump the version if its inputs change.
pub const FINGERPRINT_KEY: &str = "conformFinding/v1";

/// How a finding stands against a baseline and the waivers, for SARIF's
/// `baselineState` and `suppressions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Triage {
    /// Not in the baseline and not waived.
    New,
    /// In the baseline.
    Baselined,
    /// Covered by a waiver still in force.
    Waived { justification: String },
}

#[derive(Debug, Default)]
pub struct SarifOptions<'a> {
    /// Also report information findings (as SARIF `note`s).
    pub include_information: bool,
    /// Descriptions of rules by id (national rules, say); the renderer knows
    /// the validator's own rules.
    pub rule_descriptions: BTreeMap<String, String>,
    /// The folder artifact URIs are made relative to (the working folder).
    pub base_dir: Option<&'a Path>,
    /// One entry per finding, in report order (files, resources, findings;
    /// a file's failure first), when a baseline or waivers were applied.
    pub triage: Option<&'a [Triage]>,
}

pub fn render_sarif(report: &ValidationReport, opts: &SarifOptions) -> String {
    let mut rules: BTreeMap<String, (IssueCode, Severity)> = BTreeMap::new();
    let mut results = Vec::new();
    let mut index = 0usize;
    let mut next_triage = || {
        let t = opts.triage.and_then(|t| t.get(index)).cloned();
        index += 1;
        t
    };
    for file in &report.files {
        let uri = artifact_uri(&file.path, opts.base_dir);
        if let Some(failure) = &file.failure {
            let triage = next_triage();
            rules
                .entry(conform_validate::rules::INPUT.to_string())
                .or_insert((IssueCode::Exception, Severity::Fatal));
            let mut result = json!({
                "ruleId": conform_validate::rules::INPUT,
                "level": "error",
                "message": { "text": failure.message },
            });
            if let Some(uri) = &uri {
                result["locations"] = json!([{
                    "physicalLocation": { "artifactLocation": { "uri": uri } }
                }]);
                result["partialFingerprints"] = json!({
                    FINGERPRINT_KEY: fingerprint(conform_validate::rules::INPUT, uri, "")
                });
            }
            apply_triage(&mut result, triage);
            results.push(result);
        }
        for resource in &file.resources {
            for f in &resource.findings {
                let triage = next_triage();
                if f.severity == Severity::Information && !opts.include_information {
                    continue;
                }
                rules
                    .entry(f.rule.clone())
                    .or_insert((f.issue_code(), f.severity));
                let mut result = finding_result(f, uri.as_deref());
                apply_triage(&mut result, triage);
                results.push(result);
            }
        }
    }
    let rule_ids: Vec<&String> = rules.keys().collect();
    for r in &mut results {
        let id = r["ruleId"].as_str().unwrap_or_default().to_string();
        if let Some(i) = rule_ids.iter().position(|x| **x == id) {
            r["ruleIndex"] = json!(i);
        }
    }
    let rules: Vec<Value> = rules
        .iter()
        .map(|(id, (code, severity))| {
            let text = opts
                .rule_descriptions
                .get(id)
                .cloned()
                .unwrap_or_else(|| describe(id, *code));
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": text },
                "fullDescription": { "text": text },
                "defaultConfiguration": { "level": level(*severity) },
                "properties": { "issueCode": code.as_str() },
            })
        })
        .collect();
    let out = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "conform",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "properties": { "packages": report.packages },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&out).expect("JSON values always serialise") + "\n"
}

fn finding_result(f: &Outcome, uri: Option<&str>) -> Value {
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": f.message },
    });
    let mut location = Map::new();
    if let Some(uri) = uri {
        location.insert(
            "physicalLocation".into(),
            json!({
                "artifactLocation": { "uri": uri },
                "region": { "startLine": f.line().max(1), "startColumn": f.column().max(1) },
            }),
        );
    }
    if !f.expression().is_empty() {
        location.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": f.expression(), "kind": "element" }]),
        );
    }
    if !location.is_empty() {
        result["locations"] = json!([Value::Object(location)]);
    }
    result["partialFingerprints"] = json!({
        FINGERPRINT_KEY: fingerprint(&f.rule, uri.unwrap_or(""), &f.expression())
    });
    result["properties"] =
        json!({ "issueCode": f.issue_code().as_str(), "severity": f.severity.as_str() });
    result
}

fn apply_triage(result: &mut Value, triage: Option<Triage>) {
    match triage {
        None => {}
        Some(Triage::New) => result["baselineState"] = json!("new"),
        Some(Triage::Baselined) => result["baselineState"] = json!("unchanged"),
        Some(Triage::Waived { justification }) => {
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": justification,
            }]);
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

/// Rule, file and FHIRPath, hashed: stable while lines and messages change.
pub fn fingerprint(rule: &str, uri: &str, expression: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [rule, uri, expression] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex()[..32].to_string()
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

/// A one-line description of the validator's own rules.
fn describe(id: &str, code: IssueCode) -> String {
    use conform_validate::rules::*;
    let text = match id {
        JSON_SYNTAX => "The file is not valid JSON.",
        RESOURCE_TYPE => "The resourceType is missing or not an R4 resource type.",
        UNKNOWN_ELEMENT => "An element that the definition does not have.",
        DUPLICATE_ELEMENT => "The same JSON property appears twice.",
        CHOICE_MULTIPLE => "More than one type of a choice element ([x]) is present.",
        CARDINALITY_MIN => "A required element is missing (minimum cardinality).",
        CARDINALITY_MAX => "An element repeats more often than allowed (maximum cardinality).",
        ARRAY_EXPECTED => "A repeating element is not a JSON array.",
        ARRAY_UNEXPECTED => "A single element is given as a JSON array.",
        JSON_TYPE => "A value has the wrong JSON type for its FHIR type.",
        EMPTY => "An empty object, array or string (FHIR forbids them).",
        NULL_VALUE => "A null where a value is needed.",
        PRIMITIVE_ALIGNMENT => "A primitive's value and its _element array do not line up.",
        PRIMITIVE_FORMAT => "A primitive value does not match its type's format.",
        BINDING_REQUIRED => "A code is not in the value set of a required binding.",
        BINDING_NOT_CHECKED => "A code could not be checked offline.",
        BINDING_EXTENSIBLE => "A code is not in the value set of an extensible binding.",
        BINDING_PREFERRED => "A code is not in the value set of a preferred or example binding.",
        REFERENCE_FORMAT => "A reference is not a valid literal reference.",
        REFERENCE_TARGET => "A reference points to a resource type the element does not allow.",
        CONTAINED_NOT_FOUND => "A local reference names no contained resource.",
        BUNDLE_FULLURL => "A Bundle entry's fullUrl is missing or does not match the resource.",
        BUNDLE_DUPLICATE => "Two Bundle entries have the same identity.",
        INPUT => "The input could not be read.",
        NARRATIVE => "The narrative XHTML is not allowed by FHIR.",
        EMBEDDED_HTML => "A string carries HTML markup.",
        PROFILE_UNKNOWN => "A profile the resource declares is not in the loaded packages.",
        PROFILE_FIXED => "A value differs from the profile's fixed value.",
        PROFILE_PATTERN => "A value does not match the profile's pattern.",
        PROFILE_TYPE => "A type the profile does not allow here.",
        PROFILE_MAX_LENGTH => "A string is longer than the profile allows.",
        PROFILE_VALUE_LIMIT => "A value is outside the profile's minimum or maximum.",
        PROFILE_SLICE_CLOSED => "An item matches no slice of a closed slicing.",
        PROFILE_SLICE_ORDER => "Slices are out of the order the profile requires.",
        PROFILE_SLICE_CARDINALITY => "A slice occurs fewer or more times than the profile allows.",
        EXTENSION_UNKNOWN => "An extension whose definition is not in the loaded packages.",
        EXTENSION_ON_ID => "An extension on an element id (not allowed).",
        EXTENSION_CONTEXT => "An extension used where its definition's context does not allow it.",
        INVARIANT_NOT_EVALUATED => "An invariant could not be evaluated.",
        _ if id.starts_with("questionnaire-") => {
            "A QuestionnaireResponse does not agree with its Questionnaire."
        }
        _ if code == IssueCode::Invariant => {
            return format!("The FHIR invariant {id} of the definitions does not hold.");
        }
        _ => return format!("conform rule {id}."),
    };
    text.to_string()
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

    #[test]
    fn fingerprints_ignore_nothing_they_are_built_from() {
        let a = fingerprint("pat-1", "p.json", "Patient.contact[0]");
        assert_eq!(a, fingerprint("pat-1", "p.json", "Patient.contact[0]"));
        assert_ne!(a, fingerprint("pat-1", "p.json", "Patient.contact[1]"));
        assert_ne!(a, fingerprint("pat-1", "q.json", "Patient.contact[0]"));
        assert_ne!(a, fingerprint("dom-3", "p.json", "Patient.contact[0]"));
    }
}
