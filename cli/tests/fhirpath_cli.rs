//! `conform fhirpath` as a user runs it.

mod common;

use common::{run, stderr, stdout};

const PATIENT: &str = "fixtures/valid/patient-nhs-number.json";

#[test]
fn prints_typed_results_as_text() {
    let out = run(&["fhirpath", "Patient.name.given", PATIENT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(": Jane\n") && text.contains(": Anne\n"),
        "{text}"
    );
}

#[test]
fn json_gives_type_and_value() {
    let out = run(&[
        "fhirpath",
        "-f",
        "json",
        "Patient.birthDate | Patient.active | 1.50 'mg' | (1 + 2)",
        PATIENT,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v[0],
        serde_json::json!({"type": "date", "value": "1978-04-12"})
    );
    assert_eq!(v[1], serde_json::json!({"type": "boolean", "value": true}));
    assert_eq!(v[2]["type"], "Quantity");
    assert_eq!(v[2]["value"]["unit"], "mg");
    assert_eq!(v[2]["value"]["value"].as_f64(), Some(1.5));
    assert_eq!(v[3], serde_json::json!({"type": "Integer", "value": "3"}));
}

#[test]
fn a_bad_expression_is_a_usage_error_with_its_position() {
    let out = run(&["fhirpath", "Patient.name.where(", PATIENT]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does not parse at position"),
        "{}",
        stderr(&out)
    );
}
