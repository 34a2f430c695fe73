//! The probe's judgements: against a real SEKMET, and against a server
//! whose CapabilityStatement lies (declared-but-missing and
//! working-but-undeclared), with a validator that finds errors.

use conform_endpoint::{Endpoint, Region};
use conform_outcome::Status;
use conform_peers::{respond, Sekmet, Server};
use conform_probe::{run_probe, BodyValidator, ProbeOptions, ProbeReport};
use serde_json::json;

fn status(r: &ProbeReport, id: &str) -> (Status, String) {
    let c = r
        .checks
        .iter()
        .find(|c| c.outcome.rule == id)
        .unwrap_or_else(|| panic!("no check {id}"));
    (c.outcome.status, c.outcome.message.clone())
}

fn options(types: &[&str]) -> ProbeOptions {
    ProbeOptions {
        types: types.iter().map(|s| s.to_string()).collect(),
        ..ProbeOptions::default()
    }
}

/// Declares Patient read + search, serves Patient search but 404s every
/// read; does not declare Observation but serves its search.
fn lying_server() -> Server {
    Server::start(|req, conn| {
        let fhir = [("Content-Type", "application/fhir+json")];
        let path = req.target.split('?').next().unwrap_or("");
        let body = match path {
            "/fhir/metadata" => {
                json!({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01", "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
                "rest": [{"mode": "server", "resource": [{"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}]}]}]})
            }
            "/fhir/Patient" => {
                json!({"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}, "search": {"mode": "match"}}]})
            }
            "/fhir/Observation" => {
                json!({"resourceType": "Bundle", "type": "searchset", "total": 0})
            }
            _ => {
                return respond(conn, 404, &fhir, json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}).to_string().as_bytes());
            }
        };
        respond(conn, 200, &fhir, body.to_string().as_bytes());
    })
}

#[test]
fn declared_but_missing_and_working_but_undeclared_are_both_reported() {
    let s = lying_server();
    let ep = Endpoint::new(&Region::from_url(&format!("{}/fhir", s.url()))).unwrap();
    let r = run_probe(&ep, None, &options(&["Patient", "Observation"])).unwrap();
    let (st, msg) = status(&r, "Patient.read");
    assert_eq!(st, Status::Fail);
    assert_eq!(msg, "declared but not working: GET Patient/p1: status 404");
    // a SHOULD that does not hold is a warning, not a failure
    let (st, msg) = status(&r, "Observation.search.undeclared");
    assert_eq!(st, Status::Warn);
    assert!(msg.starts_with("works but is not declared"), "{msg}");
    assert_eq!(status(&r, "Observation.search").0, Status::Skip);
    assert_eq!(status(&r, "Patient.search").0, Status::Pass);
    assert_eq!(
        status(&r, "Patient.search.valid"),
        (Status::Skip, "no validator loaded".into())
    );
    assert!(!r.passed(), "a SHALL check failed");
    assert_eq!(r.summary.failed_shall, 1);
    assert!(r.summary.failed_should >= 1);
}

/// Finds an error in every Patient.
struct NoPatients;
impl BodyValidator for NoPatients {
    fn errors(&self, body: &[u8]) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        if v["resourceType"] == "Patient" {
            vec!["Patient: not allowed here [test]".into()]
        } else {
            Vec::new()
        }
    }
}

#[test]
fn sekmet_probed_through_the_library_with_a_validator() {
    let s = Sekmet::start().expect("sekmet");
    let ep = Endpoint::new(&Region::from_url(&s.base_url)).unwrap();
    let r = run_probe(
        &ep,
        Some(&NoPatients),
        &options(&["Patient", "Organization"]),
    )
    .unwrap();
    let (st, msg) = status(&r, "Patient.read.valid");
    assert_eq!(st, Status::Fail);
    assert!(
        msg.ends_with("1 validation error(s): Patient: not allowed here [test]"),
        "{msg}"
    );
    assert_eq!(status(&r, "Organization.read.valid").0, Status::Pass);
    assert_eq!(status(&r, "Patient.read").0, Status::Pass);
    assert_eq!(r.target.fhir_version.as_deref(), Some("4.0.1"));
    assert!(r
        .latency
        .iter()
        .any(|l| l.interaction == "read" && l.count >= 2 && l.p95_ms >= l.p50_ms));
    assert_eq!(
        r.summary.failed_shall, 1,
        "only the planted validation error"
    );
}
