//! HL7's validator test cases that need snapshot generation: their
//! supporting StructureDefinitions carry only a differential (manifest
//! caveat `needsSnapshotGeneration`), and some cases validate such a
//! StructureDefinition itself. Generation must succeed where the reference
//! generates, and fail where its expected outcome reports that snapshot
//! generation failed (e.g. `ext-ccuk`: slicing at the root).
//!
//! Generation runs as the reference validator runs it (lenient: a
//! differential element that matches nothing is reported, not fatal).

mod common;

use std::collections::HashMap;
use std::path::Path;

use conform_snapshot::{Definitions, Layered, Options};
use serde_json::Value;

/// Differential elements that match nothing, as in the reference (which
/// reports them and drops them): the profile walks into a choice without
/// choosing a type, or names an element Patient does not have.
const DROPPED: &[(&str, &str)] = &[
    (
        "validator/obs-max-decimal-profile.json",
        "Observation.value[x].value",
    ),
    (
        "validator/parameters-profiled-resource-profiles-patient2.json",
        "Patient.dateOfBirth",
    ),
];

fn read(dir: &Path, rel: &str) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(dir.join(rel)).ok()?).ok()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// Every file a case loads (supporting files, profiles, and the file itself).
fn case_files(case: &Value) -> Vec<String> {
    let mut files = strings(case.get("supporting"));
    files.extend(strings(case.get("profiles")));
    if let Some(p) = case.get("profile") {
        files.extend(p.get("source").and_then(Value::as_str).map(str::to_string));
        files.extend(strings(p.get("supporting")));
    }
    files.extend(case.get("file").and_then(Value::as_str).map(str::to_string));
    files
}

/// What the reference said about generating the snapshot of the case's own
/// StructureDefinition: `None` when it generated it.
fn expected_failure(dir: &Path, case: &Value) -> Option<&'static str> {
    let outcome = case.pointer("/expected/outcome").and_then(Value::as_str)?;
    let text = std::fs::read_to_string(dir.join(outcome)).ok()?;
    if text.contains("slicing at the root") {
        Some("slicing at the root")
    } else if text.contains("Error generating Snapshot: Invalid path") {
        Some("illegal path")
    } else if text.contains("Unable to find base") {
        Some("circular")
    } else if text.contains("Error generating Snapshot") {
        Some("")
    } else {
        None
    }
}

#[test]
fn snapshots_generate_where_the_reference_generates_them() {
    let dir = conform_testdata::path("fhir-test-cases");
    let manifest = read(&dir, "manifest.r4-json.json").expect("manifest");
    let mut problems = Vec::new();
    let (mut generated, mut failed_as_expected) = (0, 0);
    for case in manifest["cases"].as_array().into_iter().flatten() {
        let name = case["name"].as_str().unwrap_or("?");
        let mut overlay: HashMap<String, Value> = HashMap::new();
        for f in case_files(case) {
            if let Some(v) = read(&dir, &f).filter(|v| v["resourceType"] == "StructureDefinition") {
                if let Some(url) = v["url"].as_str() {
                    overlay.insert(url.to_string(), v.clone());
                }
            }
        }
        let defs = Layered {
            first: &overlay,
            then: common::core() as &dyn Definitions,
        };
        let lenient = Options { lenient: true };
        let needs: Vec<String> = case["caveats"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| strings(c.get("needsSnapshotGeneration")))
            .collect();
        for f in &needs {
            let Some(sd) = read(&dir, f) else {
                problems.push(format!("{name}: cannot read {f}"));
                continue;
            };
            match conform_snapshot::generate_with(&sd, &defs, lenient) {
                Ok(g) => {
                    generated += 1;
                    let dropped: Vec<&String> = g
                        .issues
                        .iter()
                        .filter(|i| i.contains("no match found"))
                        .collect();
                    let expected: Vec<&str> = DROPPED
                        .iter()
                        .filter(|(file, _)| file == f)
                        .map(|(_, e)| *e)
                        .collect();
                    let as_expected = dropped.len() == expected.len()
                        && expected
                            .iter()
                            .all(|e| dropped.iter().any(|d| d.contains(e)));
                    if !as_expected {
                        problems.push(format!("{name}: {f}: unmatched differential elements {dropped:?}, expected {expected:?}"));
                    }
                    if g.structure_definition
                        .pointer("/snapshot/element/0")
                        .is_none()
                    {
                        problems.push(format!("{name}: {f}: empty snapshot"));
                    }
                }
                Err(e) => problems.push(format!("{name}: {f}: {e}")),
            }
        }
        // The case validates a differential-only StructureDefinition itself.
        let file = case["file"].as_str().unwrap_or("");
        let Some(sd) = read(&dir, file).filter(|v| v["resourceType"] == "StructureDefinition")
        else {
            continue;
        };
        if sd.get("snapshot").is_some() || needs.iter().any(|n| n == file) {
            continue;
        }
        match (
            conform_snapshot::generate_with(&sd, &defs, lenient),
            expected_failure(&dir, case),
        ) {
            (Ok(_), None) => generated += 1,
            (Err(e), Some(phrase)) if e.to_string().contains(phrase) => failed_as_expected += 1,
            (Ok(_), Some(phrase)) => problems.push(format!(
                "{name}: {file}: generated, but the reference fails ({phrase})"
            )),
            (Err(e), expected) => {
                problems.push(format!("{name}: {file}: {e} (reference: {expected:?})"))
            }
        }
    }
    println!("generated {generated} snapshots; {failed_as_expected} failed as the reference's do");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(generated >= 50, "only {generated} snapshots generated");
    assert!(
        failed_as_expected >= 3,
        "ext-ccuk, obs-unit-profile and ext-derived-circle fail"
    );
}
