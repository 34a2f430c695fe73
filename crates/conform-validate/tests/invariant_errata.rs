//! R4 invariants evaluated with the corrections the reference validator
//! applies to their published expressions (see `plan::compile::erratum`).

mod common;

use serde_json::{json, Value};

fn rules_of(resource: &Value) -> Vec<String> {
    let r = common::r4().validate_bytes(resource.to_string().as_bytes(), 0);
    r.findings.iter().map(|f| f.rule.clone()).collect()
}

#[test]
fn two_enable_when_conditions_need_an_enable_behavior() {
    let question = |conditions: usize| {
        let when: Vec<Value> = (0..conditions)
            .map(|i| json!({"question": format!("q{i}"), "operator": "exists", "answerBoolean": true}))
            .collect();
        json!({"resourceType": "Questionnaire", "status": "active", "item": [
            {"linkId": "q0", "type": "boolean"},
            {"linkId": "q1", "type": "boolean"},
            {"linkId": "x", "type": "string", "enableWhen": when}
        ]})
    };
    assert!(!rules_of(&question(1)).contains(&"que-12".to_string()));
    // R4 publishes `count() > 2`, which lets exactly two through.
    assert!(rules_of(&question(2)).contains(&"que-12".to_string()));
}

#[test]
fn contained_resources_need_no_narrative_of_their_own() {
    let with_contained = json!({"resourceType": "Patient",
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">A patient</div>"},
        "contained": [{"resourceType": "Organization", "id": "o", "name": "Practice"}],
        "managingOrganization": {"reference": "#o"}});
    assert!(!rules_of(&with_contained).contains(&"dom-6".to_string()));
    let bare = json!({"resourceType": "Patient"});
    assert!(rules_of(&bare).contains(&"dom-6".to_string()));
    // A Bundle's entries are not contained: each is its own root resource.
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301", "resource": {"resourceType": "Patient"}}]});
    let r = common::r4().validate_bytes(bundle.to_string().as_bytes(), 0);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "dom-6" && f.expression() == "Bundle.entry[0].resource"),
        "{:?}",
        r.findings
            .iter()
            .map(|f| (&f.rule, f.expression()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn canonical_names_match_the_whole_pattern() {
    let vs = |name: &str| {
        json!({"resourceType": "ValueSet", "status": "draft", "name": name,
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">v</div>"}})
    };
    assert!(!rules_of(&vs("GoodName")).contains(&"vsd-0".to_string()));
    // Contains a match of [A-Z]…, but does not start with one.
    assert!(rules_of(&vs("bad-Name")).contains(&"vsd-0".to_string()));
}
