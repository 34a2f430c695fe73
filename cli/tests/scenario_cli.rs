//! `conform scenario run` and `conform seed` on the cross-ICS kit against
//! real peers: four SEKMET instances play demographics (PDS, which also
//! plays the directory, SDS), the record locator (NRL), and regions A and
//! B; the GP Connect provider stand-in plays the GP practice of S3. The kit runs green on the seed data;
//! breaking the seed (wrong NHS number, missing pointer, invalid payload)
//! fails the step that should catch it, with a message saying why. Tests
//! on scenarios of their own are in scenario_standalone_cli.rs.

mod common;

use common::scenario::{
    first_failure, json_of, scenario, sds_endpoint, seed_file, step, Peers, KIT, REGIONS,
};
use conform_peers::{GpConnectProvider, GpcFault};
use serde_json::{json, Value};
use std::process::Output;

/// Ports, ids, times and dates change from run to run.
fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    s.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[INSTANT]",
    );
    common::filter_pseudonyms(&mut s);
    s
}

/// The results without volatile parts: scenario, step and assertion
/// outcomes in report order (what the scorecards read).
fn outline(r: &Value) -> Value {
    let scenarios: Vec<Value> = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let steps: Vec<Value> = s["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|st| {
                    let asserts: Vec<String> = st["assertions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| format!("{} {} {}", a["status"].as_str().unwrap(), a["requirement"].as_str().unwrap(), a["rule"].as_str().unwrap()))
                        .collect();
                    json!({"id": st["id"], "phase": st["phase"], "region": st["region"], "status": st["status"], "assertions": asserts})
                })
                .collect();
            json!({"id": s["id"], "status": s["status"], "tags": s["tags"], "regions": s["regions"], "requirements": s["requirements"], "steps": steps})
        })
        .collect();
    json!({"schema": r["schema"], "summary": r["summary"], "scenarios": scenarios})
}

fn run_kit(peers: &Peers, paths: &[&str], extra: &[&str]) -> (Value, Output) {
    let mut args = vec!["--pack", "uk-core", "scenario", "run"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--regions", REGIONS, "--format", "json"]);
    args.extend_from_slice(extra);
    let out = peers.conform(&args);
    (json_of(&out), out)
}

#[test]
fn cross_ics_kit_runs_green_and_each_broken_seed_fails_at_the_right_step() {
    let mut peers = Peers::start();
    peers.seed_all();

    // Read-only first: writing scenarios are skipped, with the reason.
    let (r, out) = run_kit(&peers, &[KIT], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    for id in [
        "s1-out-of-area-ae",
        "s2-pointer-lifecycle",
        "s3-gp-record-out-of-area",
        "s4-care-plan-retrieval",
        "s6-bars-referral",
        "s7-in-context-launch",
        "s8-next-step-settings",
    ] {
        let s = scenario(&r, id);
        assert_eq!(s["status"], "skip");
        assert!(
            s["reason"].as_str().unwrap().contains("--allow-writes"),
            "{s}"
        );
    }
    assert_eq!(scenario(&r, "s5-identity-edge-cases")["status"], "pass");

    // With writes: everything passes, every assertion checked for real.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (r, out) = run_kit(
        &peers,
        &[KIT],
        &["--allow-writes", "--out", out_dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert_eq!(r["schema"], "conform.scenario/2");
    assert_eq!(r["summary"]["scenarios"], 10);
    assert_eq!(
        r["summary"]["passed"],
        10,
        "{}",
        serde_json::to_string_pretty(&outline(&r)).unwrap()
    );
    assert_eq!(r["summary"]["failed_assertions"], 0);
    // Validation really ran (UK Core from the pack), and S9 ran per region.
    let s1 = scenario(&r, "s1-out-of-area-ae");
    let validate = step(s1, "s1-retrieve")["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "validate.uk-core")
        .unwrap()
        .clone();
    assert_eq!(validate["status"], "pass");
    assert_eq!(validate["message"], "valid against uk-core");
    scenario(&r, "s9-neighbour-query[home=region-a]");
    scenario(&r, "s9-neighbour-query[home=region-b]");
    // Paging was followed through the server's own next link.
    let next = step(
        scenario(&r, "s9-neighbour-query[home=region-b]"),
        "s9-encounters-page-1",
    )["captures"]["next_page"]
        .clone();
    assert!(
        next.as_str().unwrap().starts_with(&peers.b.base_url),
        "{next}"
    );
    // Captured values flowed on: the audit record names the pointer read.
    // (its NHS number pseudonymised, as everywhere in the evidence)
    let pointer = step(s1, "s1-pointer")["captures"]["pointer_id"].clone();
    assert!(
        pointer.as_str().unwrap().starts_with("RWA-ptr-nhs-number:"),
        "{pointer}"
    );
    // Every step kept its exchange, replayable with curl.
    let ex = &step(s1, "s1-retrieve")["exchange"];
    assert_eq!(ex["response"]["status"], 200);
    assert!(
        ex["curl"].as_str().unwrap().starts_with("curl -sS '"),
        "{ex}"
    );
    // --out wrote every format.
    for f in [
        "results.json",
        "junit.xml",
        "testreport.json",
        "report.html",
        "report.txt",
        "results.sarif",
    ] {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
    // The results file follows its published JSON Schema.
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap())
            .unwrap();
    common::assert_follows_schema(&results, "conform.scenario-2.schema.json");
    let junit = std::fs::read_to_string(out_dir.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases as u64, r["summary"]["steps"].as_u64().unwrap());
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "self-contained"
    );
    filters().bind(|| insta::assert_json_snapshot!("cross_ics_kit_outline", outline(&r)));
    let text = peers.conform(&[
        "--pack",
        "uk-core",
        "scenario",
        "run",
        KIT,
        "--regions",
        REGIONS,
        "--allow-writes",
        "--tag",
        "s5",
    ]);
    assert_eq!(text.status.code(), Some(0));
    filters().bind(|| insta::assert_snapshot!("cross_ics_s5_text", common::stdout(&text)));

    // Negative 1: demographics returns the wrong NHS number for the patient.
    let mut wrong = seed_file("demographics/patient-9990010005.json");
    wrong["identifier"][0]["value"] = json!("9990010013");
    peers.put("demographics", &wrong);
    let (r, out) = run_kit(
        &peers,
        &["testkits/cross-ics/s1-out-of-area-ae.yaml"],
        &["--allow-writes"],
    );
    assert_eq!(out.status.code(), Some(1));
    common::assert_follows_schema(&r, "conform.scenario-2.schema.json");
    let (at, failed) = first_failure(scenario(&r, "s1-out-of-area-ae"));
    assert_eq!(at, "s1-trace");
    assert_eq!(failed[0].0, "nhs-number-matches");
    assert!(
        failed[0]
            .1
            .starts_with("the traced Patient does not carry the NHS number asked for"),
        "{failed:?}"
    );
    // Fail safe: nothing after the trace ran; the audit teardown had nothing to undo.
    let s1 = scenario(&r, "s1-out-of-area-ae");
    assert_eq!(step(s1, "s1-retrieve")["status"], "skip");
    assert_eq!(
        step(s1, "s1-retrieve")["reason"],
        "not run: step 's1-trace' failed"
    );
    assert_eq!(step(s1, "s1-remove-audit")["status"], "skip");
    peers.put(
        "demographics",
        &seed_file("demographics/patient-9990010005.json"),
    );

    // Negative 2: the record locator lost the pointer.
    peers.delete("record-locator", "DocumentReference/RWA-ptr-9990010005");
    let (r, _) = run_kit(
        &peers,
        &["testkits/cross-ics/s1-out-of-area-ae.yaml"],
        &["--allow-writes"],
    );
    let (at, failed) = first_failure(scenario(&r, "s1-out-of-area-ae"));
    assert_eq!(at, "s1-locate");
    assert_eq!(
        failed,
        vec![(
            "pointer-count".to_string(),
            "Bundle.entry: expected 1 item(s), got 0".to_string()
        )]
    );
    let text = peers.conform(&[
        "--pack",
        "uk-core",
        "scenario",
        "run",
        "testkits/cross-ics/s1-out-of-area-ae.yaml",
        "--regions",
        REGIONS,
        "--allow-writes",
    ]);
    assert_eq!(text.status.code(), Some(1));
    filters().bind(|| {
        insta::assert_snapshot!("cross_ics_s1_missing_pointer_text", common::stdout(&text))
    });
    peers.put(
        "record-locator",
        &seed_file("record-locator/pointer-9990010005.json"),
    );

    // Negative 3: the summary document is invalid (a code SEKMET accepts but
    // FHIR forbids): retrieval fails on validation, naming the element.
    let mut bad = seed_file("region-a/summary-9990010005.json");
    bad["entry"][0]["resource"]["status"] = json!("almost-final");
    peers.put("region-a", &bad);
    let (r, _) = run_kit(
        &peers,
        &["testkits/cross-ics/s1-out-of-area-ae.yaml"],
        &["--allow-writes"],
    );
    let (at, failed) = first_failure(scenario(&r, "s1-out-of-area-ae"));
    assert_eq!(at, "s1-retrieve");
    // Both validations fail on it: UK Core, and the IPS Bundle profile
    // (whose composition slice the invalid Composition then no longer fills).
    let checks: Vec<&str> = failed.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        checks,
        [
            "validate.uk-core",
            "validate.http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips"
        ],
        "{failed:?}"
    );
    assert!(
        failed.iter().all(|(_, m)| m.contains("Composition.status")),
        "{failed:?}"
    );
    peers.put("region-a", &seed_file("region-a/summary-9990010005.json"));

    // Negative 4 (S5): the restricted patient's address leaks.
    let mut leak = seed_file("demographics/patient-9990010056-restricted.json");
    leak["address"] =
        json!([{"line": ["1 Hidden Road"], "city": "Leeds", "postalCode": "LS1 1AA"}]);
    peers.put("demographics", &leak);
    let (r, _) = run_kit(
        &peers,
        &["testkits/cross-ics/s5-identity-edge-cases.yaml"],
        &[],
    );
    let (at, failed) = first_failure(scenario(&r, "s5-identity-edge-cases"));
    assert_eq!(at, "s5-restricted-trace");
    assert_eq!(
        failed,
        vec![(
            "no-address".to_string(),
            "a restricted patient's address was returned (not true: Patient.address.empty())"
                .to_string()
        )]
    );
    peers.put(
        "demographics",
        &seed_file("demographics/patient-9990010056-restricted.json"),
    );

    // Negative 5 (S9): a condition in region B with a code outside its
    // required binding fails validation of that query only.
    let mut bad = seed_file("region-b/b5-condition-1.json");
    bad["clinicalStatus"]["coding"][0]["code"] = json!("simmering");
    peers.put("region-b", &bad);
    let (r, _) = run_kit(&peers, &["testkits/cross-ics/s9-neighbour-query.yaml"], &[]);
    assert_eq!(
        scenario(&r, "s9-neighbour-query[home=region-a]")["status"],
        "pass"
    );
    let (at, failed) = first_failure(scenario(&r, "s9-neighbour-query[home=region-b]"));
    assert_eq!(at, "s9-conditions");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "validate.uk-core");
    assert!(
        failed[0].1.contains("clinicalStatus") && failed[0].1.contains("simmering"),
        "{failed:?}"
    );
    peers.put("region-b", &seed_file("region-b/b5-condition-1.json"));

    s3_each_broken_rule_fails_at_its_step(&mut peers);

    // Restored: green again (the negatives were the seed, not the runner).
    let (r, out) = run_kit(&peers, &[KIT], &["--allow-writes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        serde_json::to_string_pretty(&outline(&r)).unwrap()
    );
    assert_eq!(r["summary"]["passed"], 10);
}

/// S3 against a broken seed or a provider breaking one rule: the step that
/// checks the rule fails, with a message saying why. Leaves the peers as
/// it found them.
fn s3_each_broken_rule_fails_at_its_step(peers: &mut Peers) {
    const S3: &str = "testkits/cross-ics/s3-gp-record-out-of-area.yaml";
    let first_s3_failure = |peers: &Peers| {
        let (r, out) = run_kit(peers, &[S3], &["--allow-writes"]);
        assert_eq!(out.status.code(), Some(1), "{}", common::stdout(&out));
        first_failure(scenario(&r, "s3-gp-record-out-of-area"))
    };
    // The evidence never holds the audit JWT.
    let (r, _) = run_kit(peers, &[S3], &["--allow-writes"]);
    let text = r.to_string();
    assert!(
        text.contains("Ssp-InteractionID"),
        "the SSP headers are recorded"
    );
    assert!(
        !text.contains("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"),
        "a JWT in the evidence"
    );

    // PDS gives no registered practice.
    let mut unregistered = seed_file("demographics/patient-9999999999.json");
    unregistered
        .as_object_mut()
        .unwrap()
        .remove("generalPractitioner");
    peers.put("demographics", &unregistered);
    let (at, failed) = first_s3_failure(peers);
    assert_eq!(
        (at.as_str(), failed[0].0.as_str()),
        ("s3-trace", "registered-practice")
    );
    peers.put(
        "demographics",
        &seed_file("demographics/patient-9999999999.json"),
    );

    // The practice is not GP Connect enabled (nothing in SDS).
    peers.delete("directory", "Endpoint/gpc-b82617-structured");
    let (at, failed) = first_s3_failure(peers);
    assert_eq!(
        (at.as_str(), failed[0].0.as_str()),
        ("s3-endpoint", "gp-connect-enabled")
    );
    assert!(failed[0].1.contains("not GP Connect enabled"), "{failed:?}");

    // A provider breaking one rule at a time (SDS gives its address).
    let cases = [
        (GpcFault::R4Metadata, "s3-metadata", "stu3"),
        (
            GpcFault::PublishedDefects,
            "s3-record",
            "validate.gp-connect",
        ),
        (
            GpcFault::WrongSpineCode,
            "s3-invalid-nhs-number",
            "spine-code",
        ),
    ];
    for (fault, step_id, check) in cases {
        peers.gp = GpConnectProvider::start_with(Some(fault)).unwrap();
        peers.put("directory", &sds_endpoint(&peers.gp.base_url()));
        let (at, failed) = first_s3_failure(peers);
        assert_eq!(at, step_id, "{fault:?}: {failed:?}");
        assert!(
            failed.iter().any(|(id, _)| id == check),
            "{fault:?}: {failed:?}"
        );
    }
    peers.gp = GpConnectProvider::start().unwrap();
    peers.put("directory", &sds_endpoint(&peers.gp.base_url()));
}
