//! `conform scenario run|check` and `conform seed` on regions and scenarios
//! each test writes for itself (the cross-ICS kit is scenario_cli.rs): our
//! TestScripts run against two SEKMETs with a TestReport, secrets never
//! reach a report, `scenario check` names file and line of a mistake, an
//! unreachable region exits 3, and `seed` exits 1, 2 or 3 as it should.

mod common;

use common::scenario::{json_of, scenario, send, KIT};
use conform_endpoint::Request;
use conform_peers::Sekmet;
use serde_json::{json, Value};

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
    // Nothing unsupported; the search's navigation links are checked.
    let rs = scenario(&r, "ts-read-search");
    assert!(rs["unsupported"].is_null(), "{}", rs["unsupported"]);
    let search = &rs["steps"][2];
    assert_eq!(search["group"], "search");
    assert_eq!(search["assertions"][1]["rule"], "links");
    assert_eq!(search["assertions"][1]["status"], "pass");
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
    assert_eq!(common::stdout(&out), "ok: 10 scenarios (87 steps)\n");

    // The whole testkits folder: both kits; other YAML there is not a scenario.
    let out = common::run(&["scenario", "check", "testkits"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).starts_with("ok: 13 scenarios (97 steps)\n"),
        "{}",
        common::stdout(&out)
    );

    // TestScripts are checked without --bind; nothing in them is unsupported.
    let out = common::run(&["scenario", "check", "testkits/testscript"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), "ok: 3 scenarios (10 steps)\n");

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
