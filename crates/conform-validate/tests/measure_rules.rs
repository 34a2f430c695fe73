//! A Measure's groups and its stratifiers' CQL criteria, as the reference's
//! Measure check judges them: codes that tell groups, populations and
//! stratifiers apart (warnings), and CQL criteria that must name a loaded
//! Library's compiled statement (errors).

mod common;

use base64::Engine;
use conform_validate::{ResourceResult, Severity, Validator};
use serde_json::{json, Value};

const LIB: &str = "http://example.org/fhir/Library/screening";
const OTHER: &str = "http://example.org/fhir/Library/other";

fn elm(statements: &[&str]) -> String {
    let defs: String = statements
        .iter()
        .map(|s| format!(r#"<def name="{s}" context="Patient" accessLevel="Public"/>"#))
        .collect();
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><library xmlns="urn:hl7-org:elm:r1"><identifier id="Screening"/><statements>{defs}</statements></library>"#
    );
    base64::engine::general_purpose::STANDARD.encode(xml)
}

fn library(url: &str, name: &str, content: Value) -> Value {
    json!({"resourceType": "Library", "url": url, "name": name, "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/library-type",
            "code": "logic-library"}]},
        "content": content})
}

fn validator() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        common::r4().clone().with_resources(vec![
            library(
                LIB,
                "Screening",
                json!([{"contentType": "text/cql", "data": "bGlicmFyeQ=="},
                    {"contentType": "application/elm+xml", "data": elm(&["InPopulation", "AgeGroup"])}]),
            ),
            library(
                OTHER,
                "Other",
                json!([{"contentType": "text/cql", "data": "bGlicmFyeQ=="}]),
            ),
        ])
    })
}

fn measure(libraries: &[&str], groups: Value) -> Value {
    let mut m = json!({"resourceType": "Measure", "status": "active",
        "url": "http://example.org/fhir/Measure/m", "group": groups});
    if !libraries.is_empty() {
        m["library"] = json!(libraries);
    }
    m
}

/// A group with one population and a stratifier on `expression`.
fn stratified(language: &str, expression: &str) -> Value {
    json!([{"population": [{"criteria": {"language": "text/cql", "expression": "Screening.InPopulation"}}],
        "stratifier": [{"criteria": {"language": language, "expression": expression}}]}])
}

fn validate(resource: &Value) -> ResourceResult {
    validator().validate_bytes(resource.to_string().as_bytes(), 0)
}

/// `severity rule expression` of the measure findings.
fn findings(resource: &Value) -> Vec<String> {
    validate(resource)
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("measure-"))
        .map(|f| format!("{:?} {} {}", f.severity, f.rule, f.expression()))
        .collect()
}

const CRITERIA: &str = "Measure.group[0].stratifier[0].criteria";

#[test]
fn groups_populations_and_stratifiers_are_told_apart_by_code() {
    let mut none = measure(&[LIB], json!([]));
    none.as_object_mut().unwrap().remove("group");
    assert_eq!(findings(&none), ["Warning measure-group Measure"]);
    let groups = json!([
        {"population": [{"code": {"text": "initial"}}, {}],
            "stratifier": [{"code": {"text": "age"}}, {}]},
        {}
    ]);
    assert_eq!(
        findings(&measure(&[LIB], groups)),
        [
            "Warning measure-group Measure.group[0]",
            "Warning measure-group Measure.group[0].population[1]",
            "Warning measure-group Measure.group[0].stratifier[1]",
            "Warning measure-group Measure.group[1]",
            "Warning measure-group Measure.group[1]",
        ]
    );
}

#[test]
fn cql_criteria_name_a_statement_of_a_loaded_library() {
    let ok = |libraries: &[&str], expression: &str| {
        findings(&measure(libraries, stratified("text/cql", expression)))
    };
    assert_eq!(ok(&[LIB], "Screening.AgeGroup"), Vec::<String>::new());
    assert_eq!(ok(&[LIB], "AgeGroup"), Vec::<String>::new());
    assert_eq!(
        findings(&measure(
            &[LIB],
            stratified("text/cql.identifier", "AgeGroup")
        )),
        Vec::<String>::new()
    );
    let error = vec![format!("Error measure-criteria {CRITERIA}")];
    // a statement the ELM does not define
    assert_eq!(ok(&[LIB], "Screening.AgesUpToNine"), error);
    // a namespace no Library has
    assert_eq!(ok(&[LIB], "Elsewhere.AgeGroup"), error);
    // no namespace, two Libraries
    assert_eq!(ok(&[LIB, OTHER], "AgeGroup"), error);
    // a Library without compiled ELM
    assert_eq!(ok(&[LIB, OTHER], "Other.AgeGroup"), error);
    // no Library at all
    assert_eq!(ok(&[], "Screening.AgeGroup"), error);
    let message = |libraries: &[&str], expression: &str| {
        let r = validate(&measure(libraries, stratified("text/cql", expression)));
        r.findings
            .iter()
            .find(|f| f.rule == "measure-criteria")
            .map(|f| f.message.clone())
            .unwrap_or_default()
    };
    assert!(message(&[LIB], "Screening.AgesUpToNine")
        .contains("The function AgesUpToNine does not exist in the library"));
    assert!(message(&[LIB, OTHER], "Other.AgeGroup").contains("No compiled version of CQL"));
    // named but not loaded: not checked, as a code of a system not held
    assert_eq!(
        ok(
            &["http://example.org/fhir/Library/elsewhere"],
            "Screening.AgeGroup"
        ),
        [format!("Information measure-criteria {CRITERIA}")]
    );
}

#[test]
fn other_criteria_languages_are_not_evaluated() {
    let r = findings(&measure(
        &[LIB],
        stratified("text/fhirpath", "Patient.gender"),
    ));
    assert_eq!(r, [format!("Warning measure-criteria {CRITERIA}")]);
    // a Measure's findings are warnings or better, not errors, when its CQL holds
    assert!(
        validate(&measure(&[LIB], stratified("text/cql", "AgeGroup")))
            .findings
            .iter()
            .all(|f| f.severity != Severity::Error || !f.rule.starts_with("measure-"))
    );
}
