//! The validator's options as flags and `conform.toml` keys
//! (docs/validator-options.md): the flag wins over the file, the file over
//! the default.

mod common;

use common::{conform_in, root, stdout};

/// A general practitioner reference that names a Patient: wrong by the
/// type its URL names, which only `assume-valid-rest-references` judges.
const FIXTURE: &str = "fixtures/invalid/patient-gp-reference-to-patient.json";

fn target_errors(dir: &std::path::Path, extra: &[&str]) -> (usize, Option<i32>) {
    let file = root().join(FIXTURE);
    let mut args = vec!["validate", "-f", "json"];
    args.extend_from_slice(extra);
    let file = file.to_string_lossy().into_owned();
    args.push(&file);
    let out = conform_in(dir, &args);
    let n = issues_of(&out, "reference-target", "rule").len();
    (n, out.status.code())
}

#[test]
fn assume_valid_rest_references_is_a_flag_and_a_config_key() {
    let plain = tempfile::tempdir().expect("temp dir");
    // conform's default judges the type the reference names.
    assert_eq!(target_errors(plain.path(), &[]), (1, Some(1)));
    // The HL7 validator's default does not.
    assert_eq!(
        target_errors(plain.path(), &["--assume-valid-rest-references=false"]),
        (0, Some(0))
    );

    let configured = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        configured.path().join("conform.toml"),
        "[validate]\nassume-valid-rest-references = false\n",
    )
    .expect("write config");
    assert_eq!(target_errors(configured.path(), &[]), (0, Some(0)));
    // A bare flag means true, and the flag wins over the file.
    assert_eq!(
        target_errors(configured.path(), &["--assume-valid-rest-references"]),
        (1, Some(1))
    );
}

#[test]
fn a_bad_option_value_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = root().join(FIXTURE);
    let out = conform_in(
        dir.path(),
        &[
            "validate",
            "--security-checks=perhaps",
            &file.to_string_lossy(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nsecurity-checks = \"perhaps\"\n",
    )
    .expect("write config");
    let out = conform_in(dir.path(), &["validate", &file.to_string_lossy()]);
    assert_usage_error(&out, "security-checks");
}

/// Findings of `rule` (with their severities) when validating `file`.
fn findings(
    dir: &std::path::Path,
    file: &std::path::Path,
    extra: &[&str],
    rule: &str,
) -> Vec<String> {
    let mut args = vec!["validate", "-f", "json", "--info"];
    args.extend_from_slice(extra);
    let file = file.to_string_lossy().into_owned();
    args.push(&file);
    let out = conform_in(dir, &args);
    issues_of(&out, rule, "severity")
}

/// `field` of each issue of `rule` of the first resource of a JSON report.
fn issues_of(out: &std::process::Output, rule: &str, field: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("JSON report ({e}): {}", common::stderr(out)));
    report["files"][0]["resources"][0]["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["rule"] == rule)
        .map(|i| i[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The run stopped as a usage error (exit 2) that names `needle`.
#[track_caller]
fn assert_usage_error(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(out));
    assert!(
        common::stderr(out).contains(needle),
        "{needle}: {}",
        common::stderr(out)
    );
}

/// A resource with a narrative, so that dom-6's advice stays out of the
/// findings the test looks at.
fn narrated(mut resource: serde_json::Value) -> serde_json::Value {
    resource["text"] = serde_json::json!({"status": "generated",
        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">A</div>"});
    resource
}

fn write(dir: &std::path::Path, name: &str, json: serde_json::Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, json.to_string()).expect("write fixture");
    path
}

#[test]
fn the_reference_policy_decides_what_unresolved_references_get() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = root().join(FIXTURE);
    // ignore: an unresolved reference's URL type is not judged
    assert!(findings(
        dir.path(),
        &file,
        &["--references", "ignore"],
        "reference-target"
    )
    .is_empty());
    // check-exists: it must resolve here, and conform fetches nothing
    assert_eq!(
        findings(
            dir.path(),
            &file,
            &["--references", "check-exists"],
            "reference-not-resolved"
        ),
        ["error"]
    );
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nreferences = \"check-exists\"\n",
    )
    .expect("write config");
    assert_eq!(
        findings(dir.path(), &file, &[], "reference-not-resolved"),
        ["error"]
    );
    assert!(findings(
        dir.path(),
        &file,
        &["--references", "check-type"],
        "reference-not-resolved"
    )
    .is_empty());
}

#[test]
fn allowed_extension_domains_need_no_definition() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "p.json",
        narrated(serde_json::json!({"resourceType": "Patient",
        "extension": [{"url": "https://fhir.nhs.uk/StructureDefinition/Extension-Local", "valueString": "x"}]})),
    );
    assert_eq!(
        findings(dir.path(), &file, &[], "extension-unknown"),
        ["error"]
    );
    assert!(findings(
        dir.path(),
        &file,
        &[
            "--extension-domain",
            "https://fhir.nhs.uk/StructureDefinition"
        ],
        "extension-unknown"
    )
    .is_empty());
    assert!(findings(
        dir.path(),
        &file,
        &["--extension-domain", "any"],
        "extension-unknown"
    )
    .is_empty());
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nextension-domains = [\"https://fhir.nhs.uk/\"]\n",
    )
    .expect("write config");
    assert!(findings(dir.path(), &file, &[], "extension-unknown").is_empty());
}

#[test]
fn best_practice_invariants_are_reported_at_the_level_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    // no narrative: dom-6, a best-practice invariant
    let file = write(
        dir.path(),
        "p.json",
        serde_json::json!({"resourceType": "Patient", "active": true}),
    );
    assert_eq!(findings(dir.path(), &file, &[], "dom-6"), ["information"]);
    assert_eq!(
        findings(dir.path(), &file, &["--best-practice", "warning"], "dom-6"),
        ["warning"]
    );
    assert_eq!(
        findings(dir.path(), &file, &["--best-practice", "error"], "dom-6"),
        ["error"]
    );
    assert!(findings(dir.path(), &file, &["--best-practice", "ignore"], "dom-6").is_empty());
}

#[test]
fn extensible_binding_warnings_can_be_turned_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    // the vital-signs profile binds Observation.code extensibly
    let file = write(
        dir.path(),
        "o.json",
        serde_json::json!({"resourceType": "Observation",
        "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]},
        "status": "final", "category": [{"coding": [{"system":
            "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "1234-5"}]},
        "subject": {"reference": "Patient/1"}, "effectiveDateTime": "2020-01-01",
        "valueQuantity": {"value": 1, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}),
    );
    assert_eq!(
        findings(dir.path(), &file, &[], "binding-extensible"),
        ["warning"]
    );
    assert!(findings(
        dir.path(),
        &file,
        &["--extensible-binding-warnings=false"],
        "binding-extensible"
    )
    .is_empty());
}

#[test]
fn contained_resources_can_be_left_unvalidated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "p.json",
        narrated(serde_json::json!({"resourceType": "Patient",
        "contained": [{"resourceType": "Practitioner", "id": "gp", "active": "yes"}],
        "generalPractitioner": [{"reference": "#gp"}]})),
    );
    assert_eq!(findings(dir.path(), &file, &[], "json-type"), ["error"]);
    assert!(findings(dir.path(), &file, &["--contained", "ignore"], "json-type").is_empty());
}

#[test]
fn an_unknown_policy_or_key_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = root().join(FIXTURE).to_string_lossy().into_owned();
    let out = conform_in(
        dir.path(),
        &["validate", "--references", "sometimes", &file],
    );
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nbest-practise = \"error\"\n",
    )
    .expect("write config");
    let out = conform_in(dir.path(), &["validate", &file]);
    assert_usage_error(&out, "best-practise");
}

#[test]
fn must_support_hints_are_given_when_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    // vital signs mark status, category, code, subject, effective[x] and
    // value[x] mustSupport, not issued
    let file = write(
        dir.path(),
        "o.json",
        narrated(serde_json::json!({"resourceType": "Observation",
        "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/bodyweight"]},
        "status": "final", "category": [{"coding": [{"system":
            "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": "Patient/1"}, "effectiveDateTime": "2020-01-01",
        "issued": "2020-01-01T10:00:00Z",
        "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}})),
    );
    assert!(findings(dir.path(), &file, &[], "must-support").is_empty());
    let hints = findings(dir.path(), &file, &["--must-support-hints"], "must-support");
    assert!(
        !hints.is_empty() && hints.iter().all(|s| s == "information"),
        "{hints:?}"
    );
}

#[test]
fn experimental_content_is_refused_when_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(
        dir.path(),
        "vs.json",
        narrated(serde_json::json!({"resourceType": "ValueSet",
        "url": "http://example.org/fhir/ValueSet/trial", "name": "Trial", "status": "draft",
        "experimental": true})),
    );
    assert!(findings(dir.path(), &file, &[], "experimental-content").is_empty());
    assert_eq!(
        findings(
            dir.path(),
            &file,
            &["--no-experimental-content"],
            "experimental-content"
        ),
        ["error"]
    );
}

/// `--resolve-from`: references resolve to the resources of a folder,
/// under `check-valid` unless a policy is given; a path that is not there
/// is a usage error.
#[test]
fn resolve_from_resolves_references_to_a_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let people = dir.path().join("people");
    std::fs::create_dir(&people).expect("folder");
    std::fs::write(
        people.join("p1.json"),
        r#"{"resourceType": "Patient", "id": "p1"}"#,
    )
    .expect("write");
    std::fs::write(
        dir.path().join("obs.json"),
        r#"{"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "subject": {"reference": "Patient/p1"},
            "performer": [{"reference": "Practitioner/nobody"}]}"#,
    )
    .expect("write");
    let unresolved = |extra: &[&str]| {
        let mut args = vec!["validate", "-f", "json", "obs.json"];
        args.extend_from_slice(extra);
        let out = conform_in(dir.path(), &args);
        let paths = issues_of(&out, "reference-not-resolved", "expression");
        (paths, out.status.code())
    };
    assert_eq!(
        unresolved(&["--resolve-from", "people"]),
        (
            vec!["Observation.performer[0].reference".to_string()],
            Some(1)
        )
    );
    // without it, check-valid finds neither
    assert_eq!(
        unresolved(&["--references", "check-valid"]).0.len(),
        2,
        "both references unresolved"
    );
    // a policy given wins
    assert_eq!(
        unresolved(&["--resolve-from", "people", "--references", "check-type"]),
        (vec![], Some(0))
    );
    let out = conform_in(
        dir.path(),
        &["validate", "--resolve-from", "nowhere", "obs.json"],
    );
    assert_usage_error(&out, "nowhere");
}

/// `--bundle-profile RULE PROFILE`: the entries a rule takes are validated
/// against the profile; a rule that cannot be read, a type that is no
/// resource type and a profile not loaded are usage errors.
#[test]
fn bundle_profile_validates_the_entries_a_rule_takes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = "http://example.org/fhir/StructureDefinition/identified-patient";
    let profile = serde_json::json!({"resourceType": "StructureDefinition", "url": url,
        "name": "IdentifiedPatient", "status": "active", "fhirVersion": "4.0.1",
        "kind": "resource", "abstract": false, "type": "Patient",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "derivation": "constraint", "differential": {"element": [
            {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1}]}});
    std::fs::write(dir.path().join("profile.json"), profile.to_string()).expect("write");
    std::fs::write(
        dir.path().join("bundle.json"),
        r#"{"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "http://example.org/fhir/Patient/a", "resource": {"resourceType": "Patient", "id": "a"}},
            {"fullUrl": "http://example.org/fhir/Patient/b", "resource": {"resourceType": "Patient", "id": "b",
                "identifier": [{"system": "urn:example", "value": "b"}]}}]}"#,
    )
    .expect("write");
    let run = |rule: &str| {
        conform_in(
            dir.path(),
            &[
                "validate",
                "-f",
                "json",
                "--ig",
                "profile.json",
                "--bundle-profile",
                rule,
                url,
                "bundle.json",
            ],
        )
    };
    let missing = |rule: &str| {
        let out = run(rule);
        (
            issues_of(&out, "cardinality-min", "expression"),
            out.status.code(),
        )
    };
    let first = vec!["Bundle.entry[0].resource.identifier".to_string()];
    assert_eq!(missing("Patient:0"), (first.clone(), Some(1)));
    assert_eq!(missing("Patient:1"), (vec![], Some(0)));
    assert_eq!(missing("Patient"), (first, Some(1)));
    for (rule, why) in [
        ("Patient:first", "entry number"),
        ("Patientt", "not a resource type"),
    ] {
        assert_usage_error(&run(rule), why);
    }
    let out = conform_in(
        dir.path(),
        &[
            "validate",
            "--bundle-profile",
            "Patient",
            "http://example.org/fhir/StructureDefinition/nowhere",
            "bundle.json",
        ],
    );
    assert_usage_error(&out, "not in the loaded packages");
}
