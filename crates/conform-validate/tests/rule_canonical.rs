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

/// A CodeSystem at `http://example.org/fhir/CodeSystem/extra` with the
/// members of `extra`.
fn cs(extra: Value) -> Value {
    let mut c = json!({"resourceType": "CodeSystem",
        "url": "http://example.org/fhir/CodeSystem/extra", "status": "active"});
    c.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    c
}

#[test]
fn a_supplement_says_what_it_supplements_and_that_it_is_one() {
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

const CONCEPT_PROPERTIES: &str = "http://hl7.org/fhir/concept-properties";

/// `severity expression` of the `rule`'s findings on a complete
/// CodeSystem with these `property` declarations and `concept`s.
fn property_findings(rule: &str, property: Value, concept: Value) -> Vec<String> {
    let r = validate(&cs(json!({"content": "complete", "property": property,
        "concept": concept})));
    findings(&r, rule)
}

#[test]
fn a_property_is_declared_once_and_as_its_uri_defines_it() {
    let rule = "code-system-property";
    let known = |code: &str| format!("{CONCEPT_PROPERTIES}#{code}");
    let concepts = json!([{"code": "a"}]);
    // as the specification defines them: nothing to say
    let good = json!([
        {"uri": known("parent"), "code": "parent", "type": "code"},
        {"uri": known("inactive"), "code": "retired", "type": "boolean"},
        {"uri": "http://example.org/fhir/CodeSystem/extra#weight", "code": "weight", "type": "decimal"},
        {"uri": "http://example.org/props#colour", "code": "colour", "type": "string"}]);
    assert!(property_findings(rule, good, concepts.clone()).is_empty());
    // declared twice, by URI and by code
    let twice = json!([
        {"uri": known("parent"), "code": "parent", "type": "code"},
        {"uri": known("parent"), "code": "up", "type": "code"},
        {"uri": "http://example.org/props#colour", "code": "parent", "type": "code"}]);
    assert_eq!(
        property_findings(rule, twice, concepts.clone()),
        [
            "Error CodeSystem.property[1]",
            "Error CodeSystem.property[2]"
        ]
    );
    // the URI's code and type, a URI that is not absolute, one in HL7's
    // space that the specification does not define
    let unlike = json!([
        {"uri": known("deprecationDate"), "code": "inactive", "type": "dateTime"},
        {"uri": known("notSelectable"), "code": "abstract", "type": "string"},
        {"uri": "colour", "code": "colour", "type": "string"},
        {"uri": known("order"), "code": "order", "type": "decimal"}]);
    assert_eq!(
        property_findings(rule, unlike, concepts.clone()),
        [
            "Error CodeSystem.property[0]",
            "Error CodeSystem.property[1]",
            "Error CodeSystem.property[2]",
            "Error CodeSystem.property[3]"
        ]
    );
    // a known code without its URI, and with another type
    let bare = json!([{"code": "synonym", "type": "code"}, {"code": "inactive", "type": "string"}]);
    assert_eq!(
        property_findings(rule, bare, concepts.clone()),
        [
            "Warning CodeSystem.property[0]",
            "Warning CodeSystem.property[1]",
            "Warning CodeSystem.property[1]"
        ]
    );
    // the specification's own code systems, and a URI under the system's
    // own url, may use HL7's space
    let own =
        json!([{"uri": "http://hl7.org/fhir/extra#weight", "code": "weight", "type": "decimal"}]);
    let core = validate(
        &json!({"resourceType": "CodeSystem", "url": "http://hl7.org/fhir/extra",
        "status": "active", "content": "complete", "property": own, "concept": concepts}),
    );
    assert!(findings(&core, rule).is_empty());
}

#[test]
fn a_concept_property_is_declared_typed_and_names_codes_the_system_has() {
    let rule = "code-system-concept-property";
    let declared = json!([
        {"uri": format!("{CONCEPT_PROPERTIES}#parent"), "code": "parent", "type": "code"},
        {"code": "grade", "type": "code"},
        {"code": "weight", "type": "decimal"},
        {"code": "mapped", "type": "code", "extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/codesystem-property-valueset",
            "valueCanonical": "http://example.org/fhir/ValueSet/grades"}]}]);
    let good = json!([{"code": "a"}, {"code": "b", "property": [
        {"code": "parent", "valueCode": "a"}, {"code": "grade", "valueCode": "a"},
        {"code": "weight", "valueDecimal": 1.5}, {"code": "mapped", "valueCode": "x"}]}]);
    assert!(property_findings(rule, declared.clone(), good).is_empty());
    let bad = json!([{"code": "a", "property": [
        {"code": "parent", "valueCode": "z"},
        {"code": "grade", "valueCode": "y"},
        {"code": "weight", "valueInteger": 2},
        {"code": "colour", "valueString": "red"},
        {"code": "grade"}],
        "concept": [{"code": "a1", "property": [
            // each missing code is said once a system
            {"code": "parent", "valueCode": "z"},
            {"code": "synonym", "valueCode": "q"}]}]}]);
    assert_eq!(
        property_findings(rule, declared.clone(), bad.clone()),
        [
            "Error CodeSystem.concept[0].property[0]",
            "Warning CodeSystem.concept[0].property[1]",
            "Error CodeSystem.concept[0].property[2]",
            "Warning CodeSystem.concept[0].property[3]",
            "Error CodeSystem.concept[0].property[4]",
            "Warning CodeSystem.concept[0].concept[0].property[1]",
            "Warning CodeSystem.concept[0].concept[0].property[1]"
        ]
    );
    // a supplement's codes are the supplemented system's: not checked
    let supplement = validate(&cs(json!({"content": "supplement",
        "supplements": "http://example.org/fhir/CodeSystem/base", "property": declared,
        "concept": [{"code": "a", "property": [{"code": "parent", "valueCode": "z"}]}]})));
    assert!(findings(&supplement, rule).is_empty());
}

#[test]
fn a_count_agrees_with_the_concepts_and_the_content() {
    let rule = "code-system-count";
    let nested = json!([{"code": "a", "concept": [{"code": "a1"}, {"code": "a2"}]}]);
    let with = |content: &str, count: Option<u32>, concept: Value| {
        let mut extra = json!({"content": content, "concept": concept});
        if let Some(n) = count {
            extra["count"] = json!(n);
        }
        findings(&validate(&cs(extra)), rule)
    };
    assert!(with("complete", Some(3), nested.clone()).is_empty());
    assert!(with("fragment", Some(30), nested.clone()).is_empty());
    assert_eq!(
        with("complete", Some(1), nested.clone()),
        ["Error CodeSystem.count"]
    );
    assert_eq!(
        with("fragment", Some(3), nested.clone()),
        ["Warning CodeSystem.count"]
    );
    assert_eq!(
        with("not-present", None, nested),
        ["Error CodeSystem.concept[0]"]
    );
    assert_eq!(with("complete", None, json!([])), ["Warning CodeSystem"]);
}

#[test]
fn a_designation_without_a_use_in_the_systems_language_is_the_display() {
    let rule = "code-system-designation";
    let r = validate(&cs(json!({"language": "en-GB", "content": "complete",
        "concept": [{"code": "a", "display": "Apple", "designation": [
            {"value": "Apple"},
            {"value": "Apple tree"},
            {"language": "en-GB", "value": "Eating apple"},
            {"language": "fr", "value": "Pomme"},
            {"use": {"system": "http://snomed.info/sct", "code": "900000000000013009"},
             "value": "Malus domestica"}]}]})));
    assert_eq!(
        findings(&r, rule),
        [
            "Warning CodeSystem.concept[0].designation[1]",
            "Warning CodeSystem.concept[0].designation[2]"
        ]
    );
    // with no language stated either side
    let r = validate(&cs(json!({"content": "complete", "concept": [{"code": "a",
        "display": "Apple", "designation": [{"value": "Apple tree"}, {"language": "fr", "value": "Pomme"}]}]})));
    assert_eq!(
        findings(&r, rule),
        ["Warning CodeSystem.concept[0].designation[0]"]
    );
}

#[test]
fn a_value_set_filter_names_a_property_its_system_has_with_a_value_of_its_type() {
    let rule = "value-set-filter";
    let system = "http://example.org/fhir/CodeSystem/teeth";
    let teeth = json!({"resourceType": "CodeSystem", "url": system, "status": "active",
        "content": "complete", "caseSensitive": true,
        "filter": [{"code": "jaw", "operator": ["="], "value": "upper or lower"}],
        "property": [{"code": "baby", "type": "boolean"}, {"code": "count", "type": "integer"},
            {"code": "kind", "type": "code"}, {"code": "mapped", "type": "Coding"}],
        "concept": [{"code": "incisor"}, {"code": "molar"}]});
    let v = common::r4().clone().with_resources(vec![teeth]);
    let value_set = |filters: Value| {
        json!({"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/teeth",
            "status": "active", "compose": {"include": [{"system": system, "filter": filters}]}})
    };
    let found = |filters: Value| -> Vec<String> {
        let r = v.validate_bytes(value_set(filters).to_string().as_bytes(), 0);
        findings(&r, rule)
    };
    let good = json!([
        {"property": "concept", "op": "is-a", "value": "molar"},
        {"property": "concept", "op": "in", "value": "molar,incisor"},
        {"property": "code", "op": "regex", "value": "m.*"},
        {"property": "jaw", "op": "=", "value": "upper"},
        {"property": "baby", "op": "=", "value": "true"},
        {"property": "count", "op": "=", "value": "-2"},
        {"property": "kind", "op": "=", "value": "molar"},
        {"property": "mapped", "op": "=", "value": format!("{system}#incisor")},
        {"property": "inactive", "op": "exists", "value": "false"},
        // a value an expansion parameter gives
        {"property": "baby", "op": "=", "_value": {"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/cqf-expression",
            "valueExpression": {"language": "text/fhirpath", "expression": "%baby"}}]}}]);
    assert!(found(good).is_empty());
    let at = |i: usize| format!("Error ValueSet.compose.include[0].filter[{i}]");
    let bad = json!([
        {"property": "colour", "op": "=", "value": "white"},
        {"property": "concept", "op": "regex", "value": "m.*"},
        {"property": "concept", "op": "is-a", "value": "canine"},
        {"property": "concept", "op": "in", "value": "molar,canine"},
        {"property": "jaw", "op": "is-a", "value": "upper"},
        {"property": "baby", "op": "=", "value": "1"},
        {"property": "count", "op": "=", "value": "two"},
        {"property": "mapped", "op": "=", "value": "incisor"},
        {"property": "mapped", "op": "=", "value": format!("{system}#canine")},
        {"property": "kind", "op": "=", "value": "canine"},
        {"property": "effectiveDate", "op": "=", "value": "yesterday"}]);
    assert_eq!(
        found(bad),
        [
            "Warning ValueSet.compose.include[0].filter[0]".to_string(),
            at(1),
            at(1),
            at(2),
            at(3),
            at(4),
            at(5),
            at(6),
            at(7),
            at(8),
            "Warning ValueSet.compose.include[0].filter[9]".to_string(),
            at(10),
        ]
    );
}

#[test]
fn a_parameterised_value_sets_expressions_use_its_declared_parameters() {
    let parameter = |name: &str, documented: bool| {
        let mut ext = json!({"url": "http://hl7.org/fhir/tools/StructureDefinition/valueset-parameter",
            "extension": [{"url": "name", "valueCode": name}]});
        if documented {
            ext["extension"].as_array_mut().unwrap().push(
                json!({"url": "documentation", "valueMarkdown": "whether inactive codes count"}),
            );
        }
        ext
    };
    let filter = |language: &str, expression: &str| {
        json!({"property": "inactive", "op": "=", "_value": {"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/cqf-expression",
            "valueExpression": {"language": language, "expression": expression}}]}})
    };
    let value_set = |parameters: Vec<Value>, filters: Vec<Value>| {
        json!({"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/p",
            "status": "active", "extension": parameters,
            "compose": {"include": [{"system": "http://snomed.info/sct", "filter": filters}]}})
    };
    let found = |vs: Value| -> Vec<String> {
        let r = validate(&vs);
        r.findings
            .iter()
            .filter(|f| f.rule == "value-set-parameter")
            .map(|f| format!("{:?} {}: {}", f.severity, f.expression(), f.message))
            .collect()
    };
    let expr = "ValueSet.compose.include[0].filter";
    let at = |j: usize| format!("{expr}[{j}].value.extension[0].value.ofType(Expression)");
    // declared, documented and used (a FHIR constant needs no declaration)
    assert_eq!(
        found(value_set(
            vec![parameter("p-inactive", true)],
            vec![filter("text/fhirpath", "%p-inactive and %sct.exists()")]
        )),
        Vec::<String>::new()
    );
    let mut both = filter("text/fhirpath", "%p-inactive");
    both["value"] = json!("true");
    assert_eq!(
        found(value_set(
            vec![parameter("p-inactive", true), parameter("p-unused", false)],
            vec![
                filter("text/fhirpath", "%p-inactive3"),
                filter("text/fhirpath", "$ and %p-inactive"),
                filter("text/cql", "\"p-inactive\""),
                both,
            ]
        )),
        [
            "Warning ValueSet.extension[1]: The value set parameter 'p-unused' has no documentation, so users are unlikely to be able to give it correctly".to_string(),
            format!("Error {}: The expression '%p-inactive3' uses the parameter 'p-inactive3', which the ValueSet does not declare", at(0)),
            format!("Error {}: The expression '$ and %p-inactive' is not valid FHIRPath: at 0: unknown variable $", at(1)),
            format!("Error {}: A ValueSet filter's expression must be FHIRPath ('text/fhirpath'), not 'text/cql'", at(2)),
            format!("Error {}: A filter cannot have both a value and an expression giving its value", at(3)),
            "Warning ValueSet.extension[1]: The value set parameter 'p-unused' is not used by any filter".to_string(),
        ]
    );
}

#[test]
fn a_value_sets_listed_concepts_are_codes_of_their_system() {
    let system = "http://example.org/fhir/CodeSystem/teeth";
    let teeth = |content: &str| {
        json!({"resourceType": "CodeSystem", "url": system, "status": "active",
            "content": content, "concept": [{"code": "incisor"}, {"code": "molar"}]})
    };
    let value_set = |status: &str, version: Option<&str>| {
        let mut vs = json!({"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/teeth",
            "status": status, "compose": {
                "include": [
                    {"system": system, "concept": [{"code": "molar"}, {"code": "canine"}]},
                    {"system": "http://snomed.info/sct", "concept": [
                        {"code": "276885007"}, {"code": "1"}, {"code": "276885008"},
                        {"code": "73211009 |Diabetes mellitus|"}]}],
                "exclude": [{"system": system, "concept": [{"code": "premolar"}]}]}});
        if let Some(v) = version {
            vs["compose"]["include"][0]["version"] = json!(v);
        }
        vs
    };
    let found = |cs: Value, vs: Value| -> Vec<String> {
        let v = common::r4().clone().with_resources(vec![cs]);
        findings(
            &v.validate_bytes(vs.to_string().as_bytes(), 0),
            "code-invalid",
        )
    };
    assert_eq!(
        found(teeth("complete"), value_set("active", None)),
        [
            "Error ValueSet.compose.include[0].concept[1]",
            "Error ValueSet.compose.include[1].concept[1]",
            "Error ValueSet.compose.include[1].concept[2]",
            "Error ValueSet.compose.exclude[0].concept[0]",
        ]
    );
    // a retired value set's are warnings, as the reference has them
    assert_eq!(
        found(teeth("complete"), value_set("retired", None))
            .iter()
            .filter(|f| f.starts_with("Warning"))
            .count(),
        4
    );
    // a fragment's, and another version's, are not judged
    let snomed = [
        "Error ValueSet.compose.include[1].concept[1]",
        "Error ValueSet.compose.include[1].concept[2]",
    ];
    assert_eq!(found(teeth("fragment"), value_set("active", None)), snomed);
    let mut versioned = teeth("complete");
    versioned["version"] = json!("2");
    // (the exclude names no version: the held one is the one it means)
    assert_eq!(
        found(versioned, value_set("active", Some("1"))),
        [
            snomed[0],
            snomed[1],
            "Error ValueSet.compose.exclude[0].concept[0]"
        ]
    );
}

#[test]
fn a_concept_maps_codes_are_in_its_value_sets_and_code_systems() {
    let rule = "concept-map-code";
    let (source, target) = (
        "http://example.org/fhir/CodeSystem/colours",
        "http://example.org/fhir/CodeSystem/paints",
    );
    let system = |url: &str, codes: &[&str]| {
        let concept: Vec<Value> = codes.iter().map(|c| json!({"code": c})).collect();
        json!({"resourceType": "CodeSystem", "url": url, "status": "active",
            "content": "complete", "caseSensitive": true, "concept": concept})
    };
    let value_set = |url: &str, system: &str, codes: &[&str]| {
        let concept: Vec<Value> = codes.iter().map(|c| json!({"code": c})).collect();
        json!({"resourceType": "ValueSet", "url": url, "status": "active",
            "compose": {"include": [{"system": system, "concept": concept}]}})
    };
    let v = common::r4().clone().with_resources(vec![
        system(source, &["red", "green", "blue"]),
        system(target, &["crimson", "emerald"]),
        value_set("http://example.org/fhir/ValueSet/warm", source, &["red"]),
        value_set(
            "http://example.org/fhir/ValueSet/deep",
            target,
            &["crimson", "emerald"],
        ),
    ]);
    let map = |elements: Value| {
        json!({"resourceType": "ConceptMap", "url": "http://example.org/fhir/ConceptMap/c",
            "status": "active", "sourceCanonical": "http://example.org/fhir/ValueSet/warm",
            "targetCanonical": "http://example.org/fhir/ValueSet/deep",
            "group": [{"source": source, "target": target, "element": elements},
                // a system conform does not hold is not judged
                {"source": source, "target": "http://snomed.info/sct", "element": [
                    {"code": "red", "target": [{"code": "123", "equivalence": "equivalent"}]}]}]})
    };
    let found = |elements: Value| {
        findings(
            &v.validate_bytes(map(elements).to_string().as_bytes(), 0),
            rule,
        )
    };
    assert!(found(
        json!([{"code": "red", "target": [{"code": "crimson", "equivalence": "equivalent"}]}])
    )
    .is_empty());
    assert_eq!(
        found(json!([
            {"code": "green", "target": [{"code": "emerald", "equivalence": "equivalent"}]},
            {"code": "pink", "target": [{"code": "rose", "equivalence": "equivalent"}]}])),
        [
            "Error ConceptMap.group[0].element[0].code",
            "Error ConceptMap.group[0].element[1].code",
            "Error ConceptMap.group[0].element[1].target[0].code"
        ]
    );
}

/// A Questionnaire's `enableWhen` names an item before it, outside it:
/// an inner item, a missing one or the item itself is an error, one that
/// comes later a warning.
#[test]
fn an_enable_when_names_an_earlier_outer_item() {
    let questionnaire = |question: &str| {
        json!({"resourceType": "Questionnaire", "status": "draft", "item": [
            {"linkId": "smoker", "text": "Smoker?", "type": "boolean"},
            {"linkId": "group", "text": "Details", "type": "group",
                "enableWhen": [{"question": question, "operator": "=", "answerBoolean": true}],
                "item": [{"linkId": "packs", "text": "Packs a day", "type": "integer"}]},
            {"linkId": "later", "text": "Later", "type": "boolean"}]})
    };
    let rule = "questionnaire-enable-when";
    assert!(findings(&validate(&questionnaire("smoker")), rule).is_empty());
    for (question, severity) in [
        ("packs", "Error"),
        ("missing", "Error"),
        ("group", "Error"),
        ("later", "Warning"),
    ] {
        assert_eq!(
            findings(&validate(&questionnaire(question)), rule),
            [format!("{severity} Questionnaire.item[1]")],
            "{question}"
        );
    }
}

/// A profile's element types name definitions of those types: a type
/// profile of the element's type (or of a type it is an abstract ancestor
/// of), an extension of the right modifier kind, and target profiles of
/// resources; an unknown definition is a warning.
#[test]
fn an_element_types_profiles_are_definitions_of_that_type() {
    let profile = |types: Value| {
        json!({"resourceType": "StructureDefinition",
            "url": "http://example.org/fhir/StructureDefinition/obs", "name": "Obs",
            "status": "draft", "fhirVersion": "4.0.1", "kind": "resource", "abstract": false,
            "type": "Observation",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity",
                    "type": types}]}})
    };
    let rule = "structure-definition-type-profile";
    let core = |name: &str| format!("http://hl7.org/fhir/StructureDefinition/{name}");
    let at = "StructureDefinition.differential.element[0].type[0]";
    for fine in [
        json!([{"code": "Quantity", "profile": [core("SimpleQuantity")]}]),
        json!([{"code": "Resource", "profile": [core("Patient")]}]),
        json!([{"code": "Reference", "targetProfile": [core("Patient"), core("vitalsigns")]}]),
        json!([{"code": "canonical", "targetProfile": [core("ValueSet")]}]),
    ] {
        assert!(
            findings(&validate(&profile(fine.clone())), rule).is_empty(),
            "{fine}"
        );
    }
    for (types, expected) in [
        // Count specialises Quantity: not a definition of Quantity itself
        (
            json!([{"code": "Quantity", "profile": [core("Count")]}]),
            format!("Error {at}.profile[0]"),
        ),
        // a modifier extension where the element is not modifierExtension
        (
            json!([{"code": "Extension", "profile": [core("capabilitystatement-prohibited")]}]),
            format!("Error {at}.profile[0]"),
        ),
        (
            json!([{"code": "Reference", "targetProfile": [core("HumanName")]}]),
            format!("Error {at}.targetProfile[0]"),
        ),
        (
            json!([{"code": "canonical", "targetProfile": [core("Patient")]}]),
            format!("Error {at}.targetProfile[0]"),
        ),
        (
            json!([{"code": "string", "targetProfile": [core("Patient")]}]),
            format!("Error {at}.targetProfile[0]"),
        ),
        (
            json!([{"code": "Quantity", "profile": ["http://example.org/fhir/StructureDefinition/nowhere"]}]),
            format!("Warning {at}.profile[0]"),
        ),
    ] {
        assert_eq!(
            findings(&validate(&profile(types.clone())), rule),
            [expected],
            "{types}"
        );
    }
}
