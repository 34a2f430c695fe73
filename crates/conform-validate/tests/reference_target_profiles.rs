//! The target profiles of references that resolve inside a Bundle, asked
//! wherever a profile is checked: by a Bundle's own profile (its entries'
//! references resolve from the entry they are in), inside a trial of
//! another profile (a slice by profile whose profile asks its subject's
//! profile), and around cycles of references, which end.

mod common;

use serde_json::{json, Value};

const BASE: &str = "http://example.org/fhir/StructureDefinition/";

fn profile(name: &str, ty: &str, elements: Value) -> Value {
    common::constraint(&format!("{BASE}{name}"), ty, elements)
}

fn validator() -> &'static conform_validate::Validator {
    static V: std::sync::OnceLock<conform_validate::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let identified = common::identified_patient(&format!("{BASE}identified-patient"));
        let composition = profile(
            "about-an-identified-patient",
            "Composition",
            json!([{"id": "Composition.subject", "path": "Composition.subject",
                "type": [{"code": "Reference",
                    "targetProfile": [format!("{BASE}identified-patient")]}]}]),
        );
        let document = profile(
            "document",
            "Bundle",
            json!([
                {"id": "Bundle.entry", "path": "Bundle.entry", "slicing": {
                    "discriminator": [{"type": "profile", "path": "resource"}],
                    "rules": "open"}},
                {"id": "Bundle.entry:composition", "path": "Bundle.entry",
                    "sliceName": "composition", "min": 1, "max": "1"},
                {"id": "Bundle.entry:composition.resource", "path": "Bundle.entry.resource",
                    "type": [{"code": "Composition",
                        "profile": [format!("{BASE}about-an-identified-patient")]}]},
            ]),
        );
        common::r4_with_definitions(&[identified, composition, document])
    })
}

/// `rule expression` of each error.
fn errors(resource: &Value) -> Vec<String> {
    validator()
        .validate_bytes(resource.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.severity.is_error())
        .map(|f| format!("{} {}", f.rule, f.expression()))
        .collect()
}

fn document(patient: Value) -> Value {
    json!({"resourceType": "Bundle", "type": "document",
    "meta": {"profile": [format!("{BASE}document")]},
    "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
    "timestamp": "2026-12-06T10:00:00Z",
    "entry": [
        common::entry(json!({"resourceType": "Composition", "id": "c", "status": "final",
            "type": {"text": "summary"}, "subject": {"reference": "Patient/p"},
            "date": "2026-12-06", "author": [{"display": "Dr Who"}], "title": "Summary"})),
        common::entry(patient),
    ]})
}

#[test]
fn a_document_slice_asks_its_subjects_profile() {
    let identified = json!({"resourceType": "Patient", "id": "p",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}]});
    assert_eq!(errors(&document(identified)), Vec::<String>::new());
    // The Composition's subject is no identified patient: the Composition
    // fits no slice, and the document lacks its one.
    let anonymous = json!({"resourceType": "Patient", "id": "p"});
    assert_eq!(
        errors(&document(anonymous)),
        ["profile-slice-cardinality Bundle.entry"]
    );
}

#[test]
fn a_cycle_of_references_ends() {
    let patient = |id: &str, other: &str, identified: bool| {
        let mut p = json!({"resourceType": "Patient", "id": id,
            "meta": {"profile": [format!("{BASE}identified-patient")]},
            "link": [{"other": {"reference": format!("Patient/{other}")}, "type": "seealso"}]});
        if identified {
            p["identifier"] = json!([{"system": "urn:example", "value": id}]);
        }
        p
    };
    let bundle = |b_identified: bool| {
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            common::entry(patient("a", "b", true)),
            common::entry(patient("b", "a", b_identified)),
        ]})
    };
    assert_eq!(errors(&bundle(true)), Vec::<String>::new());
    assert_eq!(
        errors(&bundle(false)),
        [
            "reference-target-profile Bundle.entry[0].resource.link[0].other.reference",
            "cardinality-min Bundle.entry[1].resource.identifier",
        ]
    );
}
