//! The `conform validate` command as a user runs it: output pinned with
//! insta snapshots, exit codes, formats, stdin, bad input.

mod common;

use common::{command_in, root, run, stdout};
use std::process::{Command, Stdio};

fn conform(args: &[&str]) -> Command {
    command_in(&root(), args)
}

#[test]
fn text_report_on_fixtures() {
    let out = run(&["validate", "fixtures/valid", "fixtures/invalid"]);
    assert_eq!(out.status.code(), Some(1), "fixtures/invalid has errors");
    insta::assert_snapshot!("text_fixtures", stdout(&out));
}

#[test]
fn valid_fixtures_pass() {
    let out = run(&["validate", "fixtures/valid"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "Validated 8 files (10 resources): 0 errors, 0 warnings, 13 information (1 code not checked)\n"
    );
}

#[test]
fn codes_from_systems_not_held_are_reported_as_not_checked() {
    let out = run(&[
        "validate",
        "--info",
        "fixtures/valid/document-reference-discharge-summary.json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "information does not fail a run"
    );
    let text = stdout(&out);
    assert!(
        text.contains("info    DocumentReference.content[0].attachment.contentType The code 'application/pdf' was not checked"),
        "{text}"
    );
    assert!(text.contains("[binding-not-checked]"), "{text}");
}

#[test]
fn json_report_on_invalid_fixtures() {
    let out = run(&["validate", "fixtures/invalid", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON output parses");
    common::assert_follows_schema(&v, "conform.validate-1.schema.json");
    assert_eq!(v["summary"]["files"], 25);
    assert_eq!(
        v["summary"]["errors"], 16,
        "one defect per broken fixture; those in uk-core/ break national rules, checked only with --pack uk-core"
    );
    insta::assert_snapshot!("json_invalid_fixtures", text);
}

#[test]
fn every_broken_fixture_has_exactly_one_error() {
    let out = run(&["validate", "fixtures/invalid", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for file in v["files"].as_array().unwrap() {
        // National-rule and UK Core profile fixtures are valid base FHIR;
        // uk_core_rules_cli.rs and uk_core_profiles_cli.rs check their one
        // defect each with the pack.
        if file["path"].as_str().unwrap().contains("/uk-core") {
            continue;
        }
        let errors: usize = file["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["issues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|i| i["severity"] == "error" || i["severity"] == "fatal")
                    .count()
            })
            .sum();
        assert_eq!(errors, 1, "{}: {errors} errors", file["path"]);
    }
}

#[test]
fn stdin_is_validated() {
    let mut child = conform(&["validate", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"resourceType":"Patient","gender":"nope"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"][0]["path"], "<stdin>");
    assert_eq!(
        v["files"][0]["resources"][0]["issues"][0]["rule"],
        "binding-required"
    );
    assert_eq!(v["files"][0]["resources"][0]["issues"][0]["line"], 1);
}

#[test]
fn ndjson_lines_are_reported_by_line() {
    let out = run(&[
        "validate",
        "fixtures/invalid/patients-one-bad-line.ndjson",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let resources = v["files"][0]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 3);
    assert_eq!(resources[1]["line"], 2);
    assert_eq!(resources[1]["issues"][0]["line"], 2);
    assert_eq!(resources[1]["valid"], false);
    assert_eq!(resources[2]["valid"], true);
}

#[test]
fn operation_outcome_output_is_itself_valid_fhir() {
    let out = run(&[
        "validate",
        "fixtures/invalid/patient-bad-gender-code.json",
        "--format",
        "operationoutcome",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let oo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(oo["issue"][0]["code"], "code-invalid");
    assert_eq!(oo["issue"][0]["expression"][0], "Patient.gender");
    // Our own output passes our own validator.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oo.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = run(&["validate", file.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    let many = run(&["validate", "fixtures/valid", "--format", "operationoutcome"]);
    let bundle: serde_json::Value = serde_json::from_slice(&many.stdout).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 10);
}

#[test]
fn junit_output_has_a_test_case_per_resource() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    let out = run(&[
        "validate",
        "fixtures/valid",
        "fixtures/invalid",
        "--format",
        "junit",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "the report goes to the file");
    let xml = std::fs::read_to_string(&file).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 37);
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(
        failures, 16,
        "each of the 16 broken resources fails (the truncated file as a fatal one)"
    );
}

#[test]
fn unreadable_and_missing_inputs_do_not_stop_the_rest() {
    let out = run(&[
        "validate",
        "no/such/file.json",
        "fixtures/valid/patient-nhs-number.json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing path is a usage error"
    );
    let text = stdout(&out);
    assert!(text.contains("cannot read no/such/file.json"), "{text}");
    assert!(
        text.contains("Validated 2 files (1 resource): 0 errors"),
        "{text}"
    );
}

#[test]
fn invalid_utf8_and_deep_nesting_are_findings_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.json"),
        b"{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"M\xfcller\"}]}",
    )
    .unwrap();
    std::fs::write(dir.path().join("deep.json"), "[".repeat(100_000)).unwrap();
    let out = run(&["validate", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<String> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["resources"][0]["issues"][0]["message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        messages[0].contains("nested deeper than the limit of 512"),
        "{messages:?}"
    );
    assert!(messages[1].contains("UTF-8"), "{messages:?}");
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let out = run(&["validate", "fixtures", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format 'yaml'"));

    let out = run(&["validate", "fixtures", "--ig", "no.such.package#1.0.0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no.such.package#1.0.0"), "{err}");
}

#[test]
fn second_run_loads_plans_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let first = conform(&["validate", "-v", "fixtures/valid"])
        .env("CONFORM_CACHE_DIR", dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&first.stderr).contains("compiled; cached for next time"));
    let second = conform(&["validate", "-v", "fixtures/valid"])
        .env("CONFORM_CACHE_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("(plan cache)"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(first.stdout, second.stdout);
}

/// Parts of the cached plans are decoded only when first used, so a
/// damaged cache file must be caught when it is read (its checksum), and
/// rebuilt, never decoded into a panic halfway through a run.
#[test]
fn a_damaged_plan_cache_is_rebuilt_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let validate = || {
        conform(&["validate", "-v", "fixtures/valid", "fixtures/invalid"])
            .env("CONFORM_CACHE_DIR", dir.path())
            .output()
            .unwrap()
    };
    let first = validate();
    // Every cache file the run wrote (the R4 plans, and the other
    // release's, which tell a payload written for it) is damaged: which
    // one a folder listing gives first depends on their names.
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    assert!(!files.is_empty(), "a plan cache file");
    for file in files {
        let mut bytes = std::fs::read(&file).unwrap();
        // near the end: inside the profiles, which are decoded lazily
        let at = bytes.len() - bytes.len() / 5;
        bytes[at] ^= 0x5a;
        std::fs::write(&file, &bytes).unwrap();
    }
    let second = validate();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("compiled; cached for next time"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.status.code(), second.status.code());
}

#[test]
fn invariants_are_checked_and_can_be_turned_off() {
    let fixture = "fixtures/invalid/patient-contact-without-details.json";
    let out = run(&["validate", fixture]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Patient.contact[0] Constraint failed: pat-1:"),
        "{text}"
    );
    assert!(text.contains("[pat-1]"), "{text}");
    let off = run(&["validate", "--no-invariants", fixture]);
    assert_eq!(off.status.code(), Some(0), "{}", stdout(&off));
}

#[test]
fn unreferenced_contained_resource_breaks_dom_3() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(
        &file,
        r##"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o1","name":"x"},
  {"resourceType":"Organization","id":"o2","name":"y"}],"managingOrganization":{"reference":"#o1"}}"##,
    )
    .unwrap();
    let out = run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("Patient.contained[1] Constraint failed: dom-3"),
        "{text}"
    );
    assert!(text.contains("nothing refers to #o2"), "{text}");
    assert!(!text.contains("contained[0]"), "{text}");
}

/// A profile given to `--ig` in FHIR XML (a file, or a folder holding it)
/// works as its JSON form does; a broken XML file stops the run, naming the
/// file and the line.
#[test]
fn ig_profiles_may_be_fhir_xml() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = r#"<StructureDefinition xmlns="http://hl7.org/fhir">
  <url value="http://example.org/fhir/StructureDefinition/gendered"/>
  <name value="Gendered"/>
  <status value="active"/>
  <fhirVersion value="4.0.1"/>
  <kind value="resource"/>
  <abstract value="false"/>
  <type value="Patient"/>
  <baseDefinition value="http://hl7.org/fhir/StructureDefinition/Patient"/>
  <derivation value="constraint"/>
  <differential>
    <element id="Patient.gender">
      <path value="Patient.gender"/>
      <min value="1"/>
    </element>
  </differential>
</StructureDefinition>
"#;
    let folder = dir.path().join("profiles");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("gendered.xml"), profile).unwrap();
    let patient = dir.path().join("patient.json");
    std::fs::write(
        &patient,
        r#"{"resourceType": "Patient", "meta": {"profile": ["http://example.org/fhir/StructureDefinition/gendered"]}}"#,
    )
    .unwrap();
    let patient = patient.to_str().unwrap();
    for ig in [folder.join("gendered.xml"), folder.clone()] {
        let out = conform(&["validate", "--ig", ig.to_str().unwrap(), patient])
            .output()
            .unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}{}", common::stderr(&out));
        assert!(
            text.contains(
                "Patient.gender: minimum required = 1, but only found 0 (profile Gendered)"
            ),
            "{text}"
        );
    }
    let broken = dir.path().join("broken.xml");
    std::fs::write(
        &broken,
        "<StructureDefinition xmlns=\"http://hl7.org/fhir\">\n  <url value=\"x\"/>\n  <name",
    )
    .unwrap();
    let out = conform(&["validate", "--ig", broken.to_str().unwrap(), patient])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("file broken.xml is not usable FHIR XML") && err.contains("(line 3, column"),
        "{err}"
    );
}
