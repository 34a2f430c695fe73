//! `minValue[x]`/`maxValue[x]` a profile sets (ElementDefinition.minValue[x]
//! and maxValue[x]), and its `minLength` extension; a Duration on a date
//! limits it relative to now, as the reference validator reads it.

mod common;

use serde_json::{json, Value};

fn profile_with(limit: Value) -> conform_validate::Validator {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut element = json!({"id": "Patient.birthDate", "path": "Patient.birthDate"});
    element
        .as_object_mut()
        .unwrap()
        .extend(limit.as_object().unwrap().clone());
    let sd = json!({"resourceType": "StructureDefinition",
        "url": "http://example.org/fhir/StructureDefinition/limited", "name": "Limited",
        "status": "active", "fhirVersion": "4.0.1", "kind": "resource", "abstract": false,
        "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "derivation": "constraint", "differential": {"element": [element]}});
    let path = dir.path().join("limited.json");
    std::fs::write(&path, sd.to_string()).expect("write profile");
    common::r4_with(&[path])
}

fn limit_findings(v: &conform_validate::Validator, birth_date: &str) -> Vec<String> {
    let patient = json!({"resourceType": "Patient", "birthDate": birth_date,
        "meta": {"profile": ["http://example.org/fhir/StructureDefinition/limited"]}});
    v.validate_bytes(patient.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.rule == "profile-value-limit")
        .map(|f| format!("{:?} {}", f.severity, f.expression()))
        .collect()
}

fn years_from_now(n: i16) -> String {
    format!("{}-01-01", jiff::Zoned::now().year() + n)
}

#[test]
fn a_minimum_duration_is_counted_back_from_now() {
    let v = profile_with(json!({"minValueDuration":
        {"value": 100, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}}));
    assert_eq!(
        limit_findings(&v, &years_from_now(-101)),
        ["Error Patient.birthDate"]
    );
    assert!(limit_findings(&v, &years_from_now(-99)).is_empty());
}

#[test]
fn a_maximum_duration_is_counted_forward_from_now() {
    let v = profile_with(json!({"maxValueDuration":
        {"value": 10, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}}));
    assert_eq!(
        limit_findings(&v, &years_from_now(11)),
        ["Error Patient.birthDate"]
    );
    assert!(limit_findings(&v, &years_from_now(9)).is_empty());
}

#[test]
fn a_duration_with_a_comparator_cannot_limit_a_date() {
    let v = profile_with(json!({"minValueDuration":
        {"value": 1, "comparator": "<", "system": "http://unitsofmeasure.org", "code": "a"}}));
    assert_eq!(
        limit_findings(&v, "2000-01-01"),
        ["Error Patient.birthDate"]
    );
}

#[test]
fn a_fixed_date_limit_still_applies() {
    let v = profile_with(json!({"minValueDate": "1900-01-01"}));
    assert_eq!(
        limit_findings(&v, "1850-01-01"),
        ["Error Patient.birthDate"]
    );
    assert!(limit_findings(&v, "1950-01-01").is_empty());
}

#[test]
fn the_min_length_extension_sets_a_shortest_string() {
    let v = profile_with(json!({"extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/minLength", "valueInteger": 10}]}));
    let findings = |birth_date: &str| -> Vec<String> {
        let patient = json!({"resourceType": "Patient", "birthDate": birth_date,
            "meta": {"profile": ["http://example.org/fhir/StructureDefinition/limited"]}});
        v.validate_bytes(patient.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "profile-min-length")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    assert_eq!(findings("1970"), ["Error Patient.birthDate"]);
    assert!(findings("1970-01-01").is_empty());
}
