//! A repeating primitive and its `_name` twin (R4 JSON §2.6.2, "Repeating
//! Primitives"): null pads either array so that values and their ids or
//! extensions line up; a position with neither is an error, reported once,
//! as the reference validator reports it (`JSON_PROPERTY_INVALID_ARRAY`).

mod common;

use serde_json::json;

fn findings(name: serde_json::Value) -> Vec<String> {
    // with a narrative, so that dom-6's advice stays out of the way
    let patient = json!({"resourceType": "Patient", "name": [name],
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">A</div>"}});
    common::r4()
        .validate_bytes(patient.to_string().as_bytes(), 0)
        .findings
        .iter()
        .map(|f| format!("{:?} {} {}", f.severity, f.rule, f.expression()))
        .collect()
}

#[test]
fn a_padded_twin_lines_up() {
    assert!(findings(json!({"given": ["a", null], "_given": [null, {"id": "x"}]})).is_empty());
}

#[test]
fn a_position_with_neither_value_nor_extras_is_one_error() {
    assert_eq!(
        findings(json!({"given": ["a", null], "_given": [null, null]})),
        ["Error null-value Patient.name[0].given[1]"]
    );
    // the twin is longer: its null at [1] has nothing beside it
    assert_eq!(
        findings(json!({"given": ["a"], "_given": [{"id": "test"}, null]})),
        [
            "Warning primitive-alignment Patient.name[0].given",
            "Error null-value Patient.name[0].given[1]"
        ]
    );
}

#[test]
fn unpadded_twins_are_only_warned_about() {
    assert_eq!(
        findings(json!({"given": ["a", "b"], "_given": [{"id": "x"}]})),
        ["Warning primitive-alignment Patient.name[0].given"]
    );
}
