//! FHIR STU3 from its own definitions: the 634 official STU3 examples
//! validate with no errors except the committed list of genuinely invalid
//! ones, every STU3 invariant parses, and a payload of the other release
//! gets one finding that says so instead of dozens that restate it.

mod common;

use conform_packages::FhirRelease;
use conform_validate::release::OtherRelease;
use conform_validate::{ResourceResult, Validator};

fn validate_with(v: &Validator, path: &std::path::Path) -> ResourceResult {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    v.validate_bytes(&bytes, 0)
}

#[test]
fn official_stu3_examples_validate_clean_except_known_invalid() {
    let known = common::known::KnownInvalid::parse(include_str!("data/stu3-examples-invalid.toml"));
    let files = common::example_files("stu3/examples", 634);
    let v = common::stu3();
    assert_eq!(v.release(), Some(FhirRelease::Stu3));
    let results: Vec<(String, ResourceResult)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, validate_with(v, p))
        })
        .collect();
    known.assert_corpus("STU3 examples", &results);
    // Nothing was skipped for want of an evaluable invariant.
    let unevaluated: Vec<&str> = results
        .iter()
        .filter(|(_, r)| {
            r.findings
                .iter()
                .any(|f| f.rule == "invariant-not-evaluated")
        })
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        unevaluated.is_empty(),
        "invariants not evaluated in {unevaluated:?}"
    );
}

#[test]
fn every_stu3_invariant_parses() {
    let constraints = &common::stu3().plans().constraints;
    assert!(constraints.len() > 150, "{} constraints", constraints.len());
    let broken: Vec<String> = constraints
        .iter()
        .filter_map(|c| {
            conform_fhirpath::parse(&c.expression)
                .err()
                .map(|e| format!("{}: {} ({e})", c.key, c.expression))
        })
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn stu3_errata_are_evaluated_as_the_reference_fixes_them() {
    let rules = |resource: serde_json::Value| -> Vec<String> {
        let r = common::stu3().validate_bytes(resource.to_string().as_bytes(), 0);
        r.findings.iter().map(|f| f.rule.clone()).collect()
    };
    let code = |c: &str| serde_json::json!({"coding": [{"system": "http://loinc.org", "code": c}]});
    // obs-7: a component that repeats the Observation's code, beside one
    // that does not. STU3's `code != component.code` let this through.
    let observation = |components: Vec<serde_json::Value>| {
        serde_json::json!({"resourceType": "Observation", "status": "final", "code": code("8480-6"),
            "valueString": "x",
            "component": components.into_iter().map(|c| serde_json::json!({"code": c, "valueString": "y"})).collect::<Vec<_>>()})
    };
    assert!(rules(observation(vec![code("8480-6"), code("8462-4")])).contains(&"obs-7".to_string()));
    assert!(
        !rules(observation(vec![code("8462-4"), code("9279-1")])).contains(&"obs-7".to_string())
    );
    // con-4: a dateTime abatement needs no resolved status; a `true` one does.
    let condition = |abatement: serde_json::Value| {
        let mut c = serde_json::json!({"resourceType": "Condition", "clinicalStatus": "active",
            "verificationStatus": "confirmed", "subject": {"reference": "Patient/p"}});
        c.as_object_mut()
            .unwrap()
            .extend(abatement.as_object().unwrap().clone());
        c
    };
    assert!(!rules(condition(
        serde_json::json!({"abatementDateTime": "2017-01-01"})
    ))
    .contains(&"con-4".to_string()));
    assert!(
        rules(condition(serde_json::json!({"abatementBoolean": true})))
            .contains(&"con-4".to_string())
    );
}

/// An R4 validator that can tell STU3 payloads, as `conform validate`
/// builds it.
fn r4_telling_stu3() -> Validator {
    common::r4().with_other_release(OtherRelease::new(FhirRelease::Stu3, || {
        Some(common::stu3().clone())
    }))
}

#[test]
fn gp_connect_payloads_validated_as_r4_get_one_finding_each() {
    let v = r4_telling_stu3();
    let mut told = 0;
    for path in common::example_files("nhs-apis/gp-connect-stu3", 13) {
        let r = validate_with(&v, &path);
        let release: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.rule == "fhir-version")
            .collect();
        if release.is_empty() {
            continue;
        }
        told += 1;
        assert_eq!(r.findings.len(), 1, "{}: {:?}", path.display(), r.findings);
        let message = &release[0].message;
        assert!(
            message.contains("STU3 (3.0.1)") && message.contains("--fhir-version 3.0"),
            "{message}"
        );
    }
    // The capability statement and every response Bundle and Patient are
    // STU3 by shape or by the profiles they claim; the request Parameters
    // are shaped alike in both releases and are not told.
    assert_eq!(told, 9, "responses told as STU3");
}

#[test]
fn an_r4_payload_validated_as_stu3_gets_one_finding() {
    let v = common::stu3().with_other_release(OtherRelease::new(FhirRelease::R4, || {
        Some(common::r4().clone())
    }));
    // R4-only shapes: a CodeableConcept clinicalStatus, a ServiceRequest.
    let condition = serde_json::json!({"resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
        "code": {"text": "Asthma"}, "subject": {"reference": "Patient/p"}, "recordedDate": "2020-01-01"});
    let r = v.validate_bytes(condition.to_string().as_bytes(), 0);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].rule, "fhir-version");
    assert!(
        r.findings[0].message.contains("R4 (4.0.1)"),
        "{}",
        r.findings[0].message
    );
    let request = serde_json::json!({"resourceType": "ServiceRequest", "status": "active",
        "intent": "order", "subject": {"reference": "Patient/p"}});
    let r = v.validate_bytes(request.to_string().as_bytes(), 0);
    assert_eq!(
        r.findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>(),
        ["fhir-version"]
    );
    // A payload wrong in both releases keeps its findings: a typo is not a
    // release.
    let typo = serde_json::json!({"resourceType": "Patient", "gendr": "male"});
    let r = v.validate_bytes(typo.to_string().as_bytes(), 0);
    assert!(r.findings.iter().any(|f| f.rule == "unknown-element"));
    assert!(!r.findings.iter().any(|f| f.rule == "fhir-version"));
}

/// STU3 core, Care Connect base and NHS Digital's STU3 assets.
fn gp_connect() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let spec = conform_packages::PackageSpec::parse("nhsconnect.stu3-fhir-assets#2024.10.24")
            .expect("spec");
        common::load(&[spec]).0
    })
}

#[test]
fn differential_only_gp_connect_profiles_get_snapshots() {
    let v = gp_connect();
    for name in [
        "CareConnect-GPC-ClinicalImpression-1",
        "CareConnect-GPC-Encounter-1",
        "CareConnect-GPC-MedicationDispense-1",
        "CareConnect-GPC-ProblemHeader-Condition-1",
        "Extension-GPConnect-PractitionerRole-1",
        "GPConnect-Appointment-1",
    ] {
        let url = format!("https://fhir.nhs.uk/STU3/StructureDefinition/{name}");
        assert!(v.has_profile(&url), "{name} has no compiled snapshot");
    }
    // The generated snapshot carries the differential's constraints.
    let encounter = serde_json::json!({"resourceType": "Encounter", "status": "finished",
        "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1"]}});
    let r = v.validate_bytes(encounter.to_string().as_bytes(), 0);
    let missing: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule == "cardinality-min")
        .filter_map(|f| f.location.expression.as_deref())
        .collect();
    for path in [
        "Encounter.identifier",
        "Encounter.subject",
        "Encounter.type",
    ] {
        assert!(missing.contains(&path), "{path} not required: {missing:?}");
    }
}

#[test]
fn canonicals_no_package_defines_are_listed_not_fatal() {
    let unresolved: std::collections::HashSet<&str> = gp_connect()
        .unresolved_canonicals()
        .iter()
        .map(|(c, _)| c.as_str())
        .collect();
    // The test data's manifest lists, per NHS definition, what it refers
    // to that no package here defines: every one is reported.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(conform_testdata::path(
            "stu3/nhs-stu3-packages-manifest.json",
        ))
        .expect("manifest"),
    )
    .expect("manifest parses");
    let expected: std::collections::BTreeSet<&str> = manifest
        .as_array()
        .expect("a list")
        .iter()
        .flat_map(|r| r["unresolved"].as_array().into_iter().flatten())
        .filter_map(|u| u.as_str())
        .collect();
    assert_eq!(expected.len(), 91);
    let missed: Vec<&&str> = expected
        .iter()
        .filter(|u| !unresolved.contains(**u))
        .collect();
    assert!(missed.is_empty(), "not reported: {missed:?}");
}
