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
