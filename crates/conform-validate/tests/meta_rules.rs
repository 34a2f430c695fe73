//! A resource's security labels are a set: one given twice is an error.

mod common;

use serde_json::json;

#[test]
fn a_security_label_is_given_once() {
    let label =
        json!({"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"});
    let other =
        json!({"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"});
    let findings = |labels: serde_json::Value| -> Vec<String> {
        let patient = json!({"resourceType": "Patient", "meta": {"security": labels}});
        common::r4()
            .validate_bytes(patient.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "security-label-duplicate")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    assert!(findings(json!([label, other])).is_empty());
    assert_eq!(
        findings(json!([label, other, label])),
        ["Error Patient.meta.security[2]"]
    );
}
