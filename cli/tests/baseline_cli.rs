//! Baselines and waivers as a certification run uses them: `conform
//! baseline write` stores the findings, `validate --baseline` fails only on
//! new ones, `--waivers` lets known deviations pass until their expiry date,
//! and an expired waiver fails the run and says so.

mod common;

use common::{run, stderr, stdout};
use std::path::{Path, PathBuf};

const GENDER: &str = "fixtures/invalid/patient-bad-gender-code.json";
const UNKNOWN: &str = "fixtures/invalid/patient-unknown-element.json";

fn write_baseline(dir: &Path, paths: &[&str]) -> PathBuf {
    let file = dir.join("conform-baseline.json");
    let mut args = vec!["baseline", "write", "-o", file.to_str().unwrap()];
    args.extend_from_slice(paths);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    file
}

fn baseline_json(file: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn waivers(dir: &Path, text: &str) -> PathBuf {
    let file = dir.join("waivers.toml");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn baseline_write_stores_every_error_with_a_stable_id() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_baseline(dir.path(), &["fixtures/invalid"]);
    let b = baseline_json(&file);
    assert_eq!(b["schema"], "conform.baseline/2");
    let findings = b["findings"].as_array().unwrap();
    let errors = findings
        .iter()
        .filter(|f| f["severity"] == "error" || f["severity"] == "fatal")
        .count();
    assert_eq!(errors, 16, "the 16 errors of fixtures/invalid");
    assert!(findings.iter().all(|f| f["severity"] != "information"));
    let gender = findings
        .iter()
        .find(|f| f["path"] == GENDER)
        .expect("the gender finding");
    let id = gender["id"].as_str().unwrap();
    assert!(
        id.starts_with(&format!("binding-required:{GENDER}:Patient.gender:")),
        "{id}"
    );
    // Written again, the same ids.
    let again = write_baseline(dir.path(), &["fixtures/invalid"]);
    assert_eq!(baseline_json(&again), b);
}

#[test]
fn baselined_findings_pass_and_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_baseline(dir.path(), &["fixtures/invalid"]);
    let out = run(&[
        "validate",
        "fixtures/invalid",
        "--baseline",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("required for Patient.gender (in baseline) [binding-required]"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("16 known findings, 0 new errors, 0 new warnings, 0 fixed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_new_finding_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_baseline(dir.path(), &[GENDER]);
    let out = run(&[
        "validate",
        GENDER,
        UNKNOWN,
        "--baseline",
        file.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 known finding, 1 new error"),
        "{}",
        stderr(&out)
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["baselineState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("binding-required".to_string(), "unchanged".to_string()),
            ("unknown-element".to_string(), "new".to_string())
        ]
    );
}

#[test]
fn fixed_findings_do_not_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_baseline(dir.path(), &[GENDER, UNKNOWN]);
    let out = run(&["validate", GENDER, "--baseline", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("1 fixed"), "{}", stderr(&out));
}

#[test]
fn waived_findings_pass_by_rule_and_path_or_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let w = waivers(
        dir.path(),
        r#"
[[waiver]]
rule = "binding-required"
path = "fixtures/invalid/*.json"
owner = "ICS interoperability lead"
reason = "supplier fix in release 4.2"
expires = 2099-12-31
"#,
    );
    let out = run(&["validate", GENDER, "--waivers", w.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(
            "(waived: supplier fix in release 4.2 (owner ICS interoperability lead, until 2099-12-31))"
        ),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("1 finding waived"),
        "{}",
        stderr(&out)
    );

    // By id, as `baseline write` prints it; other findings still fail.
    let b = baseline_json(&write_baseline(dir.path(), &[GENDER]));
    let id = b["findings"][0]["id"].as_str().unwrap().to_string();
    let w = waivers(
        dir.path(),
        &format!(
            "[[waiver]]\nid = \"{id}\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2099-12-31\n"
        ),
    );
    let out = run(&["validate", GENDER, "--waivers", w.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&[
        "validate",
        GENDER,
        UNKNOWN,
        "--waivers",
        w.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the unknown element is not waived"
    );
}

#[test]
fn an_expired_waiver_fails_the_run_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let w = waivers(
        dir.path(),
        r#"
[[waiver]]
rule = "binding-required"
path = "fixtures/invalid/*.json"
owner = "Jo Bloggs"
reason = "supplier fix due"
expires = 2020-01-31
"#,
    );
    let out = run(&["validate", GENDER, "--waivers", w.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "waiver 'binding-required on fixtures/invalid/*.json' (owner Jo Bloggs) expired on 2020-01-31"
        ),
        "{}",
        stderr(&out)
    );
    // Expired, it fails even when a baseline knows the finding.
    let file = write_baseline(dir.path(), &[GENDER]);
    let out = run(&[
        "validate",
        GENDER,
        "--waivers",
        w.to_str().unwrap(),
        "--baseline",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_waiver_that_matches_nothing_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let w = waivers(
        dir.path(),
        "[[waiver]]\nrule = \"pat-1\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2099-01-01\n",
    );
    let out = run(&[
        "validate",
        "fixtures/valid/patient-nhs-number.json",
        "--waivers",
        w.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("warning: waiver 'pat-1 on **' (owner o) matches no finding"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn broken_baselines_and_waivers_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let w = waivers(
        dir.path(),
        "[[waiver]]\nrule = \"pat-1\"\nreason = \"r\"\nexpires = 2099-01-01\n",
    );
    let out = run(&["validate", GENDER, "--waivers", w.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("'owner' is required"),
        "{}",
        stderr(&out)
    );
    let out = run(&["validate", GENDER, "--baseline", "no/such/baseline.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read no/such/baseline.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_baseline_id_ends_with_the_start_of_the_sarif_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_baseline(dir.path(), &[GENDER]);
    let b = baseline_json(&file);
    let id = b["findings"][0]["id"].as_str().unwrap().to_string();
    let out = run(&["validate", GENDER, "-f", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let fingerprint = sarif["runs"][0]["results"][0]["partialFingerprints"]["conformFinding/v2"]
        .as_str()
        .unwrap();
    assert!(
        id.ends_with(&format!(":{}", &fingerprint[..8])),
        "{id} / {fingerprint}"
    );
}
