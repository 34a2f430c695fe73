//! UK Core profile checks through the CLI: fixtures that are valid base R4
//! but break one UK Core profile constraint each, validated with the pack.

mod common;

use common::run;

const DIR: &str = "fixtures/invalid/uk-core-profiles";

#[test]
fn each_fixture_breaks_exactly_one_profile_constraint() {
    let out = run(&["validate", "--pack", "uk-core", DIR, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    for f in files {
        let issues = f["resources"][0]["issues"].as_array().unwrap();
        let errors: Vec<_> = issues.iter().filter(|i| i["severity"] == "error").collect();
        assert_eq!(errors.len(), 1, "{}: {errors:?}", f["path"]);
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("(profile UKCore"),
            "{errors:?}"
        );
    }
}

#[test]
fn profile_findings_text() {
    let out = run(&["validate", "--pack", "uk-core", DIR]);
    insta::assert_snapshot!(
        "uk_core_profile_findings",
        String::from_utf8(out.stdout).unwrap()
    );
}

#[test]
fn explicit_profile_gives_the_same_findings_as_the_pack() {
    let fixture = format!("{DIR}/patient-two-nhs-numbers.json");
    let out = run(&[
        "validate",
        "--ig",
        "fhir.r4.ukcore.stu2#2.0.2",
        "--profile",
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
        &fixture,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Patient.identifier:nhsNumber: at most 1 allowed, but found 2"),
        "{text}"
    );
}

#[test]
fn without_a_profile_they_are_valid_r4() {
    let out = run(&["validate", DIR]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let out = run(&["validate", "--profile", "https://example.org/nope", DIR]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://example.org/nope"));
}

#[test]
fn extension_used_outside_its_context_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("observation.json");
    // UK Core's ethnic category extension belongs on a Patient.
    std::fs::write(
        &file,
        r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},
  "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
    "valueCodeableConcept":{"text":"not stated"}}]}"#,
    )
    .unwrap();
    let out = run(&["validate", "--pack", "uk-core", file.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("is not allowed on Observation (its definition allows: Patient)"),
        "{text}"
    );
    assert!(text.contains("[extension-context]"), "{text}");
}
