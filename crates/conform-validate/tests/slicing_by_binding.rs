//! A slice told apart by the value set its element is bound to (a `value`
//! discriminator with no fixed or pattern value, only a required binding):
//! a value in the value set belongs to the slice.

mod common;

use serde_json::json;

const PROFILE: &str = "http://example.org/fhir/StructureDefinition/obs-category-by-binding";

fn validator() -> conform_validate::Validator {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("obs-category-by-binding.json");
    let profile = json!({
        "resourceType": "StructureDefinition", "url": PROFILE,
        "name": "ObsCategoryByBinding", "status": "active", "kind": "resource",
        "abstract": false, "type": "Observation", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
        "differential": {"element": [
            {"id": "Observation.category", "path": "Observation.category",
             "slicing": {"discriminator": [{"type": "value", "path": "$this"}], "rules": "open"}},
            {"id": "Observation.category:standard", "path": "Observation.category",
             "sliceName": "standard", "min": 1, "max": "1",
             "binding": {"strength": "required",
                 "valueSet": "http://hl7.org/fhir/ValueSet/observation-category"}}
        ]}
    });
    std::fs::write(&file, profile.to_string()).expect("write profile");
    common::r4_with(&[file])
}

fn slice_errors(category: serde_json::Value) -> Vec<String> {
    let obs = json!({"resourceType": "Observation", "meta": {"profile": [PROFILE]},
        "status": "final", "code": {"text": "Pulse"}, "category": [category]});
    let r = validator().validate_bytes(obs.to_string().as_bytes(), 0);
    r.findings
        .iter()
        .filter(|f| f.severity.is_error())
        .map(|f| format!("{} [{}]", f.expression(), f.rule))
        .collect()
}

#[test]
fn a_code_from_the_bound_value_set_fills_the_slice() {
    let vital = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]});
    assert!(slice_errors(vital).is_empty());
    let other = json!({"coding": [{"system": "http://example.org/local", "code": "pulse"}]});
    let errors = slice_errors(other);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("profile-slice-cardinality")),
        "{errors:?}"
    );
}
