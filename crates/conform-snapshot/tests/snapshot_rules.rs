//! The generation rules one at a time, on small profiles over R4 core:
//! merging, walking into datatypes, choice renames, slices, extension
//! profiles, content references, and the errors.

mod common;

use std::collections::HashMap;

use conform_snapshot::{generate, generate_with_issues, Definitions, Layered, SnapshotError};
use serde_json::{json, Value};

fn profile(url: &str, base: &str, ty: &str, elements: Value) -> Value {
    json!({
        "resourceType": "StructureDefinition",
        "id": url.rsplit('/').next(),
        "url": url,
        "name": "Test",
        "status": "draft",
        "kind": "resource",
        "abstract": false,
        "type": ty,
        "baseDefinition": base,
        "derivation": "constraint",
        "differential": { "element": elements }
    })
}

fn patient(elements: Value) -> Value {
    profile(
        "http://example.org/StructureDefinition/p",
        "http://hl7.org/fhir/StructureDefinition/Patient",
        "Patient",
        elements,
    )
}

fn observation(elements: Value) -> Value {
    profile(
        "http://example.org/StructureDefinition/o",
        "http://hl7.org/fhir/StructureDefinition/Observation",
        "Observation",
        elements,
    )
}

fn elements(sd: &Value) -> &Vec<Value> {
    sd.pointer("/snapshot/element")
        .and_then(Value::as_array)
        .expect("snapshot elements")
}

fn ids(sd: &Value) -> Vec<&str> {
    elements(sd)
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect()
}

fn by_id<'a>(sd: &'a Value, id: &str) -> &'a Value {
    elements(sd)
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no element {id} in {:?}", ids(sd)))
}

fn gen(sd: &Value) -> Value {
    generate(sd, common::core()).unwrap_or_else(|e| panic!("generation failed: {e}"))
}

#[test]
fn constraints_merge_onto_the_base_element() {
    let sd = gen(&patient(json!([
        {"id": "Patient", "path": "Patient"},
        {"id": "Patient.gender", "path": "Patient.gender", "min": 1, "mustSupport": true,
         "short": "Gender", "constraint": [{"key": "p-1", "severity": "error", "human": "x", "expression": "true"}]}
    ])));
    let base = generate(&patient(json!([])), common::core()).expect("empty differential");
    assert_eq!(ids(&sd), ids(&base), "same elements as the base");
    let g = by_id(&sd, "Patient.gender");
    assert_eq!(g["min"], 1);
    assert_eq!(g["max"], "1");
    assert_eq!(g["mustSupport"], true);
    assert_eq!(g["short"], "Gender");
    assert_eq!(
        g["binding"]["strength"], "required",
        "the base binding stays"
    );
    assert_eq!(
        g["base"],
        json!({"path": "Patient.gender", "min": 0, "max": "1"})
    );
    let keys: Vec<&str> = g["constraint"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"ele-1") && keys.contains(&"p-1"),
        "constraints accumulate: {keys:?}"
    );
    assert!(sd.get("snapshot").is_some() && sd.get("differential").is_some());
}

#[test]
fn walking_into_a_datatype_expands_its_elements() {
    let sd = gen(&patient(json!([
        {"id": "Patient.identifier.system", "path": "Patient.identifier.system", "min": 1, "fixedUri": "https://fhir.nhs.uk/Id/nhs-number"}
    ])));
    let all = ids(&sd);
    let at = |id: &str| {
        all.iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert!(at("Patient.identifier") < at("Patient.identifier.use"));
    assert!(at("Patient.identifier.system") < at("Patient.active"));
    let system = by_id(&sd, "Patient.identifier.system");
    assert_eq!(system["path"], "Patient.identifier.system");
    assert_eq!(system["fixedUri"], "https://fhir.nhs.uk/Id/nhs-number");
    assert_eq!(system["base"]["path"], "Identifier.system");
    assert_eq!(system["min"], 1);
}

#[test]
fn a_choice_rename_becomes_a_type_slice() {
    let sd = gen(&observation(json!([
        {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity"},
        {"id": "Observation.valueQuantity.unit", "path": "Observation.valueQuantity.unit", "min": 1}
    ])));
    let value = by_id(&sd, "Observation.value[x]");
    assert_eq!(value["type"], json!([{"code": "Quantity"}]));
    assert_eq!(
        value["slicing"]["discriminator"],
        json!([{"type": "type", "path": "$this"}])
    );
    assert_eq!(value["slicing"]["rules"], "closed");
    let slice = by_id(&sd, "Observation.value[x]:valueQuantity");
    assert_eq!(slice["sliceName"], "valueQuantity");
    assert_eq!(slice["path"], "Observation.value[x]");
    let unit = by_id(&sd, "Observation.value[x]:valueQuantity.unit");
    assert_eq!(unit["path"], "Observation.value[x].unit");
    assert_eq!(unit["min"], 1);
}

#[test]
fn slices_follow_the_sliced_element() {
    let sd = gen(&patient(json!([
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        {"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs", "max": "1"},
        {"id": "Patient.identifier:nhs.system", "path": "Patient.identifier.system", "min": 1, "fixedUri": "https://fhir.nhs.uk/Id/nhs-number"},
        {"id": "Patient.identifier:local", "path": "Patient.identifier", "sliceName": "local"}
    ])));
    let all = ids(&sd);
    let pos = |id: &str| {
        all.iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} missing: {all:?}"))
    };
    assert!(pos("Patient.identifier") < pos("Patient.identifier:nhs"));
    assert!(pos("Patient.identifier:nhs.system") < pos("Patient.identifier:local"));
    assert!(pos("Patient.identifier:local") < pos("Patient.active"));
    let nhs = by_id(&sd, "Patient.identifier:nhs");
    assert_eq!(
        (nhs["min"].clone(), nhs["max"].clone()),
        (json!(0), json!("1"))
    );
    assert_eq!(nhs["base"]["path"], "Patient.identifier");
    assert_eq!(by_id(&sd, "Patient.identifier")["slicing"]["rules"], "open");
    assert_eq!(
        by_id(&sd, "Patient.identifier:nhs.system")["base"]["path"],
        "Identifier.system"
    );
}

#[test]
fn extension_slices_come_from_their_definitions() {
    let sd = gen(&patient(json!([
        {"id": "Patient.extension:birthPlace", "path": "Patient.extension", "sliceName": "birthPlace",
         "type": [{"code": "Extension", "profile": ["http://hl7.org/fhir/StructureDefinition/patient-birthPlace"]}]},
        {"id": "Patient.extension:birthPlace.value[x]", "path": "Patient.extension.value[x]", "min": 1}
    ])));
    let slicer = by_id(&sd, "Patient.extension");
    assert_eq!(
        slicer["slicing"]["discriminator"],
        json!([{"type": "value", "path": "url"}])
    );
    let url = by_id(&sd, "Patient.extension:birthPlace.url");
    assert_eq!(
        url["fixedUri"],
        "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
    );
    let value = by_id(&sd, "Patient.extension:birthPlace.value[x]");
    assert_eq!(
        value["type"],
        json!([{"code": "Address"}]),
        "from the extension's definition"
    );
    assert_eq!(value["min"], 1);
    assert_eq!(value["base"]["path"], "Extension.value[x]");
}

#[test]
fn new_slices_go_after_the_base_slices() {
    let sd = generate(
        &profile(
            "http://example.org/StructureDefinition/vs",
            "http://hl7.org/fhir/StructureDefinition/vitalsigns",
            "Observation",
            json!([
                {"id": "Observation.category:extra", "path": "Observation.category", "sliceName": "extra", "max": "1"}
            ]),
        ),
        common::core(),
    )
    .expect("generates");
    let all = ids(&sd);
    let pos = |id: &str| {
        all.iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert!(pos("Observation.category:VSCat.text") < pos("Observation.category:extra"));
    assert!(pos("Observation.category:extra") < pos("Observation.code"));
    assert_eq!(by_id(&sd, "Observation.category:extra")["min"], 0);
}

#[test]
fn content_references_are_followed() {
    let sd = gen(&profile(
        "http://example.org/StructureDefinition/q",
        "http://hl7.org/fhir/StructureDefinition/Questionnaire",
        "Questionnaire",
        json!([{"id": "Questionnaire.item.item.text", "path": "Questionnaire.item.item.text", "min": 1}]),
    ));
    let text = by_id(&sd, "Questionnaire.item.item.text");
    assert_eq!(text["min"], 1);
    assert_eq!(text["base"]["path"], "Questionnaire.item.text");
    let nested = by_id(&sd, "Questionnaire.item.item");
    assert!(
        nested.get("contentReference").is_none(),
        "expanded in place"
    );
}

#[test]
fn a_base_without_a_snapshot_is_generated_first() {
    let base = patient(json!([{"id": "Patient.gender", "path": "Patient.gender", "min": 1}]));
    let derived = profile(
        "http://example.org/StructureDefinition/d",
        "http://example.org/StructureDefinition/p",
        "Patient",
        json!([{"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1}]),
    );
    let overlay: HashMap<String, Value> =
        [("http://example.org/StructureDefinition/p".to_string(), base)].into();
    let defs = Layered {
        first: &overlay,
        then: common::core() as &dyn Definitions,
    };
    let sd = generate(&derived, &defs).expect("generates");
    assert_eq!(
        by_id(&sd, "Patient.gender")["min"],
        1,
        "from the generated base"
    );
    assert_eq!(by_id(&sd, "Patient.birthDate")["min"], 1);
}

#[test]
fn an_out_of_order_differential_is_sorted() {
    let g = generate_with_issues(
        &patient(json!([
            {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
            {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1}
        ])),
        common::core(),
    )
    .expect("sorted, then generated");
    assert_eq!(
        by_id(&g.structure_definition, "Patient.identifier")["min"],
        1
    );
    assert!(
        g.issues.iter().any(|i| i.contains("sorted")),
        "{:?}",
        g.issues
    );
}

fn error(sd: &Value, defs: &dyn Definitions) -> SnapshotError {
    match generate(sd, defs) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn errors_name_the_profile_and_the_element() {
    let e = error(
        &patient(json!([{"id": "Patient.nickname", "path": "Patient.nickname", "min": 1}])),
        common::core(),
    );
    assert!(
        matches!(&e, SnapshotError::Unmatched { elements, .. } if elements == &["Patient.nickname"]),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("http://example.org/StructureDefinition/p"),
        "{e}"
    );

    let missing = profile(
        "http://example.org/x",
        "http://example.org/nowhere",
        "Patient",
        json!([]),
    );
    assert!(
        matches!(error(&missing, common::core()), SnapshotError::BaseNotFound { base, .. } if base == "http://example.org/nowhere")
    );

    let root_sliced =
        patient(json!([{"id": "Patient", "path": "Patient", "slicing": {"rules": "open"}}]));
    assert!(matches!(
        error(&root_sliced, common::core()),
        SnapshotError::SlicingAtRoot { .. }
    ));

    let bad_type = patient(
        json!([{"id": "Patient.gender", "path": "Patient.gender", "type": [{"code": "Coding"}]}]),
    );
    let e = error(&bad_type, common::core());
    assert!(
        e.to_string().contains("Patient.gender")
            && e.to_string().contains("illegal constrained type"),
        "{e}"
    );

    let not_repeating = patient(json!([
        {"id": "Patient.gender", "path": "Patient.gender", "slicing": {"discriminator": [{"type": "value", "path": "$this"}], "rules": "open"}},
        {"id": "Patient.gender:a", "path": "Patient.gender", "sliceName": "a"},
        {"id": "Patient.gender:b", "path": "Patient.gender", "sliceName": "b"}
    ]));
    assert!(error(&not_repeating, common::core())
        .to_string()
        .contains("does not repeat"));

    let wrong_type = profile(
        "http://example.org/w",
        "http://hl7.org/fhir/StructureDefinition/Patient",
        "Observation",
        json!([]),
    );
    assert!(matches!(
        error(&wrong_type, common::core()),
        SnapshotError::Invalid { .. }
    ));

    assert!(matches!(
        error(&json!({"resourceType": "Patient"}), common::core()),
        SnapshotError::NotAStructureDefinition(_)
    ));
    assert!(matches!(
        error(&json!([1, 2]), common::core()),
        SnapshotError::NotAStructureDefinition(_)
    ));
}

#[test]
fn cycles_are_detected() {
    let a = profile(
        "http://example.org/a",
        "http://example.org/b",
        "Patient",
        json!([]),
    );
    let b = profile(
        "http://example.org/b",
        "http://example.org/a",
        "Patient",
        json!([]),
    );
    let overlay: HashMap<String, Value> = [
        ("http://example.org/a".to_string(), a.clone()),
        ("http://example.org/b".to_string(), b),
    ]
    .into();
    let defs = Layered {
        first: &overlay,
        then: common::core() as &dyn Definitions,
    };
    let e = error(&a, &defs);
    assert!(
        matches!(&e, SnapshotError::Circular { stack, .. } if stack.len() == 3),
        "{e}"
    );
}

#[test]
fn complex_extension_slicer_takes_its_slices_minimum() {
    let ext = json!({
        "resourceType": "StructureDefinition",
        "url": "http://example.org/StructureDefinition/pair",
        "name": "Pair", "status": "draft", "kind": "complex-type", "abstract": false,
        "context": [{"type": "element", "expression": "Patient"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {"element": [
            {"id": "Extension.extension:a", "path": "Extension.extension", "sliceName": "a", "min": 1, "max": "1"},
            {"id": "Extension.extension:a.url", "path": "Extension.extension.url", "fixedUri": "a"},
            {"id": "Extension.extension:a.value[x]", "path": "Extension.extension.value[x]", "type": [{"code": "string"}]},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": "http://example.org/StructureDefinition/pair"},
            {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"}
        ]}
    });
    let sd = gen(&ext);
    assert_eq!(by_id(&sd, "Extension.extension")["min"], 1);
    assert_eq!(
        by_id(&sd, "Extension.extension:a.value[x]")["type"],
        json!([{"code": "string"}])
    );
    assert_eq!(by_id(&sd, "Extension.extension:a.url")["fixedUri"], "a");
    assert_eq!(by_id(&sd, "Extension.value[x]")["max"], "0");
}

#[test]
fn a_reslice_starts_from_the_slice_it_refines() {
    let base = patient(json!([
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        {"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs", "max": "2", "short": "NHS"},
        {"id": "Patient.identifier:nhs.system", "path": "Patient.identifier.system", "fixedUri": "https://fhir.nhs.uk/Id/nhs-number"}
    ]));
    let derived = profile(
        "http://example.org/StructureDefinition/r",
        "http://example.org/StructureDefinition/p",
        "Patient",
        json!([
            {"id": "Patient.identifier:nhs/verified", "path": "Patient.identifier", "sliceName": "nhs/verified", "max": "1"}
        ]),
    );
    let overlay: HashMap<String, Value> =
        [("http://example.org/StructureDefinition/p".to_string(), base)].into();
    let defs = Layered {
        first: &overlay,
        then: common::core() as &dyn Definitions,
    };
    let sd = generate(&derived, &defs).expect("generates");
    let all = ids(&sd);
    let pos = |id: &str| {
        all.iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} missing: {all:?}"))
    };
    assert!(pos("Patient.identifier:nhs.system") < pos("Patient.identifier:nhs/verified"));
    let reslice = by_id(&sd, "Patient.identifier:nhs/verified");
    assert_eq!(reslice["short"], "NHS", "starts from the nhs slice");
    assert_eq!(reslice["max"], "1");
    assert_eq!(reslice["min"], 0);
}
