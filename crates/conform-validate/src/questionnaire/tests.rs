//! Representative checks on small hand-written Questionnaires and responses.

use super::check;
use crate::context::Context;
use crate::finding::{rules, Severity};
use crate::plan::{Plans, TypeKind, TypePlan};
use serde_json::{json, Value};

/// Plans that know just enough resource types for reference checks.
fn plans() -> Plans {
    let types: Vec<TypePlan> = ["Patient", "Practitioner", "Organization"]
        .iter()
        .map(|n| TypePlan {
            name: n.to_string(),
            kind: TypeKind::Resource,
            role: crate::plan::Role::of(n),
            is_abstract: false,
            base: Some("DomainResource".into()),
            elements: Vec::new(),
            keys: Default::default(),
            required: Vec::new(),
            constraints: Vec::new(),
        })
        .collect();
    Plans {
        by_name: types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i as u32))
            .collect(),
        types: types.into(),
        backbones: Default::default(),
        constrained: Default::default(),
        code_sets: Default::default(),
        code_set_urls: Vec::new(),
        packages: Vec::new(),
        context: Vec::new(),
        defined: Default::default(),
        profiles: Default::default(),
        constraints: Vec::new(),
        unresolved: Vec::new(),
    }
}

/// Runs the check of `qr` against the context resources; returns
/// (severity, rule, path) of each finding.
fn run(context: Vec<Value>, qr: Value) -> Vec<(Severity, &'static str, String)> {
    let text = qr.to_string();
    let doc = conform_json::parse(text.as_bytes()).expect("test JSON parses");
    check(
        &doc,
        doc.root(),
        &plans(),
        &Context::new(None, context, None),
    )
    .into_iter()
    .map(|i| {
        let std::borrow::Cow::Borrowed(rule) = i.rule else {
            panic!("questionnaire rules are the static ids of finding::rules")
        };
        (i.severity, rule, i.path)
    })
    .collect()
}

fn errors(found: &[(Severity, &'static str, String)]) -> Vec<(&'static str, String)> {
    found
        .iter()
        .filter(|f| f.0.is_error())
        .map(|f| (f.1, f.2.clone()))
        .collect()
}

fn questionnaire(items: Value) -> Value {
    json!({"resourceType": "Questionnaire", "url": "http://q", "status": "active", "item": items})
}

fn response(items: Value) -> Value {
    json!({"resourceType": "QuestionnaireResponse", "questionnaire": "http://q", "status": "completed", "item": items})
}

#[test]
fn unknown_link_ids_and_missing_required_items() {
    let q = questionnaire(json!([
        {"linkId": "name", "type": "string", "required": true},
        {"linkId": "age", "type": "integer"}
    ]));
    let found = run(
        vec![q],
        response(json!([{"linkId": "nickname", "answer": [{"valueString": "Bo"}]}])),
    );
    assert_eq!(
        errors(&found),
        vec![
            (rules::QUESTIONNAIRE_ITEM_NOT_FOUND, "item[0]".to_string()),
            (rules::QUESTIONNAIRE_REQUIRED, String::new())
        ]
    );
}

#[test]
fn answers_must_fit_the_item_type_and_repeat_only_when_allowed() {
    let q = questionnaire(json!([{"linkId": "q1", "type": "quantity"}]));
    let qr = response(
        json!([{"linkId": "q1", "answer": [{"valueString": "ten"}, {"valueQuantity": {"value": 10}}]}]),
    );
    assert_eq!(
        errors(&run(vec![q], qr)),
        vec![
            (rules::QUESTIONNAIRE_REPEATS, "item[0]".to_string()),
            (
                rules::QUESTIONNAIRE_ANSWER_TYPE,
                "item[0].answer[0].value.ofType(string)".to_string()
            )
        ]
    );
}

#[test]
fn answer_options_and_value_limits() {
    let q = questionnaire(json!([
        {"linkId": "n", "type": "integer", "repeats": true, "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}]},
        {"linkId": "d", "type": "date", "repeats": true, "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDate": "2020"},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDate": "2022"}]},
        {"linkId": "s", "type": "string", "maxLength": 3, "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": "[a-z]+"}]}
    ]));
    let qr = response(json!([
        {"linkId": "n", "answer": [{"valueInteger": 2}, {"valueInteger": 3}]},
        {"linkId": "d", "answer": [{"valueDate": "2021-05"}, {"valueDate": "2023"}]},
        {"linkId": "s", "answer": [{"valueString": "AB12"}]}
    ]));
    assert_eq!(
        errors(&run(vec![q], qr)),
        vec![
            (
                rules::QUESTIONNAIRE_ANSWER_OPTION,
                "item[0].answer[1].value.ofType(integer)".to_string()
            ),
            (
                rules::QUESTIONNAIRE_MIN_MAX,
                "item[1].answer[1].value.ofType(date)".to_string()
            ),
            (
                rules::QUESTIONNAIRE_LENGTH,
                "item[2].answer[0].value.ofType(string)".to_string()
            ),
            (
                rules::QUESTIONNAIRE_REGEX,
                "item[2].answer[0].value.ofType(string)".to_string()
            )
        ]
    );
}

#[test]
fn disabled_items_are_not_required() {
    let q = questionnaire(json!([
        {"linkId": "smoker", "type": "boolean"},
        {"linkId": "packs", "type": "integer", "required": true,
         "enableWhen": [{"question": "smoker", "operator": "=", "answerBoolean": true}]}
    ]));
    let no = response(json!([{"linkId": "smoker", "answer": [{"valueBoolean": false}]}]));
    assert!(errors(&run(vec![q.clone()], no)).is_empty());
    let yes = response(json!([{"linkId": "smoker", "answer": [{"valueBoolean": true}]}]));
    assert_eq!(
        errors(&run(vec![q.clone()], yes)),
        vec![(rules::QUESTIONNAIRE_REQUIRED, String::new())]
    );
    let answered_anyway = response(json!([
        {"linkId": "smoker", "answer": [{"valueBoolean": false}]},
        {"linkId": "packs", "answer": [{"valueInteger": 2}]}
    ]));
    assert_eq!(
        errors(&run(vec![q], answered_anyway)),
        vec![(rules::QUESTIONNAIRE_NOT_ENABLED, "item[1]".to_string())]
    );
}

#[test]
fn quantities_need_formal_units_and_allowed_units() {
    let q = questionnaire(json!([{"linkId": "w", "type": "quantity", "extension": [
        {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity",
         "valueQuantity": {"value": 200, "system": "http://unitsofmeasure.org", "code": "kg"}},
        {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption",
         "valueCoding": {"system": "http://unitsofmeasure.org", "code": "kg"}}]}]));
    let grams = response(
        json!([{"linkId": "w", "answer": [{"valueQuantity": {"value": 250000, "system": "http://unitsofmeasure.org", "code": "g"}}]}]),
    );
    let rules_found: Vec<_> = errors(&run(vec![q.clone()], grams))
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        rules_found,
        vec![
            rules::QUESTIONNAIRE_MIN_MAX,
            rules::QUESTIONNAIRE_QUANTITY_UNIT
        ]
    );
    let fine = response(
        json!([{"linkId": "w", "answer": [{"valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": "kg"}}]}]),
    );
    assert!(errors(&run(vec![q], fine)).is_empty());
}

#[test]
fn references_and_attachments() {
    let q = questionnaire(json!([
        {"linkId": "who", "type": "reference", "repeats": true, "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource", "valueCode": "Patient"}]},
        {"linkId": "scan", "type": "attachment", "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/mimeType", "valueCode": "image/*"}]}
    ]));
    let qr = response(json!([
        {"linkId": "who", "answer": [
            {"valueReference": {"reference": "Patient/1"}},
            {"valueReference": {"reference": "Organization/2"}},
            {"valueReference": {"reference": "https://example.org/Chicken/3"}}]},
        {"linkId": "scan", "answer": [{"valueAttachment": {"contentType": "application/pdf", "data": "aGVsbG8=", "size": 6}}]}
    ]));
    assert_eq!(
        errors(&run(vec![q], qr)),
        vec![
            (
                rules::QUESTIONNAIRE_REFERENCE_TYPE,
                "item[0].answer[1].value.ofType(Reference).reference".to_string()
            ),
            (
                rules::QUESTIONNAIRE_REFERENCE_TYPE,
                "item[0].answer[2].value.ofType(Reference).reference".to_string()
            ),
            (
                rules::QUESTIONNAIRE_ATTACHMENT,
                "item[1].answer[0].value.ofType(Attachment).contentType".to_string()
            )
        ]
    );
}

#[test]
fn unresolved_or_wrong_type_questionnaires() {
    let vs = json!({"resourceType": "ValueSet", "url": "http://vs", "status": "active"});
    let mut qr = response(json!([{"linkId": "x"}]));
    qr["questionnaire"] = json!("http://vs");
    let found = run(vec![vs], qr.clone());
    assert_eq!(
        errors(&found),
        vec![(
            rules::QUESTIONNAIRE_CANONICAL_TYPE,
            "questionnaire".to_string()
        )]
    );
    let not_found = run(Vec::new(), qr);
    assert_eq!(not_found.len(), 1);
    assert_eq!(
        (not_found[0].0, not_found[0].1),
        (Severity::Warning, rules::QUESTIONNAIRE_NOT_FOUND)
    );
}

#[test]
fn contained_questionnaires_are_used() {
    let qr = json!({"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "#q",
        "contained": [{"resourceType": "Questionnaire", "id": "q", "status": "active",
                       "item": [{"linkId": "a", "type": "boolean", "required": true}]}]});
    assert_eq!(
        errors(&run(Vec::new(), qr)),
        vec![(rules::QUESTIONNAIRE_REQUIRED, String::new())]
    );
}

#[test]
fn wrong_shapes_do_not_panic() {
    let q = json!({"resourceType": "Questionnaire", "url": "http://q", "item": [
        {"linkId": "a", "type": "quantity", "enableWhen": "x", "answerOption": 3, "extension": [1, {"url": 2}]},
        {"linkId": 5}, "junk", {"linkId": "g", "type": "group", "item": {"no": "array"}}]});
    for qr in [
        json!({"resourceType": "QuestionnaireResponse", "questionnaire": "http://q", "item": "nope"}),
        json!({"resourceType": "QuestionnaireResponse", "questionnaire": "http://q", "item": [1, null, {"linkId": "a", "answer": [{"valueQuantity": "x"}, 4]}]}),
        json!({"resourceType": "QuestionnaireResponse", "questionnaire": "http://q", "item": [{"linkId": "g", "answer": {"x": 1}, "item": [{"linkId": ["a"]}]}]}),
        json!({"resourceType": "QuestionnaireResponse", "questionnaire": 7}),
    ] {
        let _ = run(vec![q.clone()], qr);
    }
}

#[test]
fn min_and_max_occurs_bound_the_answers_inclusively() {
    let occurs = |min: u64, max: u64| {
        questionnaire(
            json!([{"linkId": "q1", "type": "string", "repeats": true, "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs", "valueInteger": min},
                {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs", "valueInteger": max}
            ]}]),
        )
    };
    let answers = |n: usize| {
        let list: Vec<Value> = (0..n)
            .map(|i| json!({"valueString": format!("a{i}")}))
            .collect();
        response(json!([{"linkId": "q1", "answer": list}]))
    };
    // Two or three answers are within 2..3; the bounds themselves count.
    assert!(errors(&run(vec![occurs(2, 3)], answers(2))).is_empty());
    assert!(errors(&run(vec![occurs(2, 3)], answers(3))).is_empty());
    assert_eq!(
        errors(&run(vec![occurs(2, 3)], answers(1))),
        vec![(rules::QUESTIONNAIRE_REPEATS, "item[0]".to_string())]
    );
    assert_eq!(
        errors(&run(vec![occurs(2, 3)], answers(4))),
        vec![(rules::QUESTIONNAIRE_REPEATS, "item[0]".to_string())]
    );
}

#[test]
fn display_items_take_no_answers() {
    let q = questionnaire(json!([{"linkId": "intro", "type": "display", "text": "Read this"}]));
    let qr = response(json!([{"linkId": "intro", "answer": [{"valueString": "ok"}]}]));
    assert_eq!(
        errors(&run(vec![q], qr)),
        vec![(
            rules::QUESTIONNAIRE_ITEM_STRUCTURE,
            "item[0].answer[0]".to_string()
        )]
    );
}

#[test]
fn an_exclusive_option_stands_alone() {
    const EXCLUSIVE: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive";
    let none = json!({"system": "http://example.org/cs", "code": "none"});
    let q = questionnaire(json!([
        {"linkId": "c", "type": "choice", "repeats": true, "answerOption": [
            {"valueCoding": {"system": "http://example.org/cs", "code": "a"}},
            {"valueCoding": none, "extension": [{"url": EXCLUSIVE, "valueBoolean": true}]}]},
        {"linkId": "n", "type": "integer", "repeats": true, "answerOption": [
            {"valueInteger": 1},
            {"valueInteger": 0, "extension": [{"url": EXCLUSIVE, "valueBoolean": true}]}]}
    ]));
    let alone = response(json!([
        {"linkId": "c", "answer": [{"valueCoding": none}]},
        {"linkId": "n", "answer": [{"valueInteger": 1}]}
    ]));
    assert!(errors(&run(vec![q.clone()], alone)).is_empty());
    let together = response(json!([
        {"linkId": "c", "answer": [{"valueCoding": {"system": "http://example.org/cs", "code": "a"}},
            {"valueCoding": none}]},
        {"linkId": "n", "answer": [{"valueInteger": 0}, {"valueInteger": 1}]}
    ]));
    assert_eq!(
        errors(&run(vec![q], together)),
        vec![
            (
                rules::QUESTIONNAIRE_EXCLUSIVE,
                "item[0].answer[1]".to_string()
            ),
            (
                rules::QUESTIONNAIRE_EXCLUSIVE,
                "item[1].answer[0]".to_string()
            ),
        ]
    );
}

#[test]
fn a_string_answer_takes_one_line() {
    let q = questionnaire(json!([
        {"linkId": "s", "type": "string"},
        {"linkId": "t", "type": "text"}
    ]));
    let qr = response(json!([
        {"linkId": "s", "answer": [{"valueString": "two\nlines"}]},
        {"linkId": "t", "answer": [{"valueString": "two\nlines"}]}
    ]));
    let found = run(vec![q], qr);
    let warnings: Vec<(&str, String)> = found
        .iter()
        .filter(|f| f.0 == Severity::Warning)
        .map(|f| (f.1, f.2.clone()))
        .collect();
    assert_eq!(
        warnings,
        vec![(
            rules::QUESTIONNAIRE_ANSWER_TYPE,
            "item[0].answer[0].value.ofType(string)".to_string()
        )]
    );
}
