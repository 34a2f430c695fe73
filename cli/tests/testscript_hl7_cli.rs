//! HL7's six R4 example TestScripts (from the shared test data, with their
//! fixtures found by `--fixtures`) run as written against SEKMET holding
//! `Patient/example`: nothing unsupported, and each failure where the
//! script departs from FHIR R4 (testkits/testscript/hl7-examples/README.md).
//! And `scenario check` over a folder with one broken script reports it
//! and checks the others.

mod common;

use common::scenario::{json_of, scenario};
use conform_peers::Sekmet;
use serde_json::Value;

fn examples() -> std::path::PathBuf {
    conform_testdata::path("r4/examples")
}

fn scripts() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(examples())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("TestScript-testscript-example"))
        })
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    out
}

/// (step, check, status) of every check that did not pass.
fn not_passed(s: &Value) -> Vec<(String, String, String)> {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|st| {
            st["assertions"].as_array().unwrap().iter().map(move |a| {
                (
                    st["id"].as_str().unwrap().to_string(),
                    a["rule"].as_str().unwrap().to_string(),
                    a["status"].as_str().unwrap().to_string(),
                )
            })
        })
        .filter(|(_, _, status)| status != "pass")
        .collect()
}

/// SEKMET holding HL7's example Patient, and a regions file in `dir`
/// naming it `sekmet`.
fn sekmet_with_example_patient(dir: &std::path::Path) -> (Sekmet, std::path::PathBuf) {
    let mut server = Sekmet::builder().no_seed().start().expect("sekmet");
    let patient: Value =
        serde_json::from_slice(&std::fs::read(examples().join("Patient-example.json")).unwrap())
            .unwrap();
    server.seed(&[patient]).expect("seeded");
    let regions = dir.join("regions.yaml");
    std::fs::write(
        &regions,
        format!(
            "regions:\n  - {{name: sekmet, base_url: '{}'}}\n",
            server.base_url
        ),
    )
    .unwrap();
    (server, regions)
}

#[test]
fn hl7_example_testscripts_run_as_written_against_sekmet() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, regions) = sekmet_with_example_patient(dir.path());
    let fixtures = examples().display().to_string();
    let scripts = scripts();
    assert_eq!(scripts.len(), 6, "{scripts:?}");
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = vec!["scenario", "run"];
        args.extend(scripts.iter().map(String::as_str));
        args.extend([
            "--fixtures",
            &fixtures,
            "--regions",
            regions.to_str().unwrap(),
            "--bind",
            "1=sekmet",
            "--bind",
            "2=sekmet",
            "--allow-writes",
            "--jobs",
            "1",
            "--var",
            "PatientSearchFamilyName=Chalmers",
            "--var",
            "PatientSearchGivenName=Peter",
            "--format",
            "json",
        ]);
        args.extend_from_slice(extra);
        common::run(&args)
    };
    let out = run(&["--var", "createResourceId=example"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let r = json_of(&out);
    assert_eq!(r["summary"]["scenarios"], 6);
    for s in r["scenarios"].as_array().unwrap() {
        let none = s["unsupported"].is_null() || s["unsupported"] == serde_json::json!([]);
        assert!(none, "{}: {}", s["id"], s["unsupported"]);
    }
    for id in [
        "testscript-example",
        "testscript-example-multisystem",
        "testscript-example-search",
    ] {
        let s = scenario(&r, id);
        assert_eq!(s["status"], "pass", "{id}: {}", s["reason"]);
    }
    // The required capabilities were read from SEKMET's CapabilityStatement first.
    let history = scenario(&r, "testscript-example-history");
    assert_eq!(history["steps"][0]["id"], "capability1");
    assert_eq!(history["steps"][0]["status"], "pass");
    // Path asserts (XPath on the XML or JSON read), compareToSourcePath and
    // minimumId ran on the read and passed.
    let example = scenario(&r, "testscript-example");
    let read = example["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["id"] == "op4-read#fixture-patient-read")
        .expect("the read of test 01");
    let statuses: Vec<&str> = read["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 9, "{read}");
    assert!(statuses.iter().all(|s| *s == "pass"), "{read}");
    // The readtest: all but R004, which expects 400 for an id R4 allows.
    let readtest = scenario(&r, "testscript-example-readtest");
    assert_eq!(readtest["status"], "fail");
    let failed = not_passed(readtest);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "op4-read");
    assert!(failed[0].1.contains("400"), "{failed:?}");
    // Update and history: the pat1 body PUT to Patient/example, refused with 400.
    for id in ["testscript-example-update", "testscript-example-history"] {
        let s = scenario(&r, id);
        assert_eq!(s["status"], "fail", "{id}");
        let reason = s["reason"].as_str().unwrap();
        assert!(
            reason.contains("expected status 200, got 400"),
            "{id}: {reason}"
        );
    }

    // Without --var, `path: Patient/id` (XPath 1.0) selects nothing in the fixture.
    let out = run(&[]);
    let r = json_of(&out);
    let example = scenario(&r, "testscript-example");
    assert_eq!(example["status"], "fail");
    let reason = example["reason"].as_str().unwrap();
    assert!(
        reason.contains("variable 'createResourceId'")
            && reason.contains("path 'Patient/id' selects nothing"),
        "{reason}"
    );
}

#[test]
fn check_reports_a_broken_script_and_checks_the_others() {
    let dir = tempfile::tempdir().unwrap();
    // A read test that loads, and a script whose fixture is nowhere.
    std::fs::copy(
        examples().join("TestScript-testscript-example-readtest.json"),
        dir.path().join("readtest.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        r#"{"resourceType":"TestScript","id":"broken","fixture":[{"id":"f","resource":{"reference":"Patient/nowhere"}}]}"#,
    )
    .unwrap();
    let folder = dir.path().display().to_string();
    let out = common::run(&["scenario", "check", &folder]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stdout(&out).starts_with("ok: 1 scenario (5 steps)\n"),
        "{}",
        common::stdout(&out)
    );
    let err = common::stderr(&out);
    assert!(
        err.contains("broken.json: fixture 'f' (Patient/nowhere): no resource Patient/nowhere in")
            && err.contains("--fixtures DIR"),
        "{err}"
    );
    assert!(err.contains("1 file did not load"), "{err}");
    // With --fixtures the example fixture of a real script resolves.
    let out = common::run(&[
        "scenario",
        "check",
        &examples()
            .join("TestScript-testscript-example.json")
            .display()
            .to_string(),
        "--fixtures",
        &examples().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), "ok: 1 scenario (6 steps)\n");

    // The same script in XML, its fixture an XML file in its fixtures/ folder.
    let xml = tempfile::tempdir().unwrap();
    std::fs::create_dir(xml.path().join("fixtures")).unwrap();
    for (from, to) in [
        ("TestScript-testscript-example.json", "ts.xml"),
        ("Patient-example.json", "fixtures/patient.xml"),
    ] {
        let out = common::run(&[
            "convert",
            &examples().join(from).display().to_string(),
            "-o",
            &xml.path().join(to).display().to_string(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    }
    let out = common::run(&["scenario", "check", &xml.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), "ok: 1 scenario (6 steps)\n");
}

/// A script whose required capability SEKMET does not declare is skipped
/// with the reason, teardown included; asserts by path, minimumId and
/// navigationLinks fail when the response does not hold them.
#[test]
fn missing_capabilities_skip_and_path_asserts_can_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (server, regions) = sekmet_with_example_patient(dir.path());
    let read = |asserts: Value| {
        let mut actions = vec![serde_json::json!({"operation": {"type": {"code": "read"},
            "resource": "Patient", "params": "/example", "accept": "xml"}})];
        for a in asserts.as_array().unwrap() {
            actions.push(serde_json::json!({ "assert": a }));
        }
        serde_json::json!({ "action": actions })
    };
    let needs_testscript = serde_json::json!({
        "resourceType": "TestScript", "id": "needs-testscript", "name": "n", "status": "active",
        "contained": [{"resourceType": "CapabilityStatement", "id": "cs", "status": "active",
            "date": "2024-01-01", "kind": "requirements", "fhirVersion": "4.0.1", "format": ["json"],
            "rest": [{"mode": "server", "resource": [{"type": "TestScript", "interaction": [{"code": "read"}]}]}]}],
        "metadata": {"capability": [{"required": true, "validated": false, "capabilities": "#cs"}]},
        "test": [read(serde_json::json!([{"response": "okay"}]))],
        "teardown": {"action": [{"operation": {"type": {"code": "delete"}, "resource": "Patient", "params": "/example"}}]}
    });
    let wrong = serde_json::json!({
        "resourceType": "TestScript", "id": "wrong-values", "name": "w", "status": "active",
        "fixture": [{"id": "other", "resource": {"reference": "#other"}},
            {"id": "seeded", "resource": {"reference": "#example"}}],
        "contained": [{"resourceType": "Patient", "id": "other", "gender": "female"},
            {"resourceType": "Patient", "id": "example"}],
        "profile": [{"id": "bundle", "reference": "http://hl7.org/fhir/StructureDefinition/Bundle"}],
        "test": [read(serde_json::json!([
            {"label": "xpath", "path": "fhir:Patient/fhir:name/fhir:family/@value", "value": "Smith"},
            {"label": "jsonpath", "path": "$.name[0].family", "operator": "equals", "value": "Chalmers"},
            {"label": "minimum", "minimumId": "other"},
            {"label": "links", "navigationLinks": true},
            {"label": "method", "requestMethod": "post"},
            {"label": "client-side", "direction": "request", "contentType": "json"}
        ])), read(serde_json::json!([{"label": "next-test", "response": "okay"}])),
        {"name": "history", "action": [
            {"operation": {"type": {"code": "history"}, "resource": "Patient", "targetId": "seeded", "accept": "xml", "responseId": "h"}},
            {"assert": {"label": "history-bundle", "resource": "Bundle"}},
            {"assert": {"label": "history-type", "path": "fhir:Bundle/fhir:type/@value", "value": "history"}},
            {"assert": {"label": "history-json", "path": "$.entry[0].resource.id", "sourceId": "h", "value": "example"}},
            {"assert": {"label": "is-bundle", "validateProfileId": "bundle"}}
        ]}]
    });
    for (name, script) in [("a.json", &needs_testscript), ("b.json", &wrong)] {
        std::fs::write(dir.path().join(name), script.to_string()).unwrap();
    }
    let out = common::run(&[
        "scenario",
        "run",
        dir.path().join("a.json").to_str().unwrap(),
        dir.path().join("b.json").to_str().unwrap(),
        "--regions",
        regions.to_str().unwrap(),
        "--bind",
        "1=sekmet",
        "--allow-writes",
        "--format",
        "json",
    ]);
    let r = json_of(&out);
    let skipped = scenario(&r, "needs-testscript");
    assert_eq!(skipped["status"], "skip");
    let reason = skipped["reason"].as_str().unwrap();
    assert!(
        reason.contains("does not declare TestScript read"),
        "{reason}"
    );
    // Nothing after the capability check ran, the teardown's delete included.
    let statuses: Vec<&str> = skipped["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["skip", "skip", "skip"]);
    assert_eq!(
        send_status(&server.base_url, "Patient/example"),
        200,
        "the teardown's delete must not have run"
    );
    let wrong = scenario(&r, "wrong-values");
    let got: Vec<(String, String)> = wrong["steps"][0]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("xpath", "fail"),
        ("jsonpath", "pass"),
        ("minimum", "fail"),
        ("links", "fail"),
        ("method", "fail"),
        ("client-side", "skip"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want, "{}", wrong["steps"][0]);
    // An assert on the request would judge conform's own request.
    let client_side = wrong["steps"][0]["assertions"][5].to_string();
    assert!(
        client_side.contains("client under test") && client_side.contains("does not apply"),
        "{client_side}"
    );
    // A failed test stops itself only: the next test ran and passed.
    assert_eq!(wrong["steps"][1]["status"], "pass", "{}", wrong["steps"][1]);
    assert_eq!(wrong["steps"][1]["assertions"][0]["rule"], "next-test");
    // History of the instance, read as XML, by XPath and (its JSON form) JSONPath.
    let history = &wrong["steps"][2];
    assert!(
        history["exchange"]["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/Patient/example/_history"),
        "{history}"
    );
    assert_eq!(history["status"], "pass", "{history}");
    assert_eq!(history["assertions"].as_array().unwrap().len(), 4);
}

fn send_status(base: &str, path: &str) -> u16 {
    common::scenario::send(base, conform_endpoint::Request::get(path))
}
