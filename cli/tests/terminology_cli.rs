//! `conform validate` with a terminology server (the `TxServer` stand-in):
//! codes the packages cannot judge are decided by the server, the answers
//! replay offline from the cache, an outage leaves codes "not checked"
//! without failing the run, and the server's secret never shows.

mod common;

use common::{command_in, stderr, stdout};
use conform_peers::{TxFault, TxServer, TxServerOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const SECRET: &str = "tx-secret-5b1e0c";
const FINDINGS_VS: &str = "https://conform.test/fhir/ValueSet/test-clinical-findings";
const PROFILE: &str = "https://conform.test/fhir/StructureDefinition/test-condition";

/// A profile binding Condition.code (required) to the test server's ECL
/// value set, which no loaded package holds; payloads coded in SNOMED CT.
fn workspace(dir: &Path, server: &TxServer) {
    let write = |name: &str, v: Value| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    };
    write(
        "profile/test-condition.json",
        json!({"resourceType": "StructureDefinition", "url": PROFILE, "name": "TestCondition",
               "status": "active", "kind": "resource", "abstract": false, "type": "Condition",
               "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Condition", "derivation": "constraint",
               "differential": {"element": [{"id": "Condition.code", "path": "Condition.code", "min": 1,
                   "binding": {"strength": "required", "valueSet": FINDINGS_VS}}]}}),
    );
    let condition = |id: &str, code: &str, display: &str| {
        json!({"resourceType": "Condition", "id": id, "meta": {"profile": [PROFILE]},
               "subject": {"reference": "Patient/p1"},
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]}})
    };
    write(
        "payloads/ok.json",
        condition("ok", "22298006", "Myocardial infarction"),
    );
    write(
        "payloads/procedure.json",
        condition("procedure", "71388002", "Procedure"),
    );
    // (a concept identifier in form, which no release has: one malformed
    // would be rejected offline)
    write(
        "payloads/unknown.json",
        condition("unknown", "999999006", "Nothing"),
    );
    write(
        "payloads/display.json",
        condition("display", "22298006", "Heart broke"),
    );
    write(
        "payloads/inactive.json",
        json!({"resourceType": "Observation", "id": "inactive", "status": "final",
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "324252006"}]}}),
    );
    write(
        "profile/questionnaire.json",
        json!({"resourceType": "Questionnaire", "id": "q", "url": "https://conform.test/fhir/Questionnaire/findings",
               "status": "active", "item": [{"linkId": "finding", "text": "Finding", "type": "choice",
                   "answerValueSet": FINDINGS_VS}]}),
    );
    let response = |id: &str, code: &str| {
        json!({"resourceType": "QuestionnaireResponse", "id": id, "status": "completed",
               "questionnaire": "https://conform.test/fhir/Questionnaire/findings",
               "item": [{"linkId": "finding", "answer": [{"valueCoding": {"system": "http://snomed.info/sct", "code": code}}]}]})
    };
    // A value set only the validator holds (from --ig), over SNOMED CT: the
    // server is sent it inline.
    write(
        "profile/valueset-local-diabetes.json",
        json!({"resourceType": "ValueSet", "url": "https://conform.test/fhir/ValueSet/local-diabetes",
               "status": "active", "compose": {"include": [{"system": "http://snomed.info/sct",
                   "filter": [{"property": "concept", "op": "is-a", "value": "73211009"}]}]}}),
    );
    write(
        "profile/questionnaire-local.json",
        json!({"resourceType": "Questionnaire", "id": "ql", "url": "https://conform.test/fhir/Questionnaire/diabetes",
               "status": "active", "item": [{"linkId": "kind", "text": "Kind", "type": "choice",
                   "answerValueSet": "https://conform.test/fhir/ValueSet/local-diabetes"}]}),
    );
    let local = |id: &str, code: &str| {
        json!({"resourceType": "QuestionnaireResponse", "id": id, "status": "completed",
               "questionnaire": "https://conform.test/fhir/Questionnaire/diabetes",
               "item": [{"linkId": "kind", "answer": [{"valueCoding": {"system": "http://snomed.info/sct", "code": code}}]}]})
    };
    write("payloads/local-ok.json", local("local-ok", "44054006"));
    write("payloads/local-not.json", local("local-not", "22298006"));
    write("payloads/answer-ok.json", response("answer-ok", "73211009"));
    write(
        "payloads/answer-procedure.json",
        response("answer-procedure", "71388002"),
    );
    write(
        "payloads/old-edition.json",
        json!({"resourceType": "Observation", "id": "old-edition", "status": "final",
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "22298006",
                   "version": "http://snomed.info/sct/83821000000107/version/19990101"}]}}),
    );
    std::fs::write(
        dir.join("conform.toml"),
        format!(
            "[terminology]\nurl = \"{}\"\ncache = \"tx-cache\"\ntimeout = \"5s\"\nretries = 0\n\
             auth = {{ type = \"client_credentials\", token_url = \"{}\", client_id = \"conform\", secret_env = \"TX_TEST_SECRET\", method = \"post\" }}\n",
            server.base_url(),
            server.token_url()
        ),
    )
    .unwrap();
}

fn validate(dir: &Path, extra: &[&str]) -> (std::process::Output, Value) {
    let mut args = vec!["validate", "--ig", "profile", "-f", "json"];
    args.extend_from_slice(extra);
    args.push("payloads");
    let out = command_in(dir, &args)
        .env("TX_TEST_SECRET", SECRET)
        .output()
        .expect("conform runs");
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out, report)
}

/// File name → (severity, rule) of each issue.
fn issues(report: &Value) -> BTreeMap<String, Vec<(String, String)>> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            let found = f["resources"][0]["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["severity"].as_str().unwrap().to_string(),
                        i["rule"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (name, found)
        })
        .collect()
}

fn has(found: &[(String, String)], severity: &str, rule: &str) -> bool {
    found.iter().any(|(s, r)| s == severity && r == rule)
}

#[test]
fn the_server_decides_what_the_packages_cannot_and_replay_repeats_it() {
    let server = TxServer::start(TxServerOptions::default().client("conform", SECRET)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), &server);

    // Offline, the SNOMED CT codes are only "not checked".
    let (out, offline) = validate(dir.path(), &["--tx", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let by_file = issues(&offline);
    assert!(has(
        &by_file["ok.json"],
        "information",
        "binding-not-checked"
    ));
    assert!(!has(&by_file["unknown.json"], "error", "code-invalid"));
    assert_eq!(server.requests(), 0);

    // With the server: each verdict where it belongs.
    let (out, online) = validate(dir.path(), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let by_file = issues(&online);
    assert!(
        by_file["ok.json"].iter().all(|(s, _)| s == "information"),
        "{:?}",
        by_file["ok.json"]
    );
    assert!(!has(
        &by_file["ok.json"],
        "information",
        "binding-not-checked"
    ));
    assert!(
        has(&by_file["procedure.json"], "error", "binding-required"),
        "{:?}",
        by_file["procedure.json"]
    );
    assert!(
        has(&by_file["unknown.json"], "error", "code-invalid"),
        "{:?}",
        by_file["unknown.json"]
    );
    assert!(
        has(&by_file["display.json"], "error", "code-display"),
        "{:?}",
        by_file["display.json"]
    );
    assert!(
        has(&by_file["inactive.json"], "warning", "code-inactive"),
        "{:?}",
        by_file["inactive.json"]
    );
    assert!(
        has(
            &by_file["old-edition.json"],
            "warning",
            "code-system-version"
        ),
        "{:?}",
        by_file["old-edition.json"]
    );
    // ...and against one only the validator holds, sent to the server inline.
    assert!(
        !by_file["local-ok.json"].iter().any(|(s, _)| s == "error"),
        "{:?}",
        by_file["local-ok.json"]
    );
    assert!(
        has(
            &by_file["local-not.json"],
            "error",
            "questionnaire-answer-value-set"
        ),
        "{:?}",
        by_file["local-not.json"]
    );
    // Questionnaire answers against an answer value set only the server holds.
    assert!(
        !by_file["answer-ok.json"].iter().any(|(s, _)| s == "error"),
        "{:?}",
        by_file["answer-ok.json"]
    );
    assert!(
        has(
            &by_file["answer-procedure.json"],
            "error",
            "questionnaire-answer-value-set"
        ),
        "{:?}",
        by_file["answer-procedure.json"]
    );
    assert_eq!(online["summary"]["unverified"], 0);
    assert!(
        online["summary"]["codes_verified"].as_u64().unwrap() >= 9,
        "{}",
        online["summary"]
    );
    assert!(err.contains("conform: terminology"), "{err}");
    let asked = server.requests();
    assert!(asked > 0);
    for text in [stdout(&out), err.clone()] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
    }

    // Again: every answer from the cache, nothing asked.
    let (_, again) = validate(dir.path(), &[]);
    assert_eq!(again["files"], online["files"]);
    let after_metadata = server.requests();
    assert!(
        after_metadata - asked <= 2,
        "only metadata may be asked again: {asked} -> {after_metadata}"
    );

    // Direct questions: $lookup and $expand.
    let tx = |args: &[&str]| {
        let out = command_in(dir.path(), args)
            .env("TX_TEST_SECRET", SECRET)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let found = tx(&["tx", "lookup", "http://snomed.info/sct", "22298006"]);
    assert!(
        found.contains("\"display\": \"Myocardial infarction\""),
        "{found}"
    );
    let expanded = tx(&["tx", "expand", FINDINGS_VS, "--count", "5"]);
    assert_eq!(expanded.lines().count(), 5, "{expanded}");
    assert!(
        expanded
            .lines()
            .all(|l| l.starts_with("http://snomed.info/sct\t")),
        "{expanded}"
    );

    // Replay with the server gone: the same verdicts, no network.
    drop(server);
    let (out, replayed) = validate(dir.path(), &["--tx-replay"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(replayed["files"], online["files"]);
    assert!(stderr(&out).contains("(replay)"), "{}", stderr(&out));

    // The cache can be read and exported.
    let stats = command_in(dir.path(), &["tx", "cache", "stats", "--json"])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&stats.stdout).expect("stats JSON");
    assert!(stats["answers"].as_u64().unwrap() >= 5, "{stats}");
    let export = command_in(dir.path(), &["tx", "cache", "export"])
        .output()
        .unwrap();
    let lines = stdout(&export);
    assert!(
        lines
            .lines()
            .any(|l| l.contains("\"verdict\":\"invalid-code\"") && l.contains("999999006")),
        "{lines}"
    );
    // Pruning what another server said leaves nothing here.
    let pruned = command_in(
        dir.path(),
        &["tx", "cache", "prune", "--keep-server", "http://elsewhere"],
    )
    .output()
    .unwrap();
    assert_eq!(pruned.status.code(), Some(0), "{}", stderr(&pruned));
    let stats = command_in(dir.path(), &["tx", "cache", "stats", "--json"])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&stats.stdout).expect("stats JSON");
    assert_eq!(stats["answers"], 0, "{stats}");
}

#[test]
fn an_outage_leaves_codes_not_checked_and_never_fails_the_run() {
    let server = TxServer::start(TxServerOptions::default().client("conform", SECRET)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    workspace(dir.path(), &server);
    std::fs::remove_file(dir.path().join("payloads/procedure.json")).unwrap();
    std::fs::remove_file(dir.path().join("payloads/unknown.json")).unwrap();
    std::fs::remove_file(dir.path().join("payloads/display.json")).unwrap();
    std::fs::remove_file(dir.path().join("payloads/old-edition.json")).unwrap();
    std::fs::remove_file(dir.path().join("payloads/answer-procedure.json")).unwrap();
    std::fs::remove_file(dir.path().join("payloads/local-not.json")).unwrap();
    for fault in [TxFault::Status(503), TxFault::Status(401), TxFault::NotJson] {
        server.set_fault(Some(fault.clone()));
        let cache = tempfile::tempdir().unwrap();
        let (out, report) = validate(dir.path(), &["--tx-cache", cache.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{fault:?}: {}", stderr(&out));
        let ok = &report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with("/ok.json"))
            .unwrap()["resources"][0]["issues"];
        let unchecked = ok
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["rule"] == "binding-not-checked")
            .unwrap_or_else(|| panic!("{fault:?}: {ok}"));
        assert!(
            unchecked["message"]
                .as_str()
                .unwrap()
                .contains("the terminology server could not decide"),
            "{unchecked}"
        );
        assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));
    }
}

/// Every code of our fixtures that the test server can answer is decided:
/// with the uk-core pack and the server (R4 core, HL7 Terminology, UK Core
/// and the SNOMED CT test subset), what stays "not checked" is only what
/// the server does not hold, said with that reason.
#[test]
fn every_fixture_code_the_server_holds_is_decided() {
    let server = TxServer::start(TxServerOptions::with_test_packages()).unwrap();
    let subset: Value = serde_json::from_slice(
        &std::fs::read(common::root().join("fixtures/terminology/snomed-ct-test.json")).unwrap(),
    )
    .unwrap();
    let held: Vec<&str> = subset["concept"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    let cache = tempfile::tempdir().unwrap();
    let mut left = Vec::new();
    for (pack, folders) in [
        ("uk-core", &["fixtures/valid", "fixtures/invalid"][..]),
        ("gp-connect", &["fixtures/gp-connect"][..]),
    ] {
        let mut args = vec![
            "validate",
            "--pack",
            pack,
            "--tx",
            server.base_url().leak(),
            "--tx-cache",
            cache.path().to_str().unwrap(),
            "-f",
            "json",
        ];
        args.extend_from_slice(folders);
        let out = command_in(&common::root(), &args).output().unwrap();
        let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON report");
        // (The GP Connect fixtures hold no code the packages cannot judge.)
        if pack == "uk-core" {
            assert!(
                report["summary"]["codes_verified"].as_u64().unwrap_or(0) > 0,
                "{pack}: {}",
                report["summary"]
            );
        }
        for f in report["files"].as_array().unwrap() {
            for r in f["resources"].as_array().unwrap() {
                for i in r["issues"].as_array().unwrap() {
                    if i["rule"] == "binding-not-checked" {
                        left.push(format!("{}: {}", f["path"], i["message"]));
                    }
                }
            }
        }
    }
    for l in &left {
        let snomed_not_held = l.contains("http://snomed.info/sct#")
            && !held
                .iter()
                .any(|c| l.contains(&format!("http://snomed.info/sct#{c}'")));
        // What the server does not hold: a code system, or a value set
        // (the STU3 Care Connect ones are not in its packages).
        let not_held = l.contains("does not know the code system") || l.contains("HTTP 404");
        assert!(
            not_held || snomed_not_held,
            "a code the server could answer was left unchecked: {l}"
        );
    }
    println!("left not checked ({}): {left:#?}", left.len());
}

/// `conform probe` validates responses with the same terminology server:
/// a SNOMED CT code that does not exist, served by a real FHIR server,
/// passes offline and fails with `--tx`.
#[test]
fn probe_validates_responses_with_the_terminology_server() {
    let tx = TxServer::start(TxServerOptions::default()).unwrap();
    let mut s = conform_peers::Sekmet::builder()
        .no_seed()
        .start()
        .expect("sekmet");
    s.seed(&[json!({"resourceType": "Observation", "id": "made-up-code", "status": "final",
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">A finding</div>"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "999999006"}]}})])
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let probe = |extra: &[&str]| {
        let mut args = vec![
            "probe",
            s.base_url.as_str(),
            "--type",
            "Observation",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = common::run(&args);
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
        let read = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["rule"] == "Observation.read.valid")
            .cloned()
            .unwrap_or_else(|| panic!("no read check: {report}"));
        (out, read)
    };
    let (_, offline) = probe(&["--tx", "none"]);
    assert_eq!(offline["status"], "pass", "{offline}");
    let (out, online) = probe(&[
        "--tx",
        &tx.base_url(),
        "--tx-cache",
        cache.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(online["status"], "fail", "{online}");
    assert!(
        online["message"].as_str().unwrap().contains("code-invalid")
            || online.to_string().contains("Unknown code"),
        "{online}"
    );
    assert!(tx.count("CodeSystem/$validate-code") > 0);
}
