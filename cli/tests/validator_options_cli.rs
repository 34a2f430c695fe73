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
    let report: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("JSON report ({e}): {}", common::stderr(&out)));
    let n = report["files"][0]["resources"][0]["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["rule"] == "reference-target")
        .count();
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
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("security-checks"),
        "{}",
        common::stderr(&out)
    );
}
