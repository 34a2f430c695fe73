//! `conform scenario run|check` and `conform seed` against real peers: four
//! SEKMET instances play demographics (PDS), the record locator (NRL), and
//! regions A and B. The cross-ICS kit runs green on the seed data; breaking
//! the seed (wrong NHS number, missing pointer, invalid payload) fails the
//! step that should catch it, with a message saying why. Our TestScripts run
//! with a TestReport. `scenario check` names file and line of a mistake.

mod common;

use conform_endpoint::{Endpoint, Region, Request};
use conform_peers::Sekmet;
use serde_json::{json, Value};
use std::process::Output;

struct Peers {
    demographics: Sekmet,
    locator: Sekmet,
    a: Sekmet,
    b: Sekmet,
}

impl Peers {
    fn start() -> Peers {
        let start = || Sekmet::builder().no_seed().start().expect("sekmet starts");
        Peers {
            demographics: start(),
            locator: start(),
            a: start(),
            b: start(),
        }
    }

    fn env(&self) -> [(&'static str, String); 4] {
        [
            ("DEMOGRAPHICS_URL", self.demographics.base_url.clone()),
            ("RECORD_LOCATOR_URL", self.locator.base_url.clone()),
            ("REGION_A_URL", self.a.base_url.clone()),
            ("REGION_B_URL", self.b.base_url.clone()),
        ]
    }

    fn base(&self, region: &str) -> &str {
        match region {
            "demographics" => &self.demographics.base_url,
            "record-locator" => &self.locator.base_url,
            "region-a" => &self.a.base_url,
            _ => &self.b.base_url,
        }
    }

    /// `conform ARGS` with the regions' URLs in the environment.
    fn conform(&self, args: &[&str]) -> Output {
        let mut cmd = common::command_in(&common::root(), args);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd.output().expect("conform runs")
    }

    /// Seeds every region from fixtures/seed/<region> with `conform seed`.
    fn seed_all(&self) {
        for region in ["demographics", "record-locator", "region-a", "region-b"] {
            let dir = format!("fixtures/seed/{region}");
            let out = self.conform(&["seed", "--regions", REGIONS, "--region", region, &dir]);
            assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
            assert!(
                common::stdout(&out).starts_with("seeded "),
                "{}",
                common::stdout(&out)
            );
        }
    }

    fn put(&self, region: &str, resource: &Value) {
        let target = format!(
            "{}/{}",
            resource["resourceType"].as_str().unwrap(),
            resource["id"].as_str().unwrap()
        );
        let status = send(
            self.base(region),
            Request::new("PUT", &target).json(resource),
        );
        assert!((200..300).contains(&status), "PUT {target}: {status}");
    }

    fn delete(&self, region: &str, target: &str) {
        let status = send(self.base(region), Request::new("DELETE", target));
        assert!((200..300).contains(&status), "DELETE {target}: {status}");
    }
}

/// Sends one request outside conform (to break or repair the seed).
fn send(base: &str, req: Request) -> u16 {
    Endpoint::new(&Region::from_url(base))
        .unwrap()
        .send(&req)
        .unwrap()
        .status
}

const REGIONS: &str = "fixtures/regions-cross-ics.yaml";
const KIT: &str = "testkits/cross-ics";

fn seed_file(rel: &str) -> Value {
    let p = common::root().join("fixtures/seed").join(rel);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON results ({e}):\n{}\n{}",
            common::stdout(out),
            common::stderr(out)
        )
    })
}

fn scenario<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no scenario {id}"))
}

fn step<'a>(s: &'a Value, id: &str) -> &'a Value {
    s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {}", s["id"]))
}

/// The first failed step of a scenario, and its failed assertions' ids and messages.
fn first_failure(s: &Value) -> (String, Vec<(String, String)>) {
    let st = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["status"] == "fail")
        .unwrap_or_else(|| panic!("no failed step in {s}"));
    let failed = st["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "fail")
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (st["id"].as_str().unwrap().to_string(), failed)
}

/// Checks a results file against testkits/schema/scenario-results.schema.json.
fn assert_follows_results_schema(results: &Value) {
    let text = std::fs::read_to_string(
        common::root().join("testkits/schema/scenario-results.schema.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(results)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

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
    let peers = Peers::start();
    peers.seed_all();

    // Read-only first: writing scenarios are skipped, with the reason.
    let (r, out) = run_kit(&peers, &[KIT], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    for id in ["s1-out-of-area-ae", "s2-pointer-lifecycle"] {
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
    assert_eq!(r["summary"]["scenarios"], 5);
    assert_eq!(
        r["summary"]["passed"],
        5,
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
    let pointer = step(s1, "s1-pointer")["captures"]["pointer_id"].clone();
    assert_eq!(pointer, "RWA-ptr-9990010005");
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
    assert_follows_results_schema(&results);
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
    assert_follows_results_schema(&r);
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
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "validate.uk-core");
    assert!(
        failed[0].1.contains("against uk-core") && failed[0].1.contains("Composition.status"),
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

    // Restored: green again (the negatives were the seed, not the runner).
    let (r, out) = run_kit(&peers, &[KIT], &["--allow-writes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        serde_json::to_string_pretty(&outline(&r)).unwrap()
    );
    assert_eq!(r["summary"]["passed"], 5);
}

#[test]
fn testscripts_run_against_two_regions_with_a_testreport() {
    let a = Sekmet::builder().no_seed().start().expect("sekmet a");
    let b = Sekmet::builder().no_seed().start().expect("sekmet b");
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.yaml");
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: region-a, base_url: '{}'}}\n  - {{name: region-b, base_url: '{}'}}\n", a.base_url, b.base_url),
    )
    .unwrap();
    let regions = regions.to_str().unwrap();
    let base = [
        "--pack",
        "uk-core",
        "scenario",
        "run",
        "testkits/testscript",
        "--regions",
        regions,
        "--allow-writes",
        "--bind",
        "1=region-a",
        "--bind",
        "2=region-b",
    ];
    let mut args = base.to_vec();
    args.extend_from_slice(&["--format", "json"]);
    let out = common::run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    let r = json_of(&out);
    assert_eq!(r["summary"]["scenarios"], 3);
    assert_eq!(r["summary"]["passed"], 3);
    // The unsupported assert is reported as a skip with its reason.
    let rs = scenario(&r, "ts-read-search");
    assert_eq!(
        rs["unsupported"][0],
        "links: assert.navigationLinks, an assert with nothing this runner checks"
    );
    let read = &rs["steps"][1];
    assert_eq!(read["group"], "read");
    let ids: Vec<(&str, &str)> = read["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["rule"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("read-200", "pass"),
            ("is-patient", "pass"),
            ("family", "pass"),
            ("json", "pass"),
            ("ukcore", "pass"),
            ("links", "skip"),
            ("same-as-fixture", "pass")
        ]
    );
    // Create: the new id from the response was used to read it back and delete it.
    let create = scenario(&r, "ts-create");
    let created = create["steps"][0]["captures"]["__id.create-response"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(create["steps"][1]["exchange"]["request"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/Patient/{created}")));
    assert_eq!(create["steps"][2]["phase"], "teardown");
    assert_eq!(create["steps"][2]["exchange"]["response"]["status"], 200);
    let gone = send(&a.base_url, Request::get(&format!("Patient/{created}")));
    assert!(gone == 404 || gone == 410, "{gone}");
    // Two origins, two destinations: the copy went to B and was found there.
    let two = scenario(&r, "ts-two-origins");
    assert_eq!(two["regions"], json!(["region-a", "region-b"]));
    assert_eq!(two["steps"][3]["region"], "region-b");
    assert_eq!(two["steps"][3]["name"], "search (origin 2)");

    // The same run as a TestReport Bundle, which validates as FHIR R4.
    let mut args = base.to_vec();
    args.extend_from_slice(&["--format", "testreport"]);
    let out = common::run(&args);
    assert_eq!(out.status.code(), Some(0));
    let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bundle["type"], "collection");
    let reports: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|t| t["resourceType"] == "TestReport"
        && t["result"] == "pass"
        && t["status"] == "completed"));
    let file = dir.path().join("testreport.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let v = common::run(&["validate", file.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", common::stdout(&v));

    // An unbound destination is a usage error naming the fix.
    let out = common::run(&[
        "scenario",
        "run",
        "testkits/testscript/two-origins.json",
        "--regions",
        regions,
        "--bind",
        "1=region-a",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out)
            .contains("destination 2 is not bound to a region: use --bind 2=REGION"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn secrets_never_reach_any_report_and_curl_lines_redact_auth() {
    let a = Sekmet::builder().no_seed().start().expect("sekmet");
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.yaml");
    std::fs::write(&regions, format!("regions:\n  - name: region-a\n    base_url: '{}'\n    auth: {{type: bearer, token_env: SCENARIO_TEST_TOKEN}}\n", a.base_url)).unwrap();
    let scenario_file = dir.path().join("echo.yaml");
    // The step sends the token itself too (as a header a careless author
    // might add): it must be masked wherever the exchange is shown.
    std::fs::write(&scenario_file, "id: leak-check\nregions: [region-a]\nsteps:\n  - name: metadata\n    on: region-a\n    request: {path: metadata, headers: {X-Debug: 'tok-s3cr3t-value-123'}}\n    expect: {status: 404}\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = common::command_in(
        &common::root(),
        &[
            "scenario",
            "run",
            scenario_file.to_str().unwrap(),
            "--regions",
            regions.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    )
    .env("SCENARIO_TEST_TOKEN", "tok-s3cr3t-value-123")
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the status check fails on purpose: {}",
        common::stdout(&out)
    );
    let text = common::stdout(&out);
    assert!(
        text.contains("-H 'Authorization: Bearer [REDACTED]'"),
        "{text}"
    );
    assert!(text.contains("X-Debug: [REDACTED]"), "{text}");
    for f in [
        "results.json",
        "junit.xml",
        "testreport.json",
        "report.html",
        "report.txt",
        "results.sarif",
    ] {
        let body = std::fs::read_to_string(out_dir.join(f)).unwrap();
        assert!(
            !body.contains("tok-s3cr3t-value-123"),
            "{f} leaks the token"
        );
    }
    assert!(!text.contains("tok-s3cr3t-value-123"));
}

#[test]
fn check_accepts_the_kits_and_names_file_and_line_of_a_mistake() {
    let out = common::run(&["scenario", "check", KIT]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), "ok: 5 scenarios (41 steps)\n");

    // The whole testkits folder: both kits; other YAML there is not a scenario.
    let out = common::run(&["scenario", "check", "testkits"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).starts_with("ok: 8 scenarios (51 steps)\n"),
        "{}",
        common::stdout(&out)
    );

    // TestScripts are checked without --bind; unsupported elements are listed.
    let out = common::run(&["scenario", "check", "testkits/testscript"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(
        common::stdout(&out),
        "ok: 3 scenarios (10 steps)\nts-read-search: unsupported: links: assert.navigationLinks, an assert with nothing this runner checks\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "id: bad\nregions: [a]\nsteps:\n  - name: one\n    on: a\n    request: {path: metadata}\n    expect:\n      status: two hundred\n").unwrap();
    let out = common::run(&["scenario", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.starts_with(&format!("conform: {}:8:", bad.display())),
        "{err}"
    );
    assert!(err.contains("status"), "{err}");

    let unknown_region = dir.path().join("region.yaml");
    std::fs::write(
        &unknown_region,
        "id: r\nregions: [a]\nsteps:\n  - {name: one, on: b, request: {path: metadata}}\n",
    )
    .unwrap();
    let err = common::stderr(&common::run(&[
        "scenario",
        "check",
        unknown_region.to_str().unwrap(),
    ]));
    assert!(
        err.contains(
            "step 'one' is on region 'b', which the scenario's 'regions' (a) does not list"
        ),
        "{err}"
    );

    let typo = dir.path().join("typo.yaml");
    std::fs::write(&typo, "id: t\nregions: [a]\nsteps:\n  - name: one\n    on: a\n    request: {path: metadata}\n    expect: {fhirpath: ['Patient.name.where(']}\n").unwrap();
    let err = common::stderr(&common::run(&["scenario", "check", typo.to_str().unwrap()]));
    assert!(
        err.contains("FHIRPath 'Patient.name.where(' does not parse"),
        "{err}"
    );
}

#[test]
fn an_unreachable_region_exits_3_and_an_unknown_validate_target_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let port = conform_peers::free_port();
    let regions = dir.path().join("regions.yaml");
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: a, base_url: 'http://127.0.0.1:{port}/fhir', timeout: 2s, retries: 0}}\n"),
    )
    .unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "id: s\nregions: [a]\nsteps:\n  - {name: meta, on: a, request: {path: metadata}, expect: {status: 200}}\n",
    )
    .unwrap();
    let args = [
        "scenario",
        "run",
        file.to_str().unwrap(),
        "--regions",
        regions.to_str().unwrap(),
        "--format",
        "json",
    ];
    let out = common::run(&args);
    assert_eq!(out.status.code(), Some(3), "{}", common::stdout(&out));
    let r = json_of(&out);
    let reason = r["scenarios"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("test step 'meta': no response from a: "),
        "{reason}"
    );

    // A secret that is not there is a set-up problem: exit 2, naming it.
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: a, base_url: 'http://127.0.0.1:{port}/fhir', auth: {{type: bearer, token_env: SCENARIO_UNSET_TOKEN}}}}\n"),
    )
    .unwrap();
    let out = common::command_in(&common::root(), &args)
        .env_remove("SCENARIO_UNSET_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stdout(&out));
    assert!(
        common::stderr(&out).contains("SCENARIO_UNSET_TOKEN"),
        "{}",
        common::stderr(&out)
    );

    // A validate: target that is neither a pack nor a loaded profile.
    let s = Sekmet::builder().no_seed().start().expect("sekmet");
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: a, base_url: '{}'}}\n", s.base_url),
    )
    .unwrap();
    std::fs::write(
        &file,
        "id: s\nregions: [a]\nsteps:\n  - {name: meta, on: a, request: {path: metadata}, expect: {status: 200, validate: [base, no-such-pack]}}\n",
    )
    .unwrap();
    let out = common::run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", common::stdout(&out));
    let r = json_of(&out);
    let a = &r["scenarios"][0]["steps"][0]["assertions"];
    assert_eq!(a[1]["rule"], "validate.base");
    assert_eq!(a[1]["status"], "pass");
    assert_eq!(a[2]["rule"], "validate.no-such-pack");
    assert_eq!(a[2]["status"], "fail");
    assert_eq!(
        a[2]["message"],
        "'no-such-pack' is neither a profile URL nor a loaded pack (loaded: base; use --pack)"
    );
}

#[test]
fn seed_exits_1_when_refused_2_for_bad_input_3_when_unreachable() {
    let s = Sekmet::builder().no_seed().start().expect("sekmet");
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.yaml");
    let port = conform_peers::free_port();
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: a, base_url: '{}'}}\n  - {{name: gone, base_url: 'http://127.0.0.1:{port}/fhir', timeout: 2s, retries: 0}}\n", s.base_url),
    )
    .unwrap();
    let folder = |name: &str, body: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("r.json"), body).unwrap();
        d.to_str().unwrap().to_string()
    };
    let refused = folder(
        "refused",
        r#"{"resourceType":"Patient","id":"x1","birthDate":"not-a-date"}"#,
    );
    let no_id = folder("no-id", r#"{"resourceType":"Patient"}"#);
    let good = folder(
        "good",
        r#"{"resourceType":"Patient","id":"x2","gender":"female"}"#,
    );
    let r = regions.to_str().unwrap();
    let seed =
        |region: &str, dir: &str| common::run(&["seed", "--regions", r, "--region", region, dir]);

    let out = seed("a", &refused);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("Patient/x1")
            && common::stderr(&out).contains("the server answered 400"),
        "{}",
        common::stderr(&out)
    );
    let out = seed("a", &no_id);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).ends_with("r.json: a seed resource needs resourceType and id\n"),
        "{}",
        common::stderr(&out)
    );
    let out = seed("gone", &good);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let out = seed("a", &good);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(common::stdout(&out), "seeded 1 resources into a\n");
    assert_eq!(send(&s.base_url, Request::get("Patient/x2")), 200);
}
