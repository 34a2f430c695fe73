//! Choosing the FHIR release: `--fhir-version`, the pack's `fhir-version`
//! and conform.toml's, the core package swapped to match, packages of two
//! releases refused, and a payload of the other release told in one finding.

mod common;

use common::{conform_in, run, stderr, stdout};

fn stu3_example(name: &str) -> String {
    conform_testdata::path("stu3/examples")
        .join(name)
        .display()
        .to_string()
}

fn rules(out: &std::process::Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["resources"].as_array().unwrap().iter())
        .flat_map(|r| r["issues"].as_array().unwrap().iter())
        .filter(|i| i["severity"] == "error")
        .map(|i| i["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fhir_version_swaps_the_configured_core_package() {
    // The repository's conform.toml loads the R4 core package.
    let file = stu3_example("patient-example-animal.json");
    let out = run(&[
        "validate",
        "--fhir-version",
        "3.0",
        "-v",
        &file,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("hl7.fhir.r3.core#3.0.1"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("hl7.fhir.r4.core"),
        "{}",
        stderr(&out)
    );
    assert!(rules(&out).is_empty());
}

#[test]
fn an_stu3_payload_validated_as_r4_gets_one_finding() {
    // Patient.animal is STU3 only.
    let file = stu3_example("patient-example-animal.json");
    let out = run(&["validate", &file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(rules(&out), ["fhir-version"]);
    let text = stdout(&run(&["validate", &file]));
    assert!(
        text.contains("This looks like FHIR STU3 (3.0.1), not R4 (4.0.1)")
            && text.contains("--fhir-version 3.0 or --pack gp-connect"),
        "{text}"
    );
}

#[test]
fn the_gp_connect_pack_validates_stu3_with_gp_connect_profiles() {
    let out = run(&[
        "validate",
        "--pack",
        "gp-connect",
        "fixtures/gp-connect/valid",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = run(&[
        "validate",
        "--pack",
        "gp-connect",
        "fixtures/gp-connect/invalid",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut by_file: Vec<(String, Vec<String>)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            let errors = f["resources"][0]["issues"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["severity"] == "error")
                .map(|i| i["rule"].as_str().unwrap().to_string())
                .collect();
            (name, errors)
        })
        .collect();
    by_file.sort();
    // Each fixture breaks one rule: the profile, its extension's binding,
    // the national rule, and the release.
    let expected = [
        ("condition-written-for-r4.json", "fhir-version"),
        (
            "patient-nhs-number-check-digit.json",
            "nhs-number-check-digit",
        ),
        (
            "patient-no-nhs-number-verification-status.json",
            "profile-slice-cardinality",
        ),
        (
            "patient-verification-status-not-in-value-set.json",
            "binding-required",
        ),
    ];
    assert_eq!(by_file.len(), expected.len(), "{by_file:?}");
    for ((name, errors), (want_name, want_rule)) in by_file.iter().zip(expected) {
        assert_eq!(name, want_name);
        assert_eq!(errors, &[want_rule.to_string()], "{name}");
    }
}

#[test]
fn packages_of_two_releases_are_refused() {
    // The NHS STU3 assets on top of the configured R4 core.
    let out = run(&[
        "validate",
        "--ig",
        "nhsconnect.stu3-fhir-assets#2024.10.24",
        "fixtures/valid",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("is for FHIR 3.0.1, but this run validates R4 (4.0.1)")
            && err.contains("--fhir-version"),
        "{err}"
    );
}

#[test]
fn an_unknown_fhir_version_is_a_usage_error() {
    let out = run(&["validate", "--fhir-version", "5.0", "fixtures/valid"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown FHIR version \"5.0\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn conform_toml_can_choose_the_release() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        "[packages]\nfhir-version = \"3.0\"\n",
    )
    .unwrap();
    let file = stu3_example("patient-example-animal.json");
    let out = conform_in(dir.path(), &["validate", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // --fhir-version wins over the file.
    let out = conform_in(dir.path(), &["validate", "--fhir-version", "4.0", &file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("[fhir-version]"));
}
