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

#[test]
fn a_stated_language_is_declared_in_the_narrative() {
    let findings = |div: &str| -> Vec<String> {
        let patient = json!({"resourceType": "Patient", "language": "en-GB",
            "text": {"status": "generated", "div": div}});
        common::r4()
            .validate_bytes(patient.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "narrative-language")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    let ns = r#"xmlns="http://www.w3.org/1999/xhtml""#;
    assert!(findings(&format!(
        r#"<div {ns} lang="en-GB" xml:lang="en-GB">A</div>"#
    ))
    .is_empty());
    assert_eq!(
        findings(&format!("<div {ns}>A</div>")),
        ["Warning Patient.text.div"]
    );
    assert_eq!(
        findings(&format!(r#"<div {ns} lang="cy" xml:lang="cy">A</div>"#)),
        ["Warning Patient.text.div"]
    );
}
