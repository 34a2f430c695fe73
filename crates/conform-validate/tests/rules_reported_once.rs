//! A rule that both the base definitions and a profile state is decided
//! once: the walk reports what the base definition says, the profile
//! checker only what the profile adds, each with the rule's one message.

mod common;

use conform_validate::{ProfileSelection, ResourceResult, Status, Validator};
use serde_json::json;

const RADIOLOGY: &str =
    "http://hl7.org/fhir/uv/ips/StructureDefinition/Observation-results-radiology-uv-ips";

/// R4 plus the IPS radiology result profile (it carries its snapshot).
fn ips_radiology() -> Validator {
    let tgz = conform_testdata::packages_dir().join("hl7.fhir.uv.ips-2.0.0.tgz");
    let dir = tempfile::tempdir().unwrap();
    let file = "package/StructureDefinition-Observation-results-radiology-uv-ips.json";
    let out = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(dir.path())
        .arg(file)
        .status()
        .expect("tar runs");
    assert!(out.success(), "extracting from {}", tgz.display());
    common::r4_with(&[dir.path().join(file)])
}

fn validate(v: &Validator, resource: serde_json::Value) -> ResourceResult {
    let v = v.with_profiles(ProfileSelection {
        explicit: vec![RADIOLOGY.to_string()],
        ..Default::default()
    });
    v.validate_bytes(resource.to_string().as_bytes(), 0)
}

/// `(expression, message)` of each finding of `rule` (about the subject,
/// for `reference-target`: the performers' targets are IPS profiles that
/// are not loaded here).
fn hits(r: &ResourceResult, rule: &str) -> Vec<(String, String)> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .filter(|f| rule != "reference-target" || f.expression() == "Observation.subject.reference")
        .map(|f| (f.expression().to_string(), f.message.clone()))
        .collect()
}

fn observation() -> serde_json::Value {
    json!({"resourceType": "Observation", "id": "o", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "imaging"}]}],
        "code": {"text": "chest X-ray"}, "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2024-01-01", "performer": [{"reference": "Practitioner/x"}],
        "valueString": "normal"})
}

#[test]
fn a_minimum_both_state_is_reported_once_by_the_walk() {
    let v = ips_radiology();
    let mut o = observation();
    o.as_object_mut().unwrap().remove("status");
    let r = validate(&v, o);
    let found = hits(&r, "cardinality-min");
    let status: Vec<_> = found
        .iter()
        .filter(|(e, _)| e == "Observation.status")
        .collect();
    assert_eq!(status.len(), 1, "{:#?}", r.findings);
    assert!(!status[0].1.contains("(profile"), "the walk's: {status:?}");
}

#[test]
fn each_binding_is_judged_once_by_the_definition_that_states_it() {
    // the base binds status (required) to the R4 status codes, the profile
    // to IPS's own value set, which is not loaded here
    let v = ips_radiology();
    let mut o = observation();
    o["status"] = json!("bogus");
    let r = validate(&v, o);
    let found = hits(&r, "binding-required");
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    assert_eq!(found[0].0, "Observation.status");
    assert!(!found[0].1.contains("(profile"), "the walk's: {found:?}");
    let skipped: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "binding-not-checked")
        .collect();
    assert_eq!(skipped.len(), 1, "{:#?}", r.findings);
    assert_eq!(skipped[0].status, Status::Skip);
    assert!(skipped[0].message.contains("results-status-uv-ips"));
}

#[test]
fn reference_targets_are_reported_by_whichever_definition_forbids_them() {
    let v = ips_radiology();
    // the base allows a Group, the profile only a Patient
    let mut o = observation();
    o["subject"]["reference"] = json!("Group/g");
    let r = validate(&v, o);
    let found = hits(&r, "reference-target");
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    assert_eq!(found[0].0, "Observation.subject.reference");
    assert!(found[0].1.contains("(profile"), "{found:?}");
    // neither allows a Medication: the walk says so, once
    let mut o = observation();
    o["subject"]["reference"] = json!("Medication/m");
    let r = validate(&v, o);
    let found = hits(&r, "reference-target");
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    assert!(!found[0].1.contains("(profile"), "{found:?}");
}

#[test]
fn a_binding_that_could_not_be_checked_is_a_skipped_check() {
    // Attachment.contentType is bound (required) to MIME types, whose code
    // system (BCP 13) is in no package
    let p = json!({"resourceType": "Patient", "id": "p",
        "photo": [{"contentType": "image/png", "url": "http://example.org/p.png"}]});
    let r = common::r4().validate_bytes(p.to_string().as_bytes(), 0);
    let skipped: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "binding-not-checked")
        .collect();
    assert_eq!(skipped.len(), 1, "{:#?}", r.findings);
    assert_eq!(skipped[0].status, Status::Skip);
    assert_eq!(skipped[0].expression(), "Patient.photo[0].contentType");
}
