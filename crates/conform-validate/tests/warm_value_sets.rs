//! The value sets a run can foresee, those of required bindings and those
//! invariants name in `memberOf()`, are expanded with the plans and kept in
//! the plan cache: a validator read from the cache expands none of them
//! while it validates. In a test binary of its own, so the process-wide
//! count is these tests' alone, and they take turns ([`ONE_AT_A_TIME`]):
//! one compiling plans expands value sets while the other counts.

mod common;

use conform_packages::PackageSpec;
use conform_validate::terminology::value_sets_expanded;

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_validator_from_the_plan_cache_expands_no_value_set_it_could_foresee() {
    let _turn = turn();
    let (_, resolved) = common::load(&[PackageSpec::parse("hl7.fhir.r4.core#4.0.1").unwrap()]);
    let (cached, _cache) = common::from_plan_cache(&resolved);
    let before = value_sets_expanded();

    // `opd-3`: a parameter with a target profile is a Reference, a
    // canonical, or of a type in the resource types value set
    let operation = |ty: &str| {
        format!(
            r#"{{"resourceType":"OperationDefinition","url":"http://example.org/op","name":"Op","status":"draft","kind":"operation","code":"op","system":false,"type":false,"instance":true,"resource":["Patient"],"parameter":[{{"name":"p","use":"in","min":0,"max":"1","type":"{ty}","targetProfile":["http://hl7.org/fhir/StructureDefinition/Patient"]}}]}}"#
        )
    };
    let rules = |json: String| -> Vec<String> {
        let r = cached.validate_bytes(json.as_bytes(), 0);
        r.findings.iter().map(|f| f.rule.to_string()).collect()
    };
    let resource_type = rules(operation("Patient"));
    assert!(
        !resource_type.iter().any(|r| r == "opd-3"),
        "{resource_type:?}"
    );
    let data_type = rules(operation("Quantity"));
    assert!(data_type.iter().any(|r| r == "opd-3"), "{data_type:?}");

    // and every R4 example
    for path in common::example_files("r4/examples", 703) {
        cached.validate_bytes(&std::fs::read(&path).expect("read"), 0);
    }
    assert_eq!(
        value_sets_expanded(),
        before,
        "value sets expanded while validating"
    );
}

/// A profile's invariant naming a value set no binding of the base types
/// is required to: its expansion is made with the plans, too.
#[test]
fn a_value_set_a_profile_invariant_names_is_expanded_with_the_plans() {
    let _turn = turn();
    let cache = tempfile::tempdir().expect("temp dir");
    let package = cache.path().join("example.member-of#0.1.0/package");
    std::fs::create_dir_all(&package).expect("package folder");
    std::fs::write(
        package.join("package.json"),
        r#"{"name":"example.member-of","version":"0.1.0","fhirVersions":["4.0.1"],"dependencies":{"hl7.fhir.r4.core":"4.0.1"}}"#,
    )
    .expect("package.json");
    std::fs::write(
        package.join("StructureDefinition-marital-basic.json"),
        r#"{"resourceType":"StructureDefinition","id":"marital-basic","url":"http://example.org/StructureDefinition/marital-basic","name":"MaritalBasic","status":"draft","fhirVersion":"4.0.1","kind":"resource","abstract":false,"type":"Basic","baseDefinition":"http://hl7.org/fhir/StructureDefinition/Basic","derivation":"constraint","differential":{"element":[{"id":"Basic","path":"Basic","constraint":[{"key":"mb-1","severity":"error","human":"The code is a marital status","expression":"code.memberOf('http://hl7.org/fhir/ValueSet/marital-status')","source":"http://example.org/StructureDefinition/marital-basic"}]}]}}"#,
    )
    .expect("profile");
    let resolved = common::resolve_with_cache(
        cache.path(),
        &[PackageSpec::parse("example.member-of#0.1.0").unwrap()],
    );
    let (cached, _plans) = common::from_plan_cache(&resolved);
    let before = value_sets_expanded();
    let basic = |code: &str| {
        format!(
            r#"{{"resourceType":"Basic","meta":{{"profile":["http://example.org/StructureDefinition/marital-basic"]}},"code":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"{code}"}}]}}}}"#
        )
    };
    let rules = |json: String| -> Vec<String> {
        let r = cached.validate_bytes(json.as_bytes(), 0);
        r.findings.iter().map(|f| f.rule.to_string()).collect()
    };
    let married = rules(basic("M"));
    assert!(!married.iter().any(|r| r == "mb-1"), "{married:?}");
    let unknown = rules(basic("no-such-status"));
    assert!(unknown.iter().any(|r| r == "mb-1"), "{unknown:?}");
    assert_eq!(
        value_sets_expanded(),
        before,
        "value sets expanded while validating"
    );
}
