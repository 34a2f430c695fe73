//! `conform snapshot` as a user runs it: a differential-only profile in,
//! the profile with its snapshot out (exit 0), or the error (exit 2).

mod common;

use common::{run, stderr, stdout};
use serde_json::Value;

/// UK Core Patient from the shared test data, without its snapshot.
fn uk_core_patient_differential(dir: &std::path::Path) -> std::path::PathBuf {
    let published = conform_testdata::path(
        "ukcore/package-fhir.r4.ukcore.stu2-2.0.2/package/UKCore-Patient.json",
    );
    let mut sd: Value =
        serde_json::from_slice(&std::fs::read(published).expect("UK Core Patient")).expect("JSON");
    sd.as_object_mut().expect("object").remove("snapshot");
    let path = dir.join("patient.json");
    std::fs::write(&path, serde_json::to_vec(&sd).expect("serialise")).expect("write");
    path
}

#[test]
fn prints_the_profile_with_its_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = uk_core_patient_differential(dir.path());
    let out = run(&[
        "snapshot",
        input.to_str().expect("path"),
        "--ig",
        "fhir.r4.ukcore.stu2#2.0.2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sd: Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    let elements = sd["snapshot"]["element"].as_array().expect("snapshot");
    assert_eq!(
        elements.len(),
        145,
        "as many elements as the published snapshot"
    );
    assert_eq!(elements[0]["id"], "Patient");
    assert!(elements
        .iter()
        .any(|e| e["id"] == "Patient.identifier:nhsNumber.system"));
    assert!(sd["differential"].is_object(), "the differential is kept");
}

#[test]
fn writes_to_the_output_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = uk_core_patient_differential(dir.path());
    let output = dir.path().join("out.json");
    let out = run(&[
        "snapshot",
        input.to_str().expect("path"),
        "--ig",
        "fhir.r4.ukcore.stu2#2.0.2",
        "-o",
        output.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let sd: Value =
        serde_json::from_slice(&std::fs::read(&output).expect("written")).expect("JSON");
    assert!(sd["snapshot"]["element"].is_array());
}

#[test]
fn a_broken_profile_exits_2_with_the_reason() {
    let ext = conform_testdata::path("fhir-test-cases/validator/ext-ccuk.json");
    let out = run(&["snapshot", ext.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("slicing at the root"), "{err}");
    assert!(
        err.contains("Extension-CareConnect-EncounterTransport-1"),
        "names the profile: {err}"
    );
}

#[test]
fn unreadable_input_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.json");
    let out = run(&["snapshot", missing.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"));

    let not_json = dir.path().join("bad.json");
    std::fs::write(&not_json, "{ not json").expect("write");
    let out = run(&["snapshot", not_json.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not valid JSON"));

    let patient = dir.path().join("patient.json");
    std::fs::write(&patient, r#"{"resourceType": "Patient"}"#).expect("write");
    let out = run(&["snapshot", patient.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a StructureDefinition"));
}

/// A base profile given to `--ig` in FHIR XML (one of HL7's test cases'
/// extension definitions) is read as validation reads it: the profile
/// built on it gets the extension's fixed url in its snapshot.
#[test]
fn an_xml_ig_serves_as_a_base() {
    let dir = tempfile::tempdir().expect("temp dir");
    let extension =
        conform_testdata::path("fhir-test-cases/validator/extension-slicing-extension.xml");
    let derived = serde_json::json!({"resourceType": "StructureDefinition",
        "url": "http://example.org/fhir/StructureDefinition/kind-coded", "name": "KindCoded",
        "status": "draft", "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": false,
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/pq-cmc/StructureDefinition/extActionType",
        "derivation": "constraint", "differential": {"element": [
            {"id": "Extension", "path": "Extension", "short": "derived"}]}});
    let input = dir.path().join("derived.json");
    std::fs::write(&input, derived.to_string()).expect("write");
    let out = run(&[
        "snapshot",
        input.to_str().expect("path"),
        "--ig",
        extension.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sd: Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    let url = sd["snapshot"]["element"]
        .as_array()
        .expect("snapshot")
        .iter()
        .find(|e| e["id"] == "Extension.url")
        .expect("Extension.url");
    assert_eq!(
        url["fixedUri"],
        "http://hl7.org/fhir/pq-cmc/StructureDefinition/extActionType"
    );
}
