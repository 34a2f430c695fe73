//! Invariants beyond the base types: those a profile adds (IPS, UK Core),
//! evaluated where the profile applies, and base invariants that need the
//! validator's services (`resolve()` across a Bundle's entries).

mod common;

use conform_validate::{ProfileSelection, ResourceResult, Validator};
use serde_json::json;

fn validate(v: &Validator, profile: &str, resource: serde_json::Value) -> ResourceResult {
    let v = v.with_profiles(ProfileSelection {
        explicit: vec![profile.to_string()],
        ..Default::default()
    });
    v.validate_bytes(resource.to_string().as_bytes(), 0)
}

fn findings_of(r: &ResourceResult, rule: &str) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| format!("{:?} {} {}", f.severity, f.expression(), f.message))
        .collect()
}

/// R4 plus two IPS profiles, taken from the IPS package (its dependency
/// on the extensions package is not in the shared test data, and these
/// profiles carry their snapshots).
fn ips() -> Validator {
    let tgz = conform_testdata::packages_dir().join("hl7.fhir.uv.ips-2.0.0.tgz");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let out = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(dir.path())
        .arg("package/StructureDefinition-Patient-uv-ips.json")
        .arg("package/StructureDefinition-Observation-results-radiology-uv-ips.json")
        .status()
        .expect("tar runs");
    assert!(out.success(), "extracting from {}", tgz.display());
    for f in std::fs::read_dir(dir.path().join("package")).unwrap() {
        files.push(f.unwrap().path());
    }
    let v = common::r4_with(&files);
    drop(dir);
    v
}

#[test]
fn ips_profile_invariants_apply_where_the_profile_applies() {
    let v = ips();
    let profile = "http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips";
    let base = json!({"resourceType": "Patient", "id": "p", "birthDate": "1970-01-01",
        "name": [{"use": "official"}]});
    let r = validate(&v, profile, base.clone());
    let hits = findings_of(&r, "ips-pat-1");
    assert_eq!(hits.len(), 1, "{:#?}", r.findings);
    assert!(
        hits[0].starts_with("Error Patient.name[0]") && hits[0].contains("(profile PatientUvIps)"),
        "{hits:?}"
    );

    // with a family name the invariant holds
    let mut fixed = base.clone();
    fixed["name"][0]["family"] = json!("Smith");
    assert!(findings_of(&validate(&v, profile, fixed), "ips-pat-1").is_empty());

    // plain R4 does not have the invariant at all
    let plain = common::r4().validate_bytes(base.to_string().as_bytes(), 0);
    assert!(findings_of(&plain, "ips-pat-1").is_empty());
}

#[test]
fn invariants_on_choice_elements_see_the_choice_type() {
    // ips-1: an effectiveDateTime must be precise to the day at least
    let v = ips();
    let profile =
        "http://hl7.org/fhir/uv/ips/StructureDefinition/Observation-results-radiology-uv-ips";
    let obs = |effective: &str| {
        json!({"resourceType": "Observation", "id": "o", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "imaging"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2"}]},
            "subject": {"reference": "Patient/p"},
            "performer": [{"reference": "Practitioner/x"}],
            "effectiveDateTime": effective,
            "valueString": "no abnormality"})
    };
    let month = validate(&v, profile, obs("2020-05"));
    assert_eq!(
        findings_of(&month, "ips-1").len(),
        1,
        "{:#?}",
        month.findings
    );
    let day = validate(&v, profile, obs("2020-05-17"));
    assert!(findings_of(&day, "ips-1").is_empty(), "{:#?}", day.findings);
}

#[test]
fn resolve_follows_references_to_bundle_entries() {
    // ctm-1: a participant acting on behalf of an organisation must be a
    // Practitioner; the member is found among the Bundle's entries
    let bundle = |member_type: &str| {
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "http://example.org/fhir/CareTeam/t", "resource": {
                "resourceType": "CareTeam", "id": "t",
                "participant": [{
                    "member": {"reference": format!("{member_type}/m")},
                    "onBehalfOf": {"reference": "Organization/o"}}]}},
            {"fullUrl": format!("http://example.org/fhir/{member_type}/m"),
             "resource": {"resourceType": member_type, "id": "m"}},
            {"fullUrl": "http://example.org/fhir/Organization/o",
             "resource": {"resourceType": "Organization", "id": "o", "name": "Org"}}
        ]})
    };
    let v = common::r4();
    let ok = v.validate_bytes(bundle("Practitioner").to_string().as_bytes(), 0);
    assert!(findings_of(&ok, "ctm-1").is_empty(), "{:#?}", ok.findings);
    let bad = v.validate_bytes(bundle("Patient").to_string().as_bytes(), 0);
    let hits = findings_of(&bad, "ctm-1");
    assert_eq!(hits.len(), 1, "{:#?}", bad.findings);
    assert!(
        hits[0].contains("Bundle.entry[0].resource.participant[0]"),
        "{hits:?}"
    );
}

#[test]
fn invariants_on_primitive_elements_are_evaluated() {
    // eld-3 sits on ElementDefinition.max, a string: `*` or an integer >= 0
    // (a non-number makes toInteger() empty, so only a negative one fails)
    let sd = |max: &str| {
        json!({"resourceType": "StructureDefinition", "url": "http://example.org/sd", "name": "X",
            "status": "draft", "kind": "resource", "abstract": false, "type": "Patient",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
            "derivation": "constraint",
            "differential": {"element": [{"id": "Patient.name", "path": "Patient.name", "max": max}]}})
    };
    let v = common::r4();
    let bad = v.validate_bytes(sd("-1").to_string().as_bytes(), 0);
    let hits = findings_of(&bad, "eld-3");
    assert_eq!(hits.len(), 1, "{:#?}", bad.findings);
    assert!(hits[0].contains("differential.element[0].max"), "{hits:?}");
    for ok in ["*", "1"] {
        let r = v.validate_bytes(sd(ok).to_string().as_bytes(), 0);
        assert!(
            findings_of(&r, "eld-3").is_empty(),
            "{ok}: {:#?}",
            r.findings
        );
    }
}
