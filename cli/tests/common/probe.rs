//! Helpers of the probe CLI tests: running `conform probe`, reading its
//! JSON report (checked against the generated schema), writing a regions
//! file, and a server that leaks the token it is sent.

use serde_json::Value;
use std::path::Path;
use std::process::Output;

pub fn probe(args: &[&str]) -> Output {
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    super::run(&all)
}

pub fn probe_json(args: &[&str]) -> (Value, Output) {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let out = probe(&all);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}): {}\n{}",
            super::stdout(&out),
            super::stderr(&out)
        )
    });
    super::assert_follows_schema(&json, "conform.probe-2.schema.json");
    (json, out)
}

pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

pub fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

pub fn write_regions(dir: &Path, yaml: &str) -> String {
    let p = dir.join("regions.yaml");
    std::fs::write(&p, yaml).unwrap();
    p.display().to_string()
}

/// A FHIR endpoint that puts the bearer token it was sent into its
/// CapabilityStatement and errors, so only redaction keeps it out.
pub fn leaky_server() -> conform_peers::Server {
    conform_peers::Server::start(|req, conn| {
        let auth = req.header("authorization").unwrap_or("none").to_string();
        let cs = serde_json::json!({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01", "kind": "instance",
            "software": {"name": format!("leaky ({auth})")}, "fhirVersion": "4.0.1", "format": ["json"],
            "rest": [{"mode": "server", "resource": [{"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}]}]}]});
        let body = if req.target.contains("metadata") {
            cs.to_string()
        } else {
            serde_json::json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing", "diagnostics": auth}]}).to_string()
        };
        let status = if req.target.contains("metadata") {
            200
        } else {
            500
        };
        conform_peers::respond(
            conn,
            status,
            &[("Content-Type", "application/fhir+json")],
            body.as_bytes(),
        );
    })
}
