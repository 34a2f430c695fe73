//! `conform probe` against real peers: plain SEKMET (read-only and with
//! writes), served invalid resources, JUnit and usage errors. Auth, TLS,
//! secrets and hostile servers are in probe_auth_cli.rs.

mod common;

use common::probe::{check, probe, probe_json, status, write_regions};

use conform_peers::{Fault, FaultServer, Sekmet};
use serde_json::Value;

/// Ports, ids, latencies and dates change from run to run.
fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    s.add_filter(r"p50 +[\d.]+  p95 +[\d.]+", "p50 [MS]  p95 [MS]");
    s.add_filter(r"n=\d+ +", "n=[N] ");
    s.add_filter(r"\d+ requests", "[N] requests");
    common::filter_pseudonyms(&mut s);
    s
}

#[test]
fn plain_sekmet_read_only_passes_every_shall_and_validates_every_body() {
    let s = Sekmet::start().expect("sekmet");
    let (r, out) = probe_json(&[&s.base_url, "--pack", "uk-core"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert_eq!(r["schema"], "conform.probe/2");
    let started = r["started"].as_str().unwrap();
    assert!(
        started.len() == 20 && started.ends_with('Z'),
        "RFC 3339 to the second: {started}"
    );
    assert_eq!(r["target"]["fhir_version"], "4.0.1");
    assert_eq!(r["summary"]["failed_shall"], 0);
    for id in [
        "metadata.capability-statement",
        "metadata.fhir-version",
        "metadata.valid",
        "Patient.search",
        "Patient.search.valid",
        "Patient.read",
        "Patient.read.valid",
        "Patient.read.etag",
        "Observation.read.valid",
        "Organization.search.identifier",
        "format.accept-json",
        "format.xml",
        "errors.unknown-id",
        "errors.unknown-id-outcome",
        "http.request-id",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", check(&r, id));
    }
    let nhs = check(&r, "Patient.search.identifier");
    assert_eq!(nhs["status"], "pass");
    assert!(
        nhs["message"].as_str().unwrap().contains("NHS number"),
        "{nhs}"
    );
    // Five Patients are seeded and _count is 2: the next link is followed.
    assert_eq!(
        status(&r, "Patient.search.paging"),
        "pass",
        "{}",
        check(&r, "Patient.search.paging")
    );
    // Plain HTTP is reported, not hidden (a SHOULD: a warning); TLS checks
    // say why they skip.
    assert_eq!(status(&r, "tls.in-use"), "warn");
    assert_eq!(
        check(&r, "tls.version")["message"],
        "plain HTTP endpoint: no TLS to inspect"
    );
    // Read-only by default: every write check is skipped with the reason.
    for c in r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"].as_str().unwrap().starts_with("write."))
    {
        assert_eq!(c["status"], "skip");
        assert!(c["message"].as_str().unwrap().contains("--allow-writes"));
    }
    // Nothing passes silently: every check has a requirement and a why.
    for c in r["checks"].as_array().unwrap() {
        assert!(["SHALL", "SHOULD", "MAY"].contains(&c["requirement"].as_str().unwrap()));
        assert!(!c["why"].as_str().unwrap().is_empty());
        assert!(!c["message"].as_str().unwrap().is_empty());
    }
    let interactions: Vec<&str> = r["latency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["interaction"].as_str().unwrap())
        .collect();
    assert!(
        interactions.contains(&"read") && interactions.contains(&"search-type"),
        "{interactions:?}"
    );
    assert!(r["summary"]["requests"].as_u64().unwrap() > 20);
    assert_eq!(r["summary"]["error_rate"], 0.0);

    let text = probe(&[
        &s.base_url,
        "--no-validate",
        "--type",
        "Patient",
        "--type",
        "Organization",
    ]);
    assert_eq!(text.status.code(), Some(0));
    filters().bind(|| insta::assert_snapshot!("probe_plain_sekmet_text", common::stdout(&text)));
}

/// `--must-support`: the report holds, per UK Core profile the bodies were
/// validated against, how many instances populated each Must-Support
/// element; without it, nothing.
#[test]
fn must_support_population_of_the_bodies_is_reported_when_asked() {
    let s = Sekmet::start().expect("sekmet");
    let (r, out) = probe_json(&[&s.base_url, "--pack", "uk-core", "--must-support"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    let profiles = r["must_support"]["profiles"].as_array().expect("tallies");
    let patient = profiles
        .iter()
        .find(|p| p["profile"] == "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient")
        .unwrap_or_else(|| panic!("no UK Core Patient tally: {}", r["must_support"]));
    assert!(patient["instances"].as_u64().unwrap() >= 1, "{patient}");
    let elements = patient["elements"].as_array().unwrap();
    assert!(!elements.is_empty(), "{patient}");
    assert!(
        elements
            .iter()
            .any(|e| e["populated"].as_u64().unwrap() > 0),
        "{patient}"
    );
    let (plain, _) = probe_json(&[&s.base_url, "--pack", "uk-core"]);
    assert!(
        plain.get("must_support").is_none(),
        "{}",
        plain["must_support"]
    );
    // Nothing to tally without validation.
    let out = common::run(&["probe", &s.base_url, "--no-validate", "--must-support"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
}

#[test]
fn invalid_resources_served_by_sekmet_fail_validation_with_the_uk_core_pack() {
    // SEKMET stores what it is given (it does not check required bindings),
    // so a real server can serve what our validator rejects.
    let mut s = Sekmet::builder().no_seed().start().expect("sekmet");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(common::root().join(f)).unwrap()).unwrap()
    };
    s.seed(&[
        read("fixtures/invalid/patient-bad-gender-code.json"),
        read("fixtures/invalid/uk-core/patient-nhs-number-bad-check-digit.json"),
    ])
    .unwrap();
    let (r, out) = probe_json(&[&s.base_url, "--pack", "uk-core", "--type", "Patient"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(status(&r, "Patient.search"), "pass");
    assert_eq!(status(&r, "Patient.search.valid"), "fail");
    let msg = check(&r, "Patient.search.valid")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.starts_with("the searchset: "), "{msg}");
    assert_eq!(
        status(&r, "Patient.read.valid"),
        "fail",
        "{}",
        check(&r, "Patient.read.valid")
    );
    assert_eq!(status(&r, "metadata.valid"), "pass");
}

#[test]
fn plain_sekmet_with_writes_creates_updates_and_removes_its_own_data() {
    let s = Sekmet::start().expect("sekmet");
    let (r, out) = probe_json(&[
        &s.base_url,
        "--allow-writes",
        "--no-validate",
        "--type",
        "Patient",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    for id in [
        "write.create",
        "write.create.location",
        "write.conditional-create",
        "write.update",
        "write.update.stale",
        "write.transaction",
        "write.delete",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", check(&r, id));
    }
    assert!(check(&r, "write.transaction")["message"]
        .as_str()
        .unwrap()
        .contains("Observation.subject is Patient/"));
    let mut json_filters = filters();
    json_filters.add_filter(
        r#""(latency_ms|duration_ms|p50_ms|p95_ms|error_rate)": [\d.]+"#,
        r#""$1": [MS]"#,
    );
    json_filters.add_filter(r#""(count|requests)": \d+"#, r#""$1": [N]"#);
    json_filters.add_filter(r#""started": "[^"]+""#, r#""started": "[DATE]""#);
    json_filters.add_filter(r#"W/\\"\d+\\""#, r#"W/\"[V]\""#);
    json_filters.add_filter(r"version now \d+", "version now [V]");
    json_filters.bind(|| insta::assert_snapshot!("probe_sekmet_writes_json", common::stdout(&out)));
    // Nothing the probe made is left behind.
    let left: Value = reqwest_get(&format!(
        "{}/Patient?identifier=https://conform.invalid/probe-run|",
        s.base_url
    ));
    assert_eq!(left["total"], 0, "{left}");
    let seeded: Value = reqwest_get(&format!("{}/Patient?_count=50", s.base_url));
    assert_eq!(seeded["total"], 5, "the fixtures are untouched");
}

fn reqwest_get(url: &str) -> Value {
    let out = std::process::Command::new("curl")
        .args(["-s", "-H", "Accept: application/fhir+json", url])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn junit_has_one_testcase_per_check() {
    let server = FaultServer::start(Fault::WrongContentType);
    let (r, _) = probe_json(&[&server.base_url(), "--no-validate"]);
    let out = probe(&[&server.base_url(), "--no-validate", "--format", "junit"]);
    let xml = common::stdout(&out);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), r["checks"].as_array().unwrap().len());
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|x| x.has_tag_name("failure")))
        .count();
    assert_eq!(failures as u64, r["summary"]["failed"].as_u64().unwrap());
    let skipped = cases
        .iter()
        .filter(|c| c.children().any(|x| x.has_tag_name("skipped")))
        .count();
    assert_eq!(skipped as u64, r["summary"]["skipped"].as_u64().unwrap());
    let meta = cases
        .iter()
        .find(|c| c.attribute("name") == Some("metadata.capability-statement [SHALL]"))
        .unwrap();
    let failure = meta.children().find(|x| x.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("SHALL"));
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = probe(&["http://127.0.0.1:9/fhir", "--format", "html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("unknown format 'html'"));
    let out = probe(&["ftp://example/fhir"]);
    assert_eq!(out.status.code(), Some(2));
    let regions = write_regions(dir.path(), "regions:\n- name: a\n  base_url: http://127.0.0.1:9/fhir\n  auth: {type: bearer, token_env: CONFORM_TEST_UNSET_TOKEN}\n");
    let out = probe(&["--regions", &regions, "--region", "b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no region 'b' (the file has: a)"),
        "{}",
        common::stderr(&out)
    );
    let out = probe(&["--regions", &regions, "--region", "a"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("CONFORM_TEST_UNSET_TOKEN is not set"),
        "{}",
        common::stderr(&out)
    );
    let out = probe(&["http://127.0.0.1:9/fhir", "--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_example_regions_file_parses() {
    let file = common::root().join("fixtures/regions.yaml");
    let out = probe(&[
        "--regions",
        file.to_str().unwrap(),
        "--region",
        "no-such-region",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("no region 'no-such-region' (the file has: "),
        "{err}"
    );
}
