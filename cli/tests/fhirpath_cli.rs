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

/// Evaluates with `-f json` and returns the result array.
fn json(expr: &str, file: &str) -> Vec<serde_json::Value> {
    let out = run(&["fhirpath", "-f", "json", expr, file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn types_come_from_the_loaded_definitions() {
    // Patient.telecom.use is a `code` and Patient.name a `HumanName` only
    // because R4's definitions say so: the JSON carries no type
    let v = json("Patient.telecom.use | Patient.name.period", PATIENT);
    assert_eq!(v[0]["type"], "code");
    assert_eq!(
        json("Patient.name.first().type().name", PATIENT)[0]["value"],
        "HumanName"
    );
    assert_eq!(
        json("Patient.telecom.use is code", PATIENT)[0]["value"],
        true
    );
    assert_eq!(
        json("Patient.telecom.use.ofType(string).count()", PATIENT)[0]["value"],
        "0"
    );
}

#[test]
fn resolve_finds_entries_of_the_bundle() {
    let bundle = "fixtures/valid/bundle-attendance.json";
    let v = json(
        "Bundle.entry.resource.ofType(Encounter).subject.resolve().name.family",
        bundle,
    );
    assert_eq!(
        v,
        vec![serde_json::json!({"type": "string", "value": "Smith"})]
    );
}

#[test]
fn member_of_uses_locally_expanded_value_sets() {
    let gender = "http://hl7.org/fhir/ValueSet/administrative-gender";
    let v = json(&format!("Patient.gender.memberOf('{gender}')"), PATIENT);
    assert_eq!(v[0]["value"], true);
    let v = json(&format!("'wrong'.memberOf('{gender}')"), PATIENT);
    assert_eq!(v[0]["value"], false);
    // a value set we cannot expand offline is empty (unknown), not false
    let v = json(
        "Patient.gender.memberOf('http://example.org/unknown')",
        PATIENT,
    );
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn conforms_to_and_html_checks_are_answered() {
    let v = json(
        "Patient.conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')",
        PATIENT,
    );
    assert_eq!(v[0]["value"], true);
    let v = json(
        "Patient.conformsTo('http://hl7.org/fhir/StructureDefinition/Observation')",
        PATIENT,
    );
    assert_eq!(v[0]["value"], false);
    let dir = tempfile::tempdir().unwrap();
    let narrative = |div: &str| {
        let f = dir.path().join("n.json");
        let r = serde_json::json!({"resourceType": "Basic", "code": {"text": "x"},
            "text": {"status": "generated", "div": div}});
        std::fs::write(&f, r.to_string()).unwrap();
        json("Basic.text.div.htmlChecks()", f.to_str().unwrap())
    };
    let good = narrative(r#"<div xmlns="http://www.w3.org/1999/xhtml"><p>ok</p></div>"#);
    assert_eq!(good[0]["value"], true);
    let bad = narrative(r#"<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>"#);
    assert_eq!(bad[0]["value"], false);
}
