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
