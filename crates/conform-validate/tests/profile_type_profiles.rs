//! A profile that names a data type profile for an element (`type.profile`)
//! asks the value to conform to it; one that no loaded package defines
//! cannot be judged, which is an error where the value is (the reference's
//! `Validation_VAL_Unknown_Profile`). Naming several, it asks the value to
//! conform to one of them: conforming to none is an error of its own
//! (`Validation_VAL_Profile_NoMatch`), beside each profile's findings.

mod common;

use serde_json::json;

#[test]
fn an_element_type_profile_no_package_defines_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = |name: &str, type_profile: &str| {
        json!({"resourceType": "StructureDefinition",
            "url": format!("http://example.org/fhir/StructureDefinition/{name}"), "name": name,
            "status": "active", "fhirVersion": "4.0.1", "kind": "resource", "abstract": false,
            "type": "Observation",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity",
                    "type": [{"code": "Quantity", "profile": [type_profile]}]}]}})
    };
    let mut files = Vec::new();
    for (name, type_profile) in [
        (
            "known",
            "http://hl7.org/fhir/StructureDefinition/SimpleQuantity",
        ),
        (
            "unknown",
            "http://example.org/fhir/StructureDefinition/nowhere-quantity",
        ),
    ] {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, profile(name, type_profile).to_string()).expect("write");
        files.push(path);
    }
    let validator = common::r4_with(&files);
    let unknown = |name: &str| {
        let observation = json!({"resourceType": "Observation", "status": "final",
            "meta": {"profile": [format!("http://example.org/fhir/StructureDefinition/{name}")]},
            "code": {"text": "weight"}, "valueQuantity": {"value": 70, "unit": "kg"}});
        validator
            .validate_bytes(observation.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "profile-unknown")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect::<Vec<_>>()
    };
    assert!(unknown("known").is_empty());
    assert_eq!(
        unknown("unknown"),
        ["Error Observation.value.ofType(Quantity)"]
    );
}

#[test]
fn a_value_must_conform_to_one_of_several_type_profiles() {
    const BASE: &str = "http://example.org/fhir/StructureDefinition/";
    let address = |name: &str, element: &str| {
        json!({"resourceType": "StructureDefinition", "url": format!("{BASE}{name}"),
            "name": name, "status": "active", "fhirVersion": "4.0.1",
            "kind": "complex-type", "abstract": false, "type": "Address",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Address",
            "derivation": "constraint", "differential": {"element": [
                {"id": format!("Address.{element}"), "path": format!("Address.{element}"),
                    "min": 1}]}})
    };
    let person = common::constraint(
        &format!("{BASE}addressed-person"),
        "Person",
        json!([{"id": "Person.address", "path": "Person.address",
            "type": [{"code": "Address",
                "profile": [format!("{BASE}city-address"), format!("{BASE}postcode-address")]}]}]),
    );
    let v = common::r4_with_definitions(&[
        address("city-address", "city"),
        address("postcode-address", "postalCode"),
        person,
    ]);
    let errors = |address: serde_json::Value| {
        let person = json!({"resourceType": "Person",
            "meta": {"profile": [format!("{BASE}addressed-person")]}, "address": [address]});
        v.validate_bytes(person.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.severity.is_error())
            .map(|f| format!("{} {}", f.rule, f.expression()))
            .collect::<Vec<_>>()
    };
    assert_eq!(errors(json!({"city": "Leeds"})), Vec::<String>::new());
    // the second profile speaks for it
    assert_eq!(
        errors(json!({"postalCode": "LS1 4AP"})),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(json!({"line": ["1 Park Row"]})),
        [
            "profile-no-match Person.address[0]",
            "cardinality-min Person.address[0].city",
            "cardinality-min Person.address[0].postalCode",
        ]
    );
}
