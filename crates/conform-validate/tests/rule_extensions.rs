//! Extension rules beyond "is it defined": where a modifier extension may
//! be (R4 §2.22.1: a modifier extension goes in `modifierExtension`, an
//! ordinary one never does).

mod common;

use conform_validate::ResourceResult;
use serde_json::{json, Value};

const DO_NOT_PERFORM: &str = "http://hl7.org/fhir/StructureDefinition/request-doNotPerform";
const BIRTH_PLACE: &str = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace";

fn validate(resource: &Value) -> ResourceResult {
    common::r4().validate_bytes(resource.to_string().as_bytes(), 0)
}

fn modifier_findings(r: &ResourceResult) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == "extension-modifier")
        .map(|f| format!("{:?} {}", f.severity, f.expression()))
        .collect()
}

fn order(key: &str, url: &str) -> Value {
    json!({"resourceType": "NutritionOrder", "status": "active", "intent": "order",
        "patient": {"reference": "Patient/p"}, "dateTime": "2026-12-01",
        key: [{"url": url, "valueBoolean": true}]})
}

#[test]
fn a_modifier_extension_belongs_in_modifier_extension() {
    assert!(modifier_findings(&validate(&order("modifierExtension", DO_NOT_PERFORM))).is_empty());
    assert_eq!(
        modifier_findings(&validate(&order("extension", DO_NOT_PERFORM))),
        ["Error NutritionOrder.extension[0].url"]
    );
}

#[test]
fn an_ordinary_extension_is_not_a_modifier() {
    let patient = json!({"resourceType": "Patient",
        "modifierExtension": [{"url": BIRTH_PLACE, "valueAddress": {"city": "Leeds"}}]});
    assert_eq!(
        modifier_findings(&validate(&patient)),
        ["Error Patient.modifierExtension[0].url"]
    );
    let mut fine = patient.clone();
    fine["extension"] = fine["modifierExtension"].take();
    fine.as_object_mut().unwrap().remove("modifierExtension");
    assert!(modifier_findings(&validate(&fine)).is_empty());
}

fn url_findings(r: &ResourceResult) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == "extension-url")
        .map(|f| format!("{:?} {}", f.severity, f.expression()))
        .collect()
}

#[test]
fn a_top_level_extension_url_is_absolute() {
    let patient = json!({"resourceType": "Patient",
        "extension": [{"url": "nationality", "valueString": "British"}]});
    assert_eq!(
        url_findings(&validate(&patient)),
        ["Error Patient.extension[0].url"]
    );
}

#[test]
fn a_complex_extension_has_only_the_parts_it_defines() {
    const NATIONALITY: &str = "http://hl7.org/fhir/StructureDefinition/patient-nationality";
    let patient = |part: &str| {
        json!({"resourceType": "Patient", "extension": [{"url": NATIONALITY, "extension": [
            {"url": part, "valueCodeableConcept": {"text": "British"}}]}]})
    };
    assert!(url_findings(&validate(&patient("code"))).is_empty());
    assert_eq!(
        url_findings(&validate(&patient("country"))),
        ["Error Patient.extension[0].extension[0].url"]
    );
}

#[test]
fn an_extension_url_carries_no_version() {
    let patient = |url: &str| {
        json!({"resourceType": "Patient",
            "extension": [{"url": url, "valueAddress": {"city": "Leeds"}}]})
    };
    // the loaded version named: still an error, checked all the same
    assert_eq!(
        url_findings(&validate(&patient(&format!("{BIRTH_PLACE}|4.0.1")))),
        ["Error Patient.extension[0].url"]
    );
    // another version: an error naming the version checked against
    let other = validate(&patient(&format!("{BIRTH_PLACE}|3.0.1")));
    assert_eq!(url_findings(&other), ["Error Patient.extension[0].url"]);
    assert!(other.findings.iter().any(|f| f.message.contains("(4.0.1)")));
    // nothing matches, with or without the version: a warning, and unknown
    let unknown = validate(&patient(
        "http://example.net/fhir/StructureDefinition/x|1.0",
    ));
    assert_eq!(url_findings(&unknown), ["Warning Patient.extension[0].url"]);
    assert!(unknown
        .findings
        .iter()
        .any(|f| f.rule == "extension-unknown"));
    assert!(url_findings(&validate(&patient(BIRTH_PLACE))).is_empty());
}

#[test]
fn a_context_invariant_must_hold_where_the_extension_is_used() {
    const MIN_OCCURS: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs";
    // questionnaire-minOccurs: "type!='display' and (required=true or %extension.valueInteger=0)"
    let questionnaire = |required: bool, min: i64| {
        json!({"resourceType": "Questionnaire", "status": "active",
            "item": [{"linkId": "a", "text": "A", "type": "string", "repeats": true,
                "required": required,
                "extension": [{"url": MIN_OCCURS, "valueInteger": min}]}]})
    };
    let context = |r: &ResourceResult| -> Vec<String> {
        r.findings
            .iter()
            .filter(|f| f.rule == "extension-context")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    assert!(context(&validate(&questionnaire(true, 2))).is_empty());
    assert!(context(&validate(&questionnaire(false, 0))).is_empty());
    assert_eq!(
        context(&validate(&questionnaire(false, 2))),
        ["Error Questionnaire.item[0].extension[0].url"]
    );
}

#[test]
fn an_extension_context_names_the_extension_that_may_hold_it() {
    const OUTER: &str = "http://example.org/fhir/StructureDefinition/outer";
    const INNER: &str = "http://example.org/fhir/StructureDefinition/inner";
    let dir = tempfile::tempdir().expect("temp dir");
    let extension = |url: &str, context: Value, value: Value| {
        json!({"resourceType": "StructureDefinition", "url": url, "name": "Ext",
            "status": "active", "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": false,
            "context": [context], "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Extension", "path": "Extension"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                value]}})
    };
    let files = [
        (
            OUTER,
            extension(
                OUTER,
                json!({"type": "element", "expression": "Patient"}),
                json!({"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"}),
            ),
        ),
        (
            INNER,
            extension(
                INNER,
                json!({"type": "extension", "expression": OUTER}),
                json!({"id": "Extension.value[x]", "path": "Extension.value[x]",
                "type": [{"code": "string"}]}),
            ),
        ),
    ]
    .map(|(url, sd)| {
        let path = dir
            .path()
            .join(format!("{}.json", url.rsplit('/').next().unwrap()));
        std::fs::write(&path, sd.to_string()).expect("write");
        path
    });
    let v = common::r4_with(&files);
    let context = |patient: Value| -> Vec<String> {
        v.validate_bytes(patient.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "extension-context")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    let inner = json!({"url": INNER, "valueString": "x"});
    assert!(context(json!({"resourceType": "Patient",
        "extension": [{"url": OUTER, "extension": [inner.clone()]}]}))
    .is_empty());
    assert_eq!(
        context(json!({"resourceType": "Patient", "extension": [inner]})),
        ["Error Patient.extension[0]"]
    );
}

#[test]
fn a_fhirpath_context_selects_the_elements_that_may_hold_it() {
    const HOME: &str = "http://example.org/fhir/StructureDefinition/home-only";
    const HOLDER: &str = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";
    let dir = tempfile::tempdir().expect("temp dir");
    let definition = json!({"resourceType": "StructureDefinition", "url": HOME, "name": "HomeOnly",
        "status": "active", "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": false,
        "context": [
            {"type": "extension", "expression": HOLDER},
            {"type": "fhirpath", "expression": "Patient.address.where(use = 'home')"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint", "differential": {"element": [
            {"id": "Extension", "path": "Extension"},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": HOME},
            {"id": "Extension.value[x]", "path": "Extension.value[x]",
                "type": [{"code": "boolean"}]}]}});
    let path = dir.path().join("home-only.json");
    std::fs::write(&path, definition.to_string()).expect("write");
    let v = common::r4_with(&[path]);
    let context = |patient: Value| -> Vec<String> {
        v.validate_bytes(patient.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "extension-context")
            .map(|f| format!("{:?} {}", f.severity, f.expression()))
            .collect()
    };
    let ext = json!([{"url": HOME, "valueBoolean": true}]);
    let address = |usage: &str| {
        json!({"resourceType": "Patient",
            "address": [{"extension": ext.clone(), "use": usage, "city": "Leeds"}]})
    };
    assert!(context(address("home")).is_empty());
    assert_eq!(
        context(address("work")),
        ["Error Patient.address[0].extension[0]"]
    );
    // On a primitive, and on the value of the extension its context names.
    assert_eq!(
        context(
            json!({"resourceType": "Patient", "active": true, "_active": {"extension": ext.clone()}})
        ),
        ["Error Patient.active.extension[0]"]
    );
    assert!(context(json!({"resourceType": "Patient", "extension": [
        {"url": HOLDER, "valueBoolean": true, "_valueBoolean": {"extension": ext}}]}))
    .is_empty());
}
