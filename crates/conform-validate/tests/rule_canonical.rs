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

/// An input profile on Parameters with one parameter slice, `subject`:
/// exactly one, a Reference to a Patient profile.
fn input_profile_validator() -> conform_validate::Validator {
    let dir = tempfile::tempdir().expect("temp dir");
    let sd = json!({"resourceType": "StructureDefinition",
        "url": "http://example.org/fhir/StructureDefinition/op-in", "name": "OpIn",
        "status": "active", "fhirVersion": "4.0.1", "kind": "resource", "abstract": false,
        "type": "Parameters", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Parameters",
        "derivation": "constraint", "differential": {"element": [
            {"id": "Parameters.parameter", "path": "Parameters.parameter",
                "slicing": {"discriminator": [{"type": "value", "path": "name"}], "rules": "open"}},
            {"id": "Parameters.parameter:subject", "path": "Parameters.parameter",
                "sliceName": "subject", "min": 1, "max": "1"},
            {"id": "Parameters.parameter:subject.name", "path": "Parameters.parameter.name",
                "fixedString": "subject"},
            {"id": "Parameters.parameter:subject.value[x]", "path": "Parameters.parameter.value[x]",
                "type": [{"code": "Reference",
                    "targetProfile": ["http://example.org/fhir/StructureDefinition/patient"]}]},
            {"id": "Parameters.parameter:subject.resource", "path": "Parameters.parameter.resource", "max": "0"},
            {"id": "Parameters.parameter:subject.part", "path": "Parameters.parameter.part", "max": "0"}]}});
    let path = dir.path().join("op-in.json");
    std::fs::write(&path, sd.to_string()).expect("write profile");
    common::r4_with(&[path])
}

fn operation(subject: Value) -> Value {
    let mut param = json!({"name": "subject", "use": "in", "min": 1, "max": "1", "type": "Reference",
        "targetProfile": ["http://example.org/fhir/StructureDefinition/patient"]});
    param
        .as_object_mut()
        .unwrap()
        .extend(subject.as_object().unwrap().clone());
    json!({"resourceType": "OperationDefinition", "url": "http://example.org/fhir/OperationDefinition/op",
        "name": "Op", "status": "active", "kind": "operation", "code": "op", "system": true,
        "type": false, "instance": false,
        "inputProfile": "http://example.org/fhir/StructureDefinition/op-in",
        "parameter": [param]})
}

fn operation_findings(v: &conform_validate::Validator, op: &Value) -> Vec<String> {
    v.validate_bytes(op.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("operation-definition"))
        .map(|f| format!("{:?} {}", f.severity, f.expression()))
        .collect()
}

#[test]
fn operation_parameters_agree_with_their_input_profile() {
    let v = input_profile_validator();
    assert!(operation_findings(&v, &operation(json!({}))).is_empty());
    // cardinality
    assert_eq!(
        operation_findings(&v, &operation(json!({"min": 0}))),
        ["Error OperationDefinition.parameter[0]"]
    );
    assert_eq!(
        operation_findings(&v, &operation(json!({"max": "*"}))),
        ["Error OperationDefinition.parameter[0]"]
    );
    // a type the profile does not allow, and the profile's type missing here
    assert_eq!(
        operation_findings(
            &v,
            &operation(json!({"type": "string", "targetProfile": null}))
        )
        .len(),
        3
    );
    // a target profile on one side only
    assert_eq!(
        operation_findings(
            &v,
            &operation(
                json!({"targetProfile": ["http://example.org/fhir/StructureDefinition/other"]})
            )
        ),
        [
            "Error OperationDefinition.parameter[0]",
            "Error OperationDefinition.parameter[0]"
        ]
    );
}

#[test]
fn a_parameter_on_one_side_only_is_a_warning() {
    let v = input_profile_validator();
    assert_eq!(
        operation_findings(&v, &operation(json!({"name": "patient"}))),
        [
            "Warning OperationDefinition.inputProfile",
            "Warning OperationDefinition.parameter[0]"
        ]
    );
}

#[test]
fn an_input_profile_must_be_a_loaded_parameters_profile() {
    let mut op = operation(json!({}));
    op["inputProfile"] = json!("http://example.org/fhir/StructureDefinition/nowhere");
    assert_eq!(
        operation_findings(&input_profile_validator(), &op),
        ["Error OperationDefinition.inputProfile"]
    );
    op["inputProfile"] = json!("http://hl7.org/fhir/StructureDefinition/vitalsigns");
    assert_eq!(
        operation_findings(&input_profile_validator(), &op),
        ["Error OperationDefinition.inputProfile"]
    );
}

#[test]
fn a_base_chain_must_not_lead_back() {
    let parent = json!({"resourceType": "OperationDefinition",
        "url": "http://example.org/fhir/OperationDefinition/parent", "name": "Parent",
        "status": "active", "kind": "operation", "code": "op", "system": true, "type": false,
        "instance": false, "base": "http://example.org/fhir/OperationDefinition/op"});
    let mut op = operation(json!({}));
    op.as_object_mut().unwrap().remove("inputProfile");
    op["base"] = json!("http://example.org/fhir/OperationDefinition/parent");
    // Only the parent loaded: the chain ends there.
    let v = common::r4().clone().with_resources(vec![parent.clone()]);
    assert!(operation_findings(&v, &op).is_empty());
    // Both loaded (as in a package that holds the operation): the chain
    // comes back to the operation's own url.
    let v = common::r4()
        .clone()
        .with_resources(vec![parent, op.clone()]);
    assert_eq!(
        operation_findings(&v, &op),
        ["Error OperationDefinition.base"]
    );
}

#[test]
fn a_supplement_says_what_it_supplements_and_that_it_is_one() {
    let cs = |extra: Value| {
        let mut c = json!({"resourceType": "CodeSystem",
            "url": "http://example.org/fhir/CodeSystem/extra", "status": "active"});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let rule = "code-system-supplement";
    assert!(findings(
        &validate(&cs(
            json!({"content": "supplement", "supplements": "http://loinc.org"})
        )),
        rule
    )
    .is_empty());
    assert_eq!(
        findings(
            &validate(&cs(
                json!({"content": "complete", "supplements": "http://loinc.org"})
            )),
            rule
        ),
        ["Error CodeSystem.content"]
    );
    assert_eq!(
        findings(&validate(&cs(json!({"content": "supplement"}))), rule),
        ["Error CodeSystem.content"]
    );
    assert_eq!(
        findings(
            &validate(&cs(
                json!({"content": "supplement", "supplements": "http://loinc.org", "caseSensitive": true})
            )),
            rule
        ),
        ["Error CodeSystem.caseSensitive"]
    );
}
