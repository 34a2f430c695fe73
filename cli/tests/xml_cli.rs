//! FHIR XML as a user meets it: `conform convert` both ways (R4, and STU3
//! with `--core`), and `conform validate` on a folder holding XML beside
//! JSON, on one broken XML file, and on XML arriving on standard input.

mod common;

use common::{command_in, conform_in, root, stderr, stdout};
use std::io::Write;
use std::process::Stdio;

const PATIENT: &str = "fixtures/valid/patient-nhs-number.json";

#[test]
fn convert_goes_both_ways_and_validate_reads_xml_beside_json() {
    let dir = tempfile::tempdir().unwrap();
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join(PATIENT)).unwrap()).unwrap();

    let xml = conform_in(&root(), &["convert", PATIENT]);
    assert_eq!(xml.status.code(), Some(0), "{}", stderr(&xml));
    let xml_text = stdout(&xml);
    assert!(
        xml_text.contains("<Patient xmlns=\"http://hl7.org/fhir\">"),
        "{xml_text}"
    );
    let xml_path = dir.path().join("patient.xml");
    std::fs::write(&xml_path, &xml_text).unwrap();

    let json_path = dir.path().join("back.json");
    let back = conform_in(
        dir.path(),
        &["convert", "patient.xml", "-o", json_path.to_str().unwrap()],
    );
    assert_eq!(back.status.code(), Some(0), "{}", stderr(&back));
    let back: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(back, original, "JSON → XML → JSON is lossless");

    std::fs::write(
        dir.path().join("broken.xml"),
        "<Patient xmlns=\"http://hl7.org/fhir\">\n  <active value=\"true\">\n</Patient>\n",
    )
    .unwrap();
    let out = conform_in(
        &root(),
        &["validate", "-f", "json", dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report["files"].as_array().unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["back.json", "broken.xml", "patient.xml"]);
    let broken = &files[1]["resources"][0]["issues"][0];
    assert_eq!(broken["rule"], "xml-syntax", "{broken}");
    assert_eq!(broken["severity"], "fatal");
    assert_eq!(broken["line"], 3, "{broken}");
    for clean in [&files[0], &files[2]] {
        assert_eq!(clean["resources"][0]["valid"], true, "{clean}");
    }
}

#[test]
fn xml_on_standard_input_is_told_by_its_first_byte() {
    let mut child = command_in(&root(), &["validate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"\n<Patient xmlns=\"http://hl7.org/fhir\">\n  <gender value=\"F\"/>\n</Patient>\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("3:11") && text.contains("[binding-required]"),
        "the finding at the XML line and column: {text}"
    );
}

#[test]
fn stu3_converts_with_its_own_core_package() {
    let example = conform_testdata::path("stu3/examples/patient-example-animal.json");
    let out = conform_in(
        &root(),
        &[
            "convert",
            "--core",
            "hl7.fhir.r3.core#3.0.1",
            example.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let xml = stdout(&out);
    // Patient.animal is STU3's (R4 dropped it): in STU3's definition order
    // it comes before managingOrganization, where an unknown element would
    // come last.
    let animal = xml.find("<animal>").expect("animal written");
    let managing = xml
        .find("<managingOrganization>")
        .expect("managingOrganization written");
    assert!(animal < managing, "{xml}");
}
