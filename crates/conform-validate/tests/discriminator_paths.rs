//! Discriminator paths beyond element names: the functions FHIR allows in
//! them (`resolve()`, `extension(url)`, `ofType(T)`), and a slice that
//! forbids the element a discriminator names (`max` 0), which the slice's
//! values are told by lacking.

mod common;

use serde_json::{json, Value};

const BASE: &str = "http://example.org/fhir/StructureDefinition/";

fn profile(name: &str, ty: &str, elements: Value) -> Value {
    common::constraint(&format!("{BASE}{name}"), ty, elements)
}

fn slicing(id: &str, kind: &str, path: &str) -> Value {
    json!({"id": id, "path": id, "slicing": {
        "discriminator": [{"type": kind, "path": path}], "rules": "closed"}})
}

fn validator() -> &'static conform_validate::Validator {
    static V: std::sync::OnceLock<conform_validate::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let target = |slice: &str, ty: &str| {
            json!({"id": format!("List.entry:{slice}.item"), "path": "List.entry.item",
                "type": [{"code": "Reference",
                    "targetProfile": [format!("http://hl7.org/fhir/StructureDefinition/{ty}")]}]})
        };
        let by_resolved_type = profile(
            "entries-by-type",
            "List",
            json!([
                slicing("List.entry", "type", "item.resolve()"),
                {"id": "List.entry:condition", "path": "List.entry", "sliceName": "condition",
                    "min": 1, "max": "1"},
                target("condition", "Condition"),
                {"id": "List.entry:observation", "path": "List.entry", "sliceName": "observation",
                    "min": 1, "max": "3"},
                target("observation", "Observation"),
            ]),
        );
        let by_extension_value = profile(
            "actions-by-extension",
            "PlanDefinition",
            json!([
                slicing("PlanDefinition.action", "value",
                    "extension('http://example.org/fhir/StructureDefinition/kind').value"),
                {"id": "PlanDefinition.action:single", "path": "PlanDefinition.action",
                    "sliceName": "single", "min": 1, "max": "1"},
                // A re-slice of an extension slice the action slice does not
                // repeat, the value written by its typed name.
                {"id": "PlanDefinition.action:single.extension:kind/single",
                    "path": "PlanDefinition.action.extension", "sliceName": "kind/single",
                    "min": 1, "max": "1",
                    "type": [{"code": "Extension", "profile": [format!("{BASE}kind")]}]},
                {"id": "PlanDefinition.action:single.extension:kind/single.valueCode",
                    "path": "PlanDefinition.action.extension.valueCode", "fixedCode": "single"},
            ]),
        );
        let kind = json!({"resourceType": "StructureDefinition", "url": format!("{BASE}kind"),
            "name": "Kind", "status": "active", "fhirVersion": "4.0.1", "kind": "complex-type",
            "abstract": false, "context": [{"type": "element", "expression": "Element"}],
            "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": format!("{BASE}kind")},
                {"id": "Extension.value[x]", "path": "Extension.value[x]",
                    "type": [{"code": "code"}]}]}});
        let telecom = |slice: &str, system: &str, using: Option<&str>| {
            let mut e = vec![
                json!({"id": format!("Patient.telecom:{slice}"), "path": "Patient.telecom",
                    "sliceName": slice, "min": 0, "max": "1"}),
                json!({"id": format!("Patient.telecom:{slice}.system"),
                    "path": "Patient.telecom.system", "fixedCode": system}),
            ];
            e.push(match using {
                Some(u) => json!({"id": format!("Patient.telecom:{slice}.use"),
                    "path": "Patient.telecom.use", "fixedCode": u}),
                None => json!({"id": format!("Patient.telecom:{slice}.use"),
                    "path": "Patient.telecom.use", "max": "0"}),
            });
            e
        };
        let mut elements = vec![json!({"id": "Patient.telecom", "path": "Patient.telecom",
            "slicing": {"discriminator": [{"type": "value", "path": "system"},
                {"type": "value", "path": "use"}], "rules": "closed"}})];
        elements.extend(telecom("homePhone", "phone", Some("home")));
        elements.extend(telecom("email", "email", None));
        let by_absence = profile("telecom-by-use", "Patient", Value::Array(elements));
        common::r4_with_definitions(&[by_resolved_type, by_extension_value, kind, by_absence])
    })
}

/// The slicing findings of a resource claiming `profile`.
fn slicing_findings(profile: &str, mut resource: Value) -> Vec<String> {
    resource["meta"] = json!({"profile": [format!("{BASE}{profile}")]});
    validator()
        .validate_bytes(resource.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("profile-slice"))
        .map(|f| format!("{} {}", f.rule, f.expression()))
        .collect()
}

#[test]
fn a_resolved_references_type_tells_its_slice() {
    let list = |second: &str| {
        json!({"resourceType": "List", "status": "current", "mode": "working",
            "contained": [
                {"resourceType": "Condition", "id": "c",
                    "subject": {"reference": "Patient/example"}},
                {"resourceType": "Observation", "id": "o", "status": "final",
                    "code": {"text": "x"}},
                {"resourceType": "Patient", "id": "p"}],
            "entry": [{"item": {"reference": "#c"}}, {"item": {"reference": second}}]})
    };
    assert!(slicing_findings("entries-by-type", list("#o")).is_empty());
    // A Patient fits no slice of the closed slicing, and the Observation
    // slice then lacks its one value.
    assert_eq!(
        slicing_findings("entries-by-type", list("#p")),
        [
            "profile-slice-closed List.entry[1]",
            "profile-slice-cardinality List.entry"
        ]
    );
    // A reference that leads nowhere here has no type to tell.
    assert_eq!(
        slicing_findings("entries-by-type", list("Observation/elsewhere")),
        [
            "profile-slice-closed List.entry[1]",
            "profile-slice-cardinality List.entry"
        ]
    );
}

#[test]
fn an_extensions_value_tells_its_slice() {
    let plan = |code: &str| {
        json!({"resourceType": "PlanDefinition", "status": "active", "action": [
            {"extension": [{"url": format!("{BASE}kind"), "valueCode": code}],
                "title": "one"}]})
    };
    assert!(slicing_findings("actions-by-extension", plan("single")).is_empty());
    assert_eq!(
        slicing_findings("actions-by-extension", plan("group")),
        [
            "profile-slice-closed PlanDefinition.action[0]",
            "profile-slice-cardinality PlanDefinition.action"
        ]
    );
}

#[test]
fn a_slice_that_forbids_an_element_takes_the_values_without_it() {
    let patient = |email_use: Option<&str>| {
        let mut email = json!({"system": "email", "value": "someone@example.org"});
        if let Some(u) = email_use {
            email["use"] = json!(u);
        }
        json!({"resourceType": "Patient", "telecom": [
            {"system": "phone", "value": "5551234567", "use": "home"}, email]})
    };
    assert!(slicing_findings("telecom-by-use", patient(None)).is_empty());
    assert_eq!(
        slicing_findings("telecom-by-use", patient(Some("work"))),
        ["profile-slice-closed Patient.telecom[1]"]
    );
}
