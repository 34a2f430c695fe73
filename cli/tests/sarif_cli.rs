//! `conform validate --format sarif` as code-scanning tools read it: valid
//! against the official SARIF 2.1.0 JSON schema, results placed by file,
//! line, column and FHIRPath, rules described (national rules by the
//! pack's own explanation), fingerprints stable across runs.

mod common;

use common::{root, run, stdout};
use serde_json::Value;

fn schema() -> Value {
    let path = root().join("crates/conform-writers/tests/data/sarif-schema-2.1.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("schema JSON")
}

/// The schema's complaints about `doc`, one line each (none: valid).
fn schema_errors(doc: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the SARIF schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn sarif(args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["validate", "--format", "sarif"];
    all.extend_from_slice(args);
    let out = run(&all);
    let text = stdout(&out);
    let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("SARIF parses: {e}\n{text}"));
    (out.status.code(), doc, text)
}

#[test]
fn the_schema_rejects_what_it_should() {
    // The check below is only worth something if the schema bites.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]});
    assert!(!schema_errors(&bad).is_empty(), "a driver needs a name");
    let bad_level = serde_json::json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "x"}},
        "results": [{"message": {"text": "m"}, "level": "fatal"}]
    }]});
    assert!(
        !schema_errors(&bad_level).is_empty(),
        "fatal is not a SARIF level"
    );
}

#[test]
fn sarif_on_the_fixtures_is_valid_sarif_2_1_0() {
    let (code, doc, text) = sarif(&["fixtures/valid", "fixtures/invalid"]);
    assert_eq!(code, Some(1), "fixtures/invalid has errors");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    assert_eq!(errors, 16, "the 16 errors of README's first command");
    assert!(
        results.iter().all(|r| r["level"] != "note"),
        "information only with --info"
    );
    // Every result names a rule listed in the driver, at its index.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(rules[i]["shortDescription"]["text"].as_str().unwrap().len() > 10);
    }
    // The version moves with every release; the rest is pinned.
    let pinned = text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[version]\"",
    );
    insta::assert_snapshot!("sarif_fixtures", pinned);
}

#[test]
fn a_result_has_file_line_column_and_fhirpath() {
    let (_, doc, _) = sarif(&["fixtures/invalid/patient-bad-gender-code.json"]);
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "binding-required");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/invalid/patient-bad-gender-code.json"
    );
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 5);
    assert_eq!(loc["physicalLocation"]["region"]["startColumn"], 13);
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "Patient.gender"
    );
}

#[test]
fn absolute_paths_become_relative_to_the_working_folder() {
    let abs = root().join("fixtures/invalid/patient-bad-gender-code.json");
    let (_, doc, _) = sarif(&[abs.to_str().unwrap()]);
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/invalid/patient-bad-gender-code.json"
    );
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let (_, a, _) = sarif(&["fixtures/invalid"]);
    let (_, b, _) = sarif(&["fixtures/invalid"]);
    let prints = |d: &Value| -> Vec<String> {
        d["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["conformFinding/v2"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(prints(&a), prints(&b));
    let mut unique = prints(&a);
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        prints(&a).len(),
        "one finding, one fingerprint"
    );
}

#[test]
fn national_rules_are_described_by_the_pack() {
    let (code, doc, _) = sarif(&[
        "--pack",
        "uk-core",
        "fixtures/invalid/uk-core/patient-nhs-number-bad-check-digit.json",
    ]);
    assert_eq!(code, Some(1));
    assert!(schema_errors(&doc).is_empty());
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let national = rules
        .iter()
        .find(|r| r["id"] == "nhs-number-check-digit")
        .unwrap_or_else(|| panic!("the NHS number rule among {rules:?}"));
    let text = national["shortDescription"]["text"].as_str().unwrap();
    assert!(
        text.contains("fails Modulus 11"),
        "the pack's explanation, not a generic one: {text}"
    );
}

#[test]
fn information_is_included_as_notes_with_info() {
    let (code, doc, _) = sarif(&[
        "--info",
        "fixtures/valid/document-reference-discharge-summary.json",
    ]);
    assert_eq!(code, Some(0));
    assert!(schema_errors(&doc).is_empty());
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["level"] == "note" && r["ruleId"] == "binding-not-checked"));
}

#[test]
fn baseline_states_and_waiver_suppressions_are_valid_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let out = run(&[
        "baseline",
        "write",
        "-o",
        baseline.to_str().unwrap(),
        "fixtures/invalid/patient-bad-gender-code.json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let waivers = dir.path().join("waivers.toml");
    std::fs::write(
        &waivers,
        "[[waiver]]\nrule = \"unknown-element\"\nowner = \"Jo\"\nreason = \"known\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    let (code, doc, _) = sarif(&[
        "--baseline",
        baseline.to_str().unwrap(),
        "--waivers",
        waivers.to_str().unwrap(),
        "fixtures/invalid/patient-bad-gender-code.json",
        "fixtures/invalid/patient-unknown-element.json",
        "fixtures/invalid/patient-active-as-string.json",
    ]);
    assert_eq!(code, Some(1), "the JSON type error is new");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let by_rule = |rule: &str| results.iter().find(|r| r["ruleId"] == rule).unwrap();
    assert_eq!(by_rule("binding-required")["baselineState"], "unchanged");
    assert_eq!(by_rule("json-type")["baselineState"], "new");
    let waived = by_rule("unknown-element");
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    assert_eq!(
        waived["suppressions"][0]["justification"],
        "known (owner Jo, until 2099-01-01)"
    );
}

#[test]
fn standard_input_has_no_file_but_keeps_the_fhirpath() {
    use std::io::Write;
    let mut child = common::command_in(&root(), &["validate", "-", "--format", "sarif"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"resourceType":"Patient","gender":"nope"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema_errors(&doc).is_empty());
    let loc = &doc["runs"][0]["results"][0]["locations"][0];
    assert!(loc.get("physicalLocation").is_none());
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "Patient.gender"
    );
}

/// A probe's failed SHALL check as code scanning sees it: valid SARIF, an
/// error placed at the endpoint's URL, with the check's requirement.
#[test]
fn probe_sarif_places_a_failed_shall_check_at_the_endpoint() {
    let mut s = conform_peers::Sekmet::builder()
        .no_seed()
        .start()
        .expect("sekmet");
    let patient =
        std::fs::read_to_string(root().join("fixtures/invalid/patient-bad-gender-code.json"))
            .unwrap();
    s.seed(&[serde_json::from_str(&patient).unwrap()]).unwrap();
    let out = run(&["probe", &s.base_url, "--type", "Patient", "-f", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("SARIF parses");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let failed = results
        .iter()
        .find(|r| r["ruleId"] == "Patient.read.valid")
        .unwrap_or_else(|| panic!("the failed validation check among {results:?}"));
    assert_eq!(failed["level"], "error");
    assert_eq!(failed["properties"]["requirement"], "SHALL");
    assert_eq!(
        failed["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        s.base_url.as_str()
    );
    assert!(
        results.iter().all(|r| r["level"] != "note"),
        "passes and skips are not results"
    );
}

/// The doctor's set-up problem as code scanning sees it.
#[test]
fn doctor_sarif_names_the_area_and_subject_of_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        "[packages]\nload = [\"hl7.fhir.r4.core#4.0.1\", \"uk.example.missing#9.9.9\"]\n",
    )
    .unwrap();
    let out = common::conform_in(dir.path(), &["doctor", "-f", "sarif"]);
    assert_eq!(out.status.code(), Some(2), "a set-up problem");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("SARIF parses");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the problem: {results:?}");
    let r = &results[0];
    assert_eq!(r["ruleId"], "doctor.packages");
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "packages/uk.example.missing#9.9.9"
    );
}

/// A scenario run as code scanning sees it: valid SARIF, a failed SHALL
/// assertion placed at its scenario and step, and a step whose region did
/// not answer as an error of its own; passes are not results.
#[test]
fn scenario_sarif_places_assertions_at_their_scenario_and_step() {
    let s = conform_peers::Sekmet::builder()
        .no_seed()
        .start()
        .expect("sekmet");
    let dir = tempfile::tempdir().unwrap();
    let port = conform_peers::free_port();
    let regions = dir.path().join("regions.yaml");
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: a, base_url: '{}'}}\n  - {{name: gone, base_url: 'http://127.0.0.1:{port}/fhir', timeout: 2s, retries: 0}}\n", s.base_url),
    )
    .unwrap();
    let kit = dir.path().join("kit");
    std::fs::create_dir(&kit).unwrap();
    std::fs::write(
        kit.join("answered.yaml"),
        "id: answered\nregions: [a]\nsteps:\n  - {name: meta, on: a, request: {path: metadata}, expect: {status: 200}}\n  - {name: missing, on: a, request: {path: Patient/none}, expect: {status: 200}}\n",
    )
    .unwrap();
    std::fs::write(
        kit.join("unanswered.yaml"),
        "id: unanswered\nregions: [gone]\nsteps:\n  - {name: meta, on: gone, request: {path: metadata}, expect: {status: 200}}\n",
    )
    .unwrap();
    let out = run(&[
        "scenario",
        "run",
        kit.to_str().unwrap(),
        "--regions",
        regions.to_str().unwrap(),
        "-f",
        "sarif",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an assertion failed: {}",
        common::stderr(&out)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("SARIF parses");
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let placed: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        placed,
        vec![
            ("status", "error", "answered/missing"),
            ("request", "error", "unanswered/meta"),
        ],
        "{results:?}"
    );
    assert_eq!(results[0]["properties"]["requirement"], "SHALL");
    assert_eq!(results[0]["properties"]["status"], "fail");
    assert_eq!(results[1]["properties"]["status"], "error");
    assert_eq!(results[1]["properties"]["region"], "gone");
}
