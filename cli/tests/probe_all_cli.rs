//! `conform probe --regions FILE --all`: every region of a regions file
//! probed at once into one report, against real SEKMET servers, a server
//! that fails a SHALL check, a closed port, a region whose secret is not set
//! and a server that echoes the token it is sent; and the bound on regions
//! probed at once, measured by a stand-in that counts the requests it is
//! answering.

mod common;

use common::probe::{leaky_server, write_regions};
use conform_peers::{free_port, respond, Fault, FaultServer, Sekmet, Server};
use serde_json::Value;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A token the probe sends to one region; it must never be shown.
const TOKEN: &str = "s3cret-probe-all-token-value";

/// `conform probe --regions FILE --all ARGS`, quick: no body validation,
/// Patient only, [`TOKEN`] in the variable the `leaky` region reads.
fn probe_all(regions: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "probe",
        "--regions",
        regions,
        "--all",
        "--no-validate",
        "--type",
        "Patient",
    ];
    all.extend_from_slice(args);
    common::command_in(&common::root(), &all)
        .env("CONFORM_TEST_PROBE_ALL_TOKEN", TOKEN)
        .env_remove("CONFORM_TEST_PROBE_ALL_UNSET")
        .output()
        .expect("conform runs")
}

fn json(out: &Output) -> Value {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}): {}\n{}",
            common::stdout(out),
            common::stderr(out)
        )
    });
    common::assert_follows_schema(&doc, "conform.probe-regions-1.schema.json");
    for region in doc["regions"].as_array().unwrap() {
        if !region["report"].is_null() {
            common::assert_follows_schema(&region["report"], "conform.probe-2.schema.json");
        }
    }
    doc
}

/// (region, verdict) of each region, in the report's order.
fn verdicts(doc: &Value) -> Vec<(String, String)> {
    doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["region"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn region(name: &str, url: &str) -> String {
    format!("  - name: {name}\n    base_url: {url}\n    timeout: 10s\n    retries: 0\n")
}

fn with_auth(name: &str, url: &str, token_env: &str) -> String {
    format!(
        "{}    auth: {{ type: bearer, token_env: {token_env} }}\n",
        region(name, url)
    )
}

#[test]
fn every_region_is_probed_into_one_report_in_the_files_order() {
    let servers: Vec<Sekmet> = (0..3)
        .map(|_| Sekmet::start().expect("SEKMET starts"))
        .collect();
    // Answers everything, metadata included, with an HTML page: the
    // CapabilityStatement SHALL check fails.
    let portal = FaultServer::start(Fault::WrongContentType);
    let closed = format!("http://127.0.0.1:{}/fhir", free_port());
    let leaky = leaky_server();
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        ("sekmet-a", region("sekmet-a", &servers[0].base_url)),
        ("portal", region("portal", &portal.base_url())),
        ("sekmet-b", region("sekmet-b", &servers[1].base_url)),
        ("closed", region("closed", &closed)),
        ("sekmet-c", region("sekmet-c", &servers[2].base_url)),
        (
            "no-secret",
            with_auth(
                "no-secret",
                &servers[0].base_url,
                "CONFORM_TEST_PROBE_ALL_UNSET",
            ),
        ),
        (
            "leaky",
            with_auth(
                "leaky",
                &format!("{}/fhir", leaky.url()),
                "CONFORM_TEST_PROBE_ALL_TOKEN",
            ),
        ),
    ];
    // A regions file of these entries, in this order.
    let file = |names: &[&str]| -> String {
        let yaml: String = names
            .iter()
            .map(|n| entries.iter().find(|(e, _)| e == n).unwrap().1.as_str())
            .collect();
        write_regions(dir.path(), &format!("regions:\n{yaml}"))
    };

    // Everything at once: each region's verdict in the file's order, and
    // the worst of them (a region that cannot be set up) as the exit code.
    let all = file(&[
        "sekmet-a",
        "portal",
        "sekmet-b",
        "closed",
        "sekmet-c",
        "no-secret",
    ]);
    let out = probe_all(&all, &["--format", "json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert_eq!(doc["schema"], "conform.probe-regions/1");
    let expected = [
        ("sekmet-a", "pass"),
        ("portal", "fail"),
        ("sekmet-b", "pass"),
        ("closed", "unreachable"),
        ("sekmet-c", "pass"),
        ("no-secret", "setup"),
    ]
    .map(|(n, v)| (n.to_string(), v.to_string()));
    assert_eq!(verdicts(&doc), expected);
    let s = &doc["summary"];
    assert_eq!(
        [
            &s["regions"],
            &s["passed"],
            &s["failed"],
            &s["unreachable"],
            &s["setup"]
        ],
        [6, 3, 1, 1, 1]
    );
    let regions = doc["regions"].as_array().unwrap();
    // A probed region carries the report one `--region` probe writes.
    for r in regions.iter().filter(|r| r["verdict"] == "pass") {
        assert_eq!(r["report"]["schema"], "conform.probe/2");
        assert_eq!(r["report"]["target"]["region"], r["region"]);
        assert_eq!(r["report"]["summary"]["failed_shall"], 0, "{}", r["region"]);
    }
    let portal_checks = regions[1]["report"]["checks"].as_array().unwrap();
    assert!(
        portal_checks
            .iter()
            .any(|c| c["rule"] == "metadata.capability-statement" && c["status"] == "fail"),
        "{}",
        regions[1]
    );
    // A region not probed says why, as an outcome at its URL and region.
    let closed_problem = &regions[3]["problem"];
    assert_eq!(closed_problem["rule"], "endpoint.reachable");
    assert_eq!(closed_problem["status"], "error");
    assert_eq!(closed_problem["url"], closed.as_str());
    assert_eq!(closed_problem["region"], "closed");
    assert!(
        closed_problem["message"]
            .as_str()
            .unwrap()
            .starts_with("endpoint unreachable: "),
        "{closed_problem}"
    );
    assert!(regions[3]["report"].is_null());
    let unset = &regions[5]["problem"];
    assert_eq!(unset["rule"], "region.settings");
    assert!(
        unset["message"]
            .as_str()
            .unwrap()
            .contains("CONFORM_TEST_PROBE_ALL_UNSET"),
        "{unset}"
    );

    // Without the region that cannot be set up, a failed SHALL outranks an
    // unreachable endpoint: exit 1. JUnit has a suite per region, in order,
    // the unreachable one an error.
    let four = file(&["sekmet-a", "portal", "closed", "sekmet-b"]);
    let out = probe_all(&four, &["--format", "junit"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let xml = common::stdout(&out);
    let junit = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let suites: Vec<&str> = junit
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(suites, ["sekmet-a", "portal", "closed", "sekmet-b"]);
    let closed_suite = junit
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("closed"))
        .unwrap();
    assert_eq!(closed_suite.attribute("errors"), Some("1"), "{xml}");

    // Only the network let the run down: exit 3, the reason in the text
    // beside the region's line of the summary.
    let down = file(&["sekmet-b", "closed"]);
    let out = probe_all(&down, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(
        text.contains("2 regions: 1 passed, 0 failed, 1 unreachable, 0 not set up"),
        "{text}"
    );
    let summary_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("unreachable") && l.contains("closed"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(summary_line.contains("endpoint unreachable: "), "{text}");

    // All well: exit 0; SARIF results at each region's endpoint.
    let fine = file(&["sekmet-a", "sekmet-c"]);
    let out = probe_all(&fine, &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let uris: std::collections::BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    let expected: std::collections::BTreeSet<&str> =
        [servers[0].base_url.as_str(), servers[2].base_url.as_str()].into();
    assert_eq!(
        uris, expected,
        "a SHOULD warning (plain HTTP) at each endpoint"
    );

    // The server that echoes the token it was sent (in its software name
    // and its errors) gets it masked, whatever the format, beside regions
    // that know no secret. SARIF names no software, so it has no echo to
    // mask.
    let leaks = file(&["sekmet-b", "leaky", "closed"]);
    for (format, echoed) in [
        ("text", true),
        ("json", true),
        ("junit", true),
        ("sarif", false),
    ] {
        let out = probe_all(&leaks, &["--format", format]);
        let (stdout, stderr) = (common::stdout(&out), common::stderr(&out));
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "{format}: {stdout}{stderr}"
        );
        assert_eq!(
            stdout.contains("leaky (Bearer [REDACTED])"),
            echoed,
            "{format}: the echo was there, masked: {stdout}"
        );
    }
}

/// A stand-in FHIR server that is slow to answer, counting the requests it
/// is answering at once and keeping the highest count. Requests under
/// `/r1/` are slowest, so that region finishes last.
struct Counting {
    server: Server,
    most: Arc<AtomicUsize>,
}

impl Counting {
    fn start() -> Counting {
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (n, m) = (now.clone(), most.clone());
        let server = Server::start(move |req, conn| {
            let busy = n.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(busy, Ordering::SeqCst);
            let slow = if req.target.starts_with("/r1/") {
                900
            } else {
                150
            };
            std::thread::sleep(Duration::from_millis(slow));
            // Nothing here: the probe finds no CapabilityStatement and
            // skips what needs one, after a few requests.
            let outcome = br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}"#;
            n.fetch_sub(1, Ordering::SeqCst);
            respond(
                conn,
                404,
                &[("Content-Type", "application/fhir+json")],
                outcome,
            );
        });
        Counting { server, most }
    }
}

#[test]
fn no_more_regions_than_jobs_are_probed_at_once_and_the_order_is_the_files() {
    let stand_in = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (1..=6).map(|i| format!("r{i}")).collect();
    let yaml: String = names
        .iter()
        .map(|n| region(n, &format!("{}/{n}/fhir", stand_in.server.url())))
        .collect();
    let file = write_regions(dir.path(), &format!("regions:\n{yaml}"));
    let out = probe_all(&file, &["--jobs", "2", "--format", "json"]);
    let doc = json(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no CapabilityStatement fails a SHALL"
    );
    // Two at once, never more: each region's probe sends one request at a
    // time, so the requests in flight are the regions being probed.
    assert_eq!(stand_in.most.load(Ordering::SeqCst), 2);
    let order: Vec<String> = verdicts(&doc).into_iter().map(|(n, _)| n).collect();
    assert_eq!(order, names);
    // ...although r1, the slowest, finished last (the lines on standard
    // error come as regions finish).
    let log = common::stderr(&out);
    let finished: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("conform probe: ["))
        .filter_map(|l| l.split_once("] ")?.1.split_once(':').map(|(n, _)| n))
        .collect();
    assert_eq!(finished.len(), 6, "{log}");
    assert_eq!(finished.last(), Some(&"r1"), "{log}");
}

#[test]
fn all_needs_a_regions_file_and_excludes_one_region() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_regions(
        dir.path(),
        &format!("regions:\n{}", region("a", "http://127.0.0.1:9/fhir")),
    );
    for args in [
        &["probe", "--all"][..],
        &["probe", "--regions", &file, "--all", "--region", "a"],
        &["probe", "--regions", &file],
        &["probe", "--regions", &file, "--all", "--jobs", "0"],
        &[
            "probe",
            "--regions",
            &file,
            "--all",
            "--profile",
            "gp-connect",
        ],
    ] {
        let out = common::run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }
    let empty = write_regions(dir.path(), "regions: []\n");
    let out = common::run(&["probe", "--regions", &empty, "--all"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("lists no regions"),
        "{}",
        common::stderr(&out)
    );
}
