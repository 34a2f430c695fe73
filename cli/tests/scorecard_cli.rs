//! `conform scorecard` on the fixture evidence (fixtures/evidence, five
//! regions from L0 to L4): pinned table, JSON and Markdown; the CI gate;
//! trends from the history store; JUnit. The HTML report in a real browser
//! is scorecard_html_cli.rs.
//!
//! The validate and probe evidence is rebuilt by the ignored test
//! `build_mvs_evidence` (testkits/mvs/build-evidence.sh runs it).

mod common;

use common::scorecard::{scorecard, scorecard_at, AT};

use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn region<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == name)
        .unwrap_or_else(|| panic!("no region {name}"))
}

fn criterion<'a>(region: &'a Value, id: &str) -> &'a Value {
    region["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["criteria"].as_array().unwrap())
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no criterion {id}"))
}

#[test]
fn fixture_regions_span_every_level_and_the_gate_fails_on_north_moor() {
    let out = scorecard(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema"], "conform.scorecard/1");
    let levels: Vec<(String, String)> = r["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["region"].as_str().unwrap().into(),
                x["level"]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("north-moor", "L0"),
        ("river-vale", "L1"),
        ("east-fen", "L2"),
        ("west-weald", "L3"),
        ("south-downs", "L4"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(levels, want);

    // north-moor: invalid NHS numbers and ODS codes make gating C2.4 Red,
    // which caps overall at Red; no payloads, so connectivity is not assessed.
    let nm = region(&r, "north-moor");
    assert_eq!(criterion(nm, "C2.4")["rag"], "red");
    assert_eq!(nm["overall"]["rag"], "red");
    assert_eq!(criterion(nm, "C1.1")["rag"], "not-assessed");
    assert!(nm["overall"]["evidence_coverage"].as_f64().unwrap() < 50.0);
    assert_eq!(nm["gate"]["failed"], true);
    // Red and Amber criteria carry the findings behind them.
    let c24 = criterion(nm, "C2.4");
    assert!(
        c24["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("nhs-number-check-digit")),
        "{c24}"
    );
    // C2.2 Must-Support evidence, for every region with payloads (from
    // `validate --must-support`): south-downs' Encounters never populate 4
    // of UK Core Encounter's 7 Must-Support elements, and its Observations
    // no component: 10 of 15, Red, yet still L4 (C2.2 gates nothing).
    let sd = region(&r, "south-downs");
    let c22 = criterion(sd, "C2.2");
    assert_eq!(
        (
            c22["rag"].as_str(),
            c22["evidence"]["checked"].as_f64(),
            c22["evidence"]["passed"].as_f64()
        ),
        (Some("red"), Some(15.0), Some(10.0)),
        "{c22}"
    );
    assert!(c22["findings"][0]
        .as_str()
        .unwrap()
        .contains("UKCoreEncounter: never populated in 5 instances: Encounter.identifier, Encounter.participant, Encounter.reasonCode, Encounter.reasonReference"), "{c22}");
    for name in ["north-moor", "river-vale", "east-fen", "west-weald"] {
        assert!(
            criterion(region(&r, name), "C2.2")["score"].is_number(),
            "{name}"
        );
    }
    assert_eq!(criterion(region(&r, "river-vale"), "C2.2")["score"], 87.5);
    assert_eq!(sd["overall"]["rag"], "green");
    assert_eq!(sd["gate"]["failed"], false);
    // river-vale: 4 of its 5 GP practices seen in payloads.
    let rv = region(&r, "river-vale");
    assert_eq!(criterion(rv, "C1.1")["score"], 80.0);
    assert_eq!(criterion(rv, "C1.1")["rag"], "amber");
    assert!(criterion(rv, "C1.1")["findings"][0]
        .as_str()
        .unwrap()
        .contains("C82005"));
    // east-fen stops at L2: the record locator lost the summary pointer, so
    // the real S1 run failed at locating it.
    let ef = region(&r, "east-fen");
    assert_eq!(ef["level"]["next"], "L3");
    assert!(
        ef["level"]["next_unmet"][0]
            .as_str()
            .unwrap()
            .contains("S1 failed"),
        "{}",
        ef["level"]
    );
    // The roll-up counts regions at each level and above.
    let l1 = &r["rollup"]["levels"][1];
    assert_eq!(
        (l1["id"].as_str(), l1["at_or_above"].as_u64()),
        (Some("L1"), Some(4))
    );
    assert_eq!(r["rollup"]["regions"], 5);
    assert_eq!(r["rollup"]["gate_failed"], 1);
    assert_eq!(r["rollup"]["rows"].as_array().unwrap().len(), 5);
}

fn assert_valid(report: &Value) {
    common::assert_follows_schema(report, SCHEMA_FILE);
}

/// The generated JSON Schema of the scorecard document.
const SCHEMA_FILE: &str = "conform.scorecard-1.schema.json";

#[test]
fn json_follows_the_documented_schema() {
    let out = scorecard(&["--format", "json"]);
    assert_valid(&serde_json::from_slice(&out.stdout).unwrap());
    // With a history: trends and series too.
    let tmp = tempfile::tempdir().unwrap();
    let h = tmp.path().join("h.redb");
    let h = h.to_str().unwrap();
    scorecard_at("2026-11-01", &["--history", h, "--format", "json"]);
    let out = scorecard(&["--history", h, "--since", "2026-11-01", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["trend"]["series"].is_object());
    assert_valid(&report);
    // The schema has teeth: a wrong RAG is refused.
    let mut bad = report.clone();
    bad["regions"][0]["overall"]["rag"] = Value::from("purple");
    let text = std::fs::read_to_string(common::root().join("docs/schemas").join(SCHEMA_FILE));
    let schema: Value = serde_json::from_str(&text.unwrap()).unwrap();
    assert!(!jsonschema::validator_for(&schema).unwrap().is_valid(&bad));
}

#[test]
fn table_is_pinned() {
    let out = scorecard(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = common::stdout(&out);
    assert!(text.contains("4 of 5 at L1 MVS 1.0 or above"), "{text}");
    insta::assert_snapshot!("scorecard_table", text);
}

#[test]
fn json_is_pinned() {
    let out = scorecard(&["--format", "json"]);
    insta::assert_snapshot!("scorecard_json", common::stdout(&out));
}

#[test]
fn markdown_is_pinned() {
    let out = scorecard(&["--format", "markdown"]);
    insta::assert_snapshot!("scorecard_markdown", common::stdout(&out));
}

#[test]
fn gate_can_be_turned_off_or_limited() {
    assert_eq!(scorecard(&["--gate", "off"]).status.code(), Some(0));
    // north-moor's overall is Red, so "overall" still fails; with only the
    // four regions that have payloads nothing fails.
    assert_eq!(scorecard(&["--gate", "overall"]).status.code(), Some(1));
    let out = scorecard(&["--gate", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("unknown gate"));
}

#[test]
fn usage_errors_exit_2() {
    let out = common::run(&[
        "scorecard",
        "--evidence",
        "no/such/dir",
        "--regions",
        "fixtures/regions-mvs.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("does not exist"),
        "{}",
        common::stderr(&out)
    );
    let out = scorecard(&["--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2));
    let out = scorecard(&[
        "--history",
        "h.redb",
        "--since",
        "last tuesday",
        "--no-record",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("not a date"));
}

#[test]
fn junit_has_a_case_per_criterion_and_gate() {
    let out = scorecard(&["--format", "junit"]);
    let xml = common::stdout(&out);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 5);
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 5 * (16 + 1));
    let nm = suites
        .iter()
        .find(|s| s.attribute("name") == Some("north-moor"))
        .unwrap();
    assert!(nm
        .descendants()
        .any(|n| n.has_tag_name("failure") && n.attribute("type") == Some("gate")));
    assert!(nm.descendants().any(|n| n.has_tag_name("property")
        && n.attribute("name") == Some("rag")
        && n.attribute("value") == Some("red")));
    // Counts on <testsuites> add up: Red criteria and failed gates fail.
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some("85"));
    // (C2.2 Red in north-moor and south-downs among them, and east-fen's
    // C4.3: its S1, the one inbound scenario, failed.)
    assert_eq!(root.attribute("failures"), Some("8"));
}

/// Copies the fixture evidence so a test can change it.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn history_gives_the_change_per_criterion_since_the_last_run_and_a_date() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = tmp.path().join("evidence");
    copy_dir(&common::root().join("fixtures/evidence"), &ev);
    let regions = common::root().join("fixtures/regions-mvs.yaml");
    let history = tmp.path().join("history.redb");
    let run = |at: &str, extra: &[&str]| {
        let mut args = vec![
            "scorecard",
            "--evidence",
            ev.to_str().unwrap(),
            "--regions",
            regions.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
            "--at",
            at,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = common::run(&args);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
        v
    };
    // 1 October: river-vale had only two GP practices contributing.
    let payloads = ev.join("river-vale/payloads");
    let moved = tmp.path().join("held-back");
    std::fs::create_dir_all(&moved).unwrap();
    for f in ["observation-c82003.json", "observation-c82004.json"] {
        std::fs::rename(payloads.join(f), moved.join(f)).unwrap();
    }
    let first = run("2026-10-01", &[]);
    assert_eq!(
        criterion(region(&first, "river-vale"), "C1.1")["score"],
        40.0
    );
    assert!(criterion(region(&first, "river-vale"), "C1.1")["trend"]["previous"].is_null());
    // 1 November: one more.
    std::fs::rename(
        moved.join("observation-c82003.json"),
        payloads.join("observation-c82003.json"),
    )
    .unwrap();
    run("2026-11-01", &[]);
    // 29 November: the fourth; compare with the last run and with 1 October.
    std::fs::rename(
        moved.join("observation-c82004.json"),
        payloads.join("observation-c82004.json"),
    )
    .unwrap();
    let now = run(AT, &["--since", "2026-10-15"]);
    let c = criterion(region(&now, "river-vale"), "C1.1");
    assert_eq!(c["score"], 80.0);
    assert_eq!(c["trend"]["previous"], 60.0);
    assert_eq!(c["trend"]["delta_since_last"], 20.0);
    // The latest run on or before 15 October is the 1 October one.
    assert_eq!(c["trend"]["since"], 40.0);
    assert_eq!(c["trend"]["delta_since"], 40.0);
    // Unchanged criteria show a zero change, not nothing.
    assert_eq!(
        criterion(region(&now, "south-downs"), "C2.1")["trend"]["delta_since_last"],
        0.0
    );
    let series = now["trend"]["series"]["river-vale"].as_array().unwrap();
    assert_eq!(series.len(), 3);
    // The table shows the change columns.
    let out = common::run(&[
        "scorecard",
        "--evidence",
        ev.to_str().unwrap(),
        "--regions",
        regions.to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
        "--no-record",
        "--at",
        "2026-11-30",
    ]);
    let text = common::stdout(&out);
    assert!(text.contains("Δ last"), "{text}");
    // --no-record left the store with three runs.
    let again = run("2026-12-01", &["--no-record"]);
    assert_eq!(
        again["trend"]["series"]["river-vale"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

/// Rebuilds the validate, probe and cross-ICS scenario evidence by running
/// the real commands: `conform validate --pack uk-core --format json` on
/// each region's sampled payloads (north-moor: the broken UK Core
/// fixtures), `conform probe --format json` against SEKMET test peers
/// (plain, and SMART with a signed JWT), and
/// `conform scenario run testkits/cross-ics --allow-writes --format json`
/// against four seeded SEKMETs. Run by
/// testkits/mvs/build-evidence.sh; not part of the normal suite because the
/// probe's latencies and ports change on every run.
#[test]
#[ignore = "rewrites fixtures/evidence: run testkits/mvs/build-evidence.sh"]
fn build_mvs_evidence() {
    let root = common::root();
    let ev = root.join("fixtures/evidence");
    let write = |region: &str, name: &str, out: &Output| {
        let text = common::stdout(out);
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{region}/{name}: {e}\n{}", common::stderr(out)));
        assert!(v["schema"].as_str().unwrap().starts_with("conform."));
        std::fs::write(ev.join(region).join(name), text).unwrap();
    };
    let validate = |paths: &[&str]| {
        let mut args = vec![
            "validate",
            "--pack",
            "uk-core",
            "--must-support",
            "--format",
            "json",
        ];
        args.extend_from_slice(paths);
        common::run(&args)
    };
    write(
        "north-moor",
        "validate.json",
        &validate(&["fixtures/invalid/uk-core", "fixtures/valid/uk-core"]),
    );
    for r in ["river-vale", "east-fen", "west-weald", "south-downs"] {
        let payloads = format!("fixtures/evidence/{r}/payloads");
        write(r, "validate.json", &validate(&[&payloads]));
    }
    // river-vale and east-fen: a plain SEKMET (no auth, so the token checks
    // are skipped); west-weald and south-downs: SEKMET as a SMART Backend
    // Services server, reached with an RS384 signed JWT from a regions file.
    let peer = conform_peers::Sekmet::start().expect("SEKMET test peer");
    for r in ["river-vale", "east-fen"] {
        let out = common::run(&["probe", &peer.base_url, "--format", "json"]);
        write(r, "probe.json", &out);
    }
    let keys = tempfile::tempdir().unwrap();
    let key = conform_peers::KeyPair::generate("RS384", keys.path()).unwrap();
    let smart = conform_peers::Sekmet::builder()
        .smart_client(conform_peers::SmartClient {
            client_id: "conform-scorecard".into(),
            jwks: key.jwks(),
            scopes: "system/*.read".into(),
        })
        .start()
        .expect("SMART SEKMET test peer");
    let regions = keys.path().join("regions.yaml");
    std::fs::write(
        &regions,
        format!(
            "regions:\n- name: smart\n  base_url: {}\n  auth: {{type: private_key_jwt, token_url: '{}', client_id: conform-scorecard, key_file: {}, alg: RS384, kid: {}, scope: system/*.read}}\n",
            smart.base_url,
            smart.token_url(),
            key.private_pem.display(),
            key.kid
        ),
    )
    .unwrap();
    for r in ["west-weald", "south-downs"] {
        let out = common::run(&[
            "probe",
            "--regions",
            regions.to_str().unwrap(),
            "--region",
            "smart",
            "--format",
            "json",
        ]);
        write(r, "probe.json", &out);
    }

    // The cross-ICS kit (S1 to S9) on SEKMETs seeded from fixtures/seed with
    // `conform seed` and the stand-ins: green for south-downs; for
    // west-weald with the GP practice's endpoint gone from SDS (S3 fails);
    // for east-fen also with the summary pointer gone from the record
    // locator, so S1 fails at locating it.
    let start = || {
        conform_peers::Sekmet::builder()
            .no_seed()
            .start()
            .expect("SEKMET test peer")
    };
    let peers = [
        ("demographics", "DEMOGRAPHICS_URL", start()),
        ("record-locator", "RECORD_LOCATOR_URL", start()),
        ("region-a", "REGION_A_URL", start()),
        ("region-b", "REGION_B_URL", start()),
    ];
    // S3's GP practice is the GP Connect stand-in; demographics also
    // plays the directory (SDS) that names its endpoint.
    let gp = conform_peers::GpConnectProvider::start().expect("GP Connect stand-in");
    // S6's BaRS proxy and ED receiver; the directory plays DoS and ODS too.
    let bars = conform_peers::BarsReceiver::start(common::scenario::ED_DOS_SERVICE_ID)
        .expect("BaRS stand-in");
    // S4's SSP relays region A's documents; S7's launch endpoint (TLS).
    let ssp =
        conform_peers::SspDocuments::start(&peers[2].2.base_url, common::scenario::REGION_A_ASID)
            .expect("SSP stand-in");
    let launch = common::scenario::launch_endpoint(conform_peers::LaunchBehaviour::Challenge);
    let kit = |args: &[&str]| {
        let mut cmd = common::command_in(&root, args);
        for (_, var, p) in &peers {
            cmd.env(var, &p.base_url);
        }
        cmd.env("DIRECTORY_URL", &peers[0].2.base_url)
            .env("GP_PROVIDER_URL", gp.base_url())
            .env("BARS_URL", bars.base_url())
            .env("SSP_URL", ssp.base_url())
            .env("LAUNCH_URL", launch.base_url())
            .env("LAUNCH_CA_FILE", launch.ca_file());
        cmd.output().expect("conform runs")
    };
    const REGIONS: &str = "fixtures/regions-cross-ics.yaml";
    for region in peers.iter().map(|p| p.0).chain(["directory"]) {
        let dir = format!("fixtures/seed/{region}");
        let out = kit(&["seed", "--regions", REGIONS, "--region", region, &dir]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    }
    let sds = common::scenario::sds_endpoint(&gp.base_url());
    let put =
        conform_endpoint::Endpoint::new(&conform_endpoint::Region::from_url(&peers[0].2.base_url))
            .unwrap()
            .send(
                &conform_endpoint::Request::new("PUT", "Endpoint/gpc-b82617-structured").json(&sds),
            )
            .unwrap();
    assert!(
        (200..300).contains(&put.status),
        "PUT Endpoint: {}",
        put.status
    );
    let mut launch_pointer = common::scenario::seed_file(common::scenario::LAUNCH_POINTER);
    launch_pointer["content"][0]["attachment"]["url"] =
        launch.launch_url(common::scenario::LAUNCH_NHS).into();
    let put =
        conform_endpoint::Endpoint::new(&conform_endpoint::Region::from_url(&peers[1].2.base_url))
            .unwrap()
            .send(
                &conform_endpoint::Request::new(
                    "PUT",
                    "DocumentReference/RWA-ptr-launch-9990010005",
                )
                .json(&launch_pointer),
            )
            .unwrap();
    assert!(
        (200..300).contains(&put.status),
        "PUT launch pointer: {}",
        put.status
    );
    let run = || {
        kit(&[
            "--pack",
            "uk-core",
            "scenario",
            "run",
            "testkits/cross-ics",
            "--regions",
            REGIONS,
            "--allow-writes",
            "--format",
            "json",
        ])
    };
    // The exchanges (requests and response bodies, up to 256 KiB a step)
    // are dropped: the scorecard does not read them.
    let write_scenarios = |region: &str, out: &Output| {
        let mut v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(out)));
        for sc in v["scenarios"].as_array_mut().unwrap() {
            for st in sc["steps"].as_array_mut().unwrap() {
                st.as_object_mut().unwrap().remove("exchange");
            }
        }
        let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
        std::fs::write(ev.join(region).join("scenarios-cross-ics.json"), text).unwrap();
    };
    let green = run();
    assert_eq!(green.status.code(), Some(0), "{}", common::stdout(&green));
    write_scenarios("south-downs", &green);
    // west-weald: SDS no longer names the practice's GP Connect endpoint, so
    // S3 fails at the endpoint lookup ("GP not GP Connect enabled").
    let directory =
        conform_endpoint::Endpoint::new(&conform_endpoint::Region::from_url(&peers[0].2.base_url))
            .unwrap();
    let gone = directory
        .send(&conform_endpoint::Request::new(
            "DELETE",
            "Endpoint/gpc-b82617-structured",
        ))
        .unwrap();
    assert!((200..300).contains(&gone.status), "DELETE: {}", gone.status);
    let no_gp_connect = run();
    assert_eq!(
        no_gp_connect.status.code(),
        Some(1),
        "{}",
        common::stdout(&no_gp_connect)
    );
    write_scenarios("west-weald", &no_gp_connect);
    let locator =
        conform_endpoint::Endpoint::new(&conform_endpoint::Region::from_url(&peers[1].2.base_url))
            .unwrap();
    let gone = locator
        .send(&conform_endpoint::Request::new(
            "DELETE",
            "DocumentReference/RWA-ptr-9990010005",
        ))
        .unwrap();
    assert!((200..300).contains(&gone.status), "DELETE: {}", gone.status);
    let broken = run();
    assert_eq!(broken.status.code(), Some(1), "{}", common::stdout(&broken));
    write_scenarios("east-fen", &broken);
}

#[test]
fn another_programme_ships_its_own_definition() {
    let tmp = tempfile::tempdir().unwrap();
    let def = tmp.path().join("payloads-only.yaml");
    std::fs::write(
        &def,
        r#"
id: payload-quality
title: Payload quality programme
version: "0.1"
thresholds: { green: 99, amber: 90 }
gate: { overall_red: false, gating_red: true }
dimensions:
  - id: P
    title: Payloads
    weight: 1
    criteria:
      - id: P1
        title: Valid payloads
        gating: true
        measure: { kind: validate }
      - id: P2
        title: GP practices seen
        measure: { kind: care-settings, settings: [gp], mode: organisations }
levels:
  - { id: none, label: Not started }
  - id: bronze
    label: Bronze
    requires: [{ criterion: P1, at_least: amber }]
  - id: gold
    label: Gold
    requires: [{ criterion: P2, at_least: green }]
attestations: []
"#,
    )
    .unwrap();
    let out = scorecard(&["--definition", def.to_str().unwrap(), "--format", "json"]);
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    assert_eq!(r["definition"]["id"], "payload-quality");
    let level = |name: &str| {
        region(&r, name)["level"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(level("north-moor"), "none");
    assert_eq!(level("river-vale"), "bronze");
    // river-vale misses one GP practice of five (80 < 99); west-weald has all.
    assert_eq!(level("west-weald"), "gold");
    assert_eq!(level("south-downs"), "gold");
    // Only P1 (gating) Red fails: north-moor's invalid fixtures.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r["rollup"]["gate_failed"], 1);

    // A definition that names an unknown criterion is a usage error.
    std::fs::write(
        &def,
        std::fs::read_to_string(&def)
            .unwrap()
            .replace("criterion: P2", "criterion: P9"),
    )
    .unwrap();
    let out = scorecard(&["--definition", def.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("unknown criterion"),
        "{}",
        common::stderr(&out)
    );
}
