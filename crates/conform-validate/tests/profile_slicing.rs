//! A value of a sliced element belongs to one slice: when the
//! discriminators let it match two sibling slices, the profile cannot tell
//! them apart and the value is reported (the reference's
//! `Validation_VAL_Profile_MatchMultiple`).

mod common;

use serde_json::json;

fn validator(second_system: &str) -> conform_validate::Validator {
    let dir = tempfile::tempdir().expect("temp dir");
    let slice = |name: &str, system: &str| {
        vec![
            json!({"id": format!("Patient.identifier:{name}"), "path": "Patient.identifier",
                "sliceName": name}),
            json!({"id": format!("Patient.identifier:{name}.system"),
                "path": "Patient.identifier.system", "fixedUri": system}),
        ]
    };
    let mut elements = vec![
        json!({"id": "Patient.identifier", "path": "Patient.identifier",
        "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}}),
    ];
    elements.extend(slice("nhs", "https://fhir.nhs.uk/Id/nhs-number"));
    elements.extend(slice("other", second_system));
    let sd = json!({"resourceType": "StructureDefinition",
        "url": "http://example.org/fhir/StructureDefinition/sliced", "name": "Sliced",
        "status": "active", "fhirVersion": "4.0.1", "kind": "resource", "abstract": false,
        "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "derivation": "constraint", "differential": {"element": elements}});
    let path = dir.path().join("sliced.json");
    std::fs::write(&path, sd.to_string()).expect("write profile");
    common::r4_with(&[path])
}

fn multiple(v: &conform_validate::Validator) -> Vec<String> {
    let patient = json!({"resourceType": "Patient",
        "meta": {"profile": ["http://example.org/fhir/StructureDefinition/sliced"]},
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990010005"}]});
    v.validate_bytes(patient.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.rule == "profile-slice-multiple")
        .map(|f| format!("{:?} {}", f.severity, f.expression()))
        .collect()
}

#[test]
fn a_value_matching_two_slices_is_an_error() {
    assert_eq!(
        multiple(&validator("https://fhir.nhs.uk/Id/nhs-number")),
        ["Error Patient.identifier[0]"]
    );
    assert!(multiple(&validator("https://fhir.nhs.uk/Id/local")).is_empty());
}

/// A Patient profile that needs a gender, and an Observation profile whose
/// subject must be such a Patient.
fn target_profile_validator() -> conform_validate::Validator {
    common::r4_with_definitions(&[
        common::constraint(
            "http://example.org/fhir/StructureDefinition/gendered",
            "Patient",
            json!([{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]),
        ),
        common::constraint(
            "http://example.org/fhir/StructureDefinition/obs",
            "Observation",
            json!([{"id": "Observation.subject", "path": "Observation.subject",
                "type": [{"code": "Reference",
                    "targetProfile": ["http://example.org/fhir/StructureDefinition/gendered"]}]}]),
        ),
    ])
}

#[test]
fn a_resolved_reference_leads_to_a_resource_of_a_target_profile() {
    let v = target_profile_validator();
    let bundle = |patient: serde_json::Value| {
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3303", "resource": {
                "resourceType": "Observation", "status": "final", "code": {"text": "weight"},
                "meta": {"profile": ["http://example.org/fhir/StructureDefinition/obs"]},
                "subject": {"reference": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301"}}},
            {"fullUrl": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301", "resource": patient}]})
    };
    let found = |b: serde_json::Value| -> Vec<String> {
        v.validate_bytes(b.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "reference-target-profile")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    assert!(found(bundle(
        json!({"resourceType": "Patient", "gender": "female"})
    ))
    .is_empty());
    assert_eq!(
        found(bundle(json!({"resourceType": "Patient"}))),
        ["Error Bundle.entry[0].resource.subject.reference"]
    );
}
