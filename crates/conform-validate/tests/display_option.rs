//! `display-issues-are-warnings` (the HL7 validator's
//! `-display-issues-are-warnings`): a display that is not the code's is a
//! warning rather than an error.

mod common;

use conform_validate::Options;
use serde_json::json;

#[test]
fn a_wrong_display_is_an_error_or_a_warning() {
    let questionnaire = json!({"resourceType": "Questionnaire",
        "url": "http://example.org/fhir/Questionnaire/sex", "status": "active",
        "item": [{"linkId": "sex", "type": "choice",
            "answerValueSet": "http://hl7.org/fhir/ValueSet/administrative-gender"}]});
    let response = json!({"resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/fhir/Questionnaire/sex", "status": "completed",
        "item": [{"linkId": "sex", "answer": [{"valueCoding": {
            "system": "http://hl7.org/fhir/administrative-gender", "code": "male", "display": "Man"}}]}]});
    let severities = |options: Options| -> Vec<String> {
        common::r4()
            .with_resources(vec![questionnaire.clone()])
            .with_options(options)
            .validate_bytes(response.to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "questionnaire-display")
            .map(|f| format!("{:?}", f.severity))
            .collect()
    };
    assert_eq!(severities(Options::default()), ["Error"]);
    assert_eq!(
        severities(Options {
            display_issues_are_warnings: true,
            ..Options::default()
        }),
        ["Warning"]
    );
}

/// A QuestionnaireResponse answer is a Coding like any other: where the
/// walk judges its display against the held code system, the answer's
/// check leaves it to the walk, and the wrong display is reported once.
#[test]
fn a_wrong_answer_display_is_reported_once() {
    let system = "http://example.org/fhir/CodeSystem/channel";
    let channel = json!({"resourceType": "CodeSystem", "url": system, "status": "active",
        "content": "complete", "concept": [{"code": "in-person", "display": "In-person"}]});
    let channels = json!({"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/channel",
        "status": "active", "compose": {"include": [{"system": system}]}});
    let questionnaire = json!({"resourceType": "Questionnaire",
        "url": "http://example.org/fhir/Questionnaire/visit", "status": "active",
        "item": [{"linkId": "channel", "type": "choice",
            "answerValueSet": "http://example.org/fhir/ValueSet/channel"}]});
    let response = json!({"resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/fhir/Questionnaire/visit", "status": "completed",
        "item": [{"linkId": "channel", "answer": [{"valueCoding": {
            "system": system, "code": "in-person", "display": "In person"}}]}]});
    let findings: Vec<String> = common::r4()
        .with_resources(vec![channel, channels, questionnaire])
        .validate_bytes(response.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.rule.ends_with("display"))
        .map(|f| format!("{:?} {} {}", f.severity, f.rule, f.expression()))
        .collect();
    assert_eq!(
        findings,
        ["Error code-display QuestionnaireResponse.item[0].answer[0].value.ofType(Coding).display"]
    );
}
