//! Rules of conformance resources: a SearchParameter against its parent
//! (`derivedFrom`) and the types it searches (R4 §3.1.1.4), and a
//! CapabilityStatement's search parameters against their definitions.

mod common;

use conform_validate::ResourceResult;
use serde_json::{json, Value};

fn validate(resource: &Value) -> ResourceResult {
    common::r4().validate_bytes(resource.to_string().as_bytes(), 0)
}

/// `severity expression` of each finding of the `rule`.
fn findings(r: &ResourceResult, rule: &str) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| format!("{:?} {}", f.severity, f.expression()))
        .collect()
}

/// A parameter derived from core's `Organization-name` (a string search
/// on Organization, `Organization.name | Organization.alias`).
fn derived(changes: Value) -> Value {
    let mut sp = json!({"resourceType": "SearchParameter",
        "url": "http://example.org/fhir/SearchParameter/org-name", "name": "OrgName",
        "status": "active", "description": "Organizations by name", "code": "name",
        "derivedFrom": "http://hl7.org/fhir/SearchParameter/Organization-name",
        "base": ["Organization"], "type": "string",
        "expression": "Organization.name | Organization.alias"});
    sp.as_object_mut()
        .unwrap()
        .extend(changes.as_object().unwrap().clone());
    sp
}

#[test]
fn a_derived_parameter_keeps_its_parents_type() {
    assert!(findings(
        &validate(&derived(json!({}))),
        "search-parameter-derivation"
    )
    .is_empty());
    assert_eq!(
        findings(
            &validate(&derived(json!({"type": "token"}))),
            "search-parameter-derivation"
        ),
        ["Error SearchParameter"]
    );
}

#[test]
fn a_derived_parameter_searches_only_its_parents_bases() {
    let r = validate(&derived(json!({"base": ["Patient"],
        "expression": "Patient.name"})));
    assert_eq!(
        findings(&r, "search-parameter-derivation"),
        ["Error SearchParameter", "Warning SearchParameter"]
    );
}

#[test]
fn a_derived_expression_may_reorder_but_should_not_change() {
    let reordered = derived(json!({"expression": "Organization.alias|Organization.name"}));
    assert!(findings(&validate(&reordered), "search-parameter-derivation").is_empty());
    let changed = derived(json!({"expression": "Organization.name"}));
    assert_eq!(
        findings(&validate(&changed), "search-parameter-derivation"),
        ["Warning SearchParameter"]
    );
}

#[test]
fn an_unknown_parent_is_a_warning() {
    let r = validate(&derived(
        json!({"derivedFrom": "http://example.org/fhir/SearchParameter/nowhere"}),
    ));
    assert_eq!(
        findings(&r, "search-parameter-derivation"),
        ["Warning SearchParameter.derivedFrom"]
    );
}

#[test]
fn an_expression_must_fit_the_bases() {
    let wrong_type = derived(json!({"base": ["Patient"], "derivedFrom": null}));
    assert_eq!(
        findings(&validate(&wrong_type), "search-parameter-expression"),
        ["Error SearchParameter.expression"]
    );
    let wrong_element = derived(json!({"expression": "Organization.nmae"}));
    assert_eq!(
        findings(&validate(&wrong_element), "search-parameter-expression"),
        ["Error SearchParameter.expression"]
    );
}

#[test]
fn a_code_avoids_search_url_characters() {
    let r = validate(&derived(json!({"code": "org.name"})));
    assert_eq!(
        findings(&r, "search-parameter-code"),
        ["Warning SearchParameter.code"]
    );
}

#[test]
fn a_composite_combines_at_least_two_components() {
    let r = validate(&derived(json!({"type": "composite", "derivedFrom": null,
        "component": [{"definition": "http://hl7.org/fhir/SearchParameter/Organization-name",
            "expression": "name"}]})));
    assert_eq!(
        findings(&r, "search-parameter-components"),
        ["Error SearchParameter"]
    );
}

/// Every search parameter R4 defines fits its own bases: the expression
/// check must not reject what the specification publishes.
#[test]
fn core_search_parameters_fit_their_bases() {
    let (_, resolved) =
        common::load(&[
            conform_packages::PackageSpec::parse("hl7.fhir.r4.core#4.0.1").expect("spec"),
        ]);
    let set = conform_packages::DefinitionSet::load(&resolved).expect("definitions");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for sp in set.by_type("SearchParameter") {
        let r = validate(sp);
        checked += 1;
        for f in r
            .findings
            .iter()
            .filter(|f| f.rule.starts_with("search-parameter") && f.severity.is_error())
        {
            wrong.push(format!("{}: {}", sp["url"], f.message));
        }
    }
    assert!(checked > 1000, "only {checked} search parameters read");
    assert!(
        wrong.is_empty(),
        "{} core parameters rejected:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_capability_statement_search_param_has_its_definitions_type() {
    let cs = |ty: &str| {
        json!({"resourceType": "CapabilityStatement", "status": "draft",
            "date": "2026-12-03", "kind": "requirements", "fhirVersion": "4.0.1",
            "format": ["json"], "rest": [{"mode": "server", "resource": [{"type": "AllergyIntolerance",
                "searchParam": [{"name": "clinical-status",
                    "definition": "http://hl7.org/fhir/SearchParameter/AllergyIntolerance-clinical-status",
                    "type": ty}]}]}]})
    };
    assert!(findings(&validate(&cs("token")), "capability-search-param").is_empty());
    assert_eq!(
        findings(&validate(&cs("date")), "capability-search-param"),
        ["Error CapabilityStatement.rest[0].resource[0].searchParam[0]"]
    );
}
