//! The evidence folder reader (tolerant of unknown fields, payloads and
//! shared scenario files), cumulative levels, and the history store.

use conform_regions::{CareSetting, Organisation};
use conform_scorecard::*;
use serde_json::json;
use std::path::Path;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A `conform.scenario/1` document as the runner wrote it, around the
/// given scenarios (each given the fields they leave out).
fn scenario_run_v1(scenarios: serde_json::Value) -> serde_json::Value {
    let scenarios: Vec<serde_json::Value> = scenarios
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut full = json!({"title": "t", "source": "s.yaml", "tags": [], "roles": {},
                "matrix": {}, "duration_ms": 1});
            for (k, v) in s.as_object().unwrap() {
                full[k] = v.clone();
            }
            full
        })
        .collect();
    json!({"schema": "conform.scenario/1", "tool": {"name": "conform", "version": "0.1.0"},
        "started": "2026-11-28T10:00:00Z", "duration_ms": 2, "allow_writes": false,
        "regions": [], "summary": {"scenarios": 0, "passed": 0, "failed": 0, "skipped": 0,
        "steps": 0, "assertions": 0, "failed_assertions": 0, "warnings": 0},
        "scenarios": scenarios})
}

#[test]
fn scenario_results_of_both_versions_read_as_the_same_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let step = json!({"id": "read", "name": "read", "phase": "test", "region": "a",
        "writes": false, "status": "pass", "duration_ms": 1, "attempts": 1, "captures": {},
        "assertions": [
            {"id": "status", "severity": "SHALL", "requirements": ["S1-TRACE"], "status": "pass", "message": "status 200"},
            {"id": "etag", "severity": "SHOULD", "requirements": [], "status": "warn", "message": "no ETag"}]});
    let v1 = scenario_run_v1(
        json!([{"id": "s1", "requirements": ["S1"], "regions": ["a"],
        "status": "pass", "steps": [step]}]),
    );
    write(&root.join("a/v1.json"), &v1.to_string());
    let from_v1 = Evidence::load(root, "a").unwrap().scenarios;
    let a = &from_v1[0].steps[0].assertions;
    assert_eq!(
        (a[0].rule.as_str(), a[0].status, &a[0].verifies),
        (
            "status",
            conform_outcome::Status::Pass,
            &vec!["S1-TRACE".to_string()]
        )
    );
    assert_eq!(
        (a[1].status, a[1].severity),
        (
            conform_outcome::Status::Warn,
            conform_outcome::Severity::Warning
        )
    );
    assert_eq!(a[1].location.step.as_deref(), Some("read"));
    assert_eq!(held(&a[1]), Some(false), "a warning did not hold");
    assert_eq!(scenario_points(&from_v1[0], 0.5), Some(0.5));

    // The same run written as /2 reads back identically.
    let mut v2 = v1.clone();
    v2["schema"] = json!(conform_outcome::scenario::SCHEMA);
    v2["scenarios"] = json!([]);
    let mut run: ScenarioReport = serde_json::from_value(v2).unwrap();
    run.scenarios = from_v1.clone();
    std::fs::remove_file(root.join("a/v1.json")).unwrap();
    write(
        &root.join("a/v2.json"),
        &serde_json::to_string(&run).unwrap(),
    );
    assert_eq!(Evidence::load(root, "a").unwrap().scenarios, from_v1);

    write(
        &root.join("a/v9.json"),
        r#"{"schema": "conform.scenario/9"}"#,
    );
    let err = Evidence::load(root, "a").unwrap_err().to_string();
    assert!(
        err.contains("conform.scenario/9 is not a version this scorecard reads"),
        "{err}"
    );
}

fn org(ods: &str, care_setting: CareSetting) -> Organisation {
    Organisation {
        ods: ods.into(),
        name: ods.into(),
        care_setting,
    }
}

#[test]
fn evidence_folder_is_read_tolerantly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // A validate report from a newer minor version (unknown fields are
    // ignored) whose issue has no status, as written before issues had one.
    write(
        &root.join("a/runs/validate.json"),
        &json!({"schema": "conform.validate/1", "new_field": {"x": 1},
            "tool": {"name": "conform", "version": "0.1.0"}, "packages": [],
            "summary": {"files": 1, "resources": 2, "errors": 1, "warnings": 0, "information": 0,
                "unverified": 0, "unreadable": 0, "future": true},
            "files": [{"path": "p.json", "resources": [
                {"resourceType": "Patient", "id": "1", "line": 1, "valid": true, "issues": [], "extra": 1},
                {"resourceType": "Patient", "id": "2", "line": 1, "valid": false, "issues": [
                    {"severity": "error", "rule": "nhs-number-check-digit", "message": "bad", "line": 3}]}]}]})
        .to_string(),
    );
    // JSON that is not one of our reports is ignored.
    write(&root.join("a/notes.json"), r#"{"hello": "world"}"#);
    // Payloads: NDJSON with an ODS custodian and a Bundle with an author.
    write(
        &root.join("a/payloads/sample.ndjson"),
        &format!(
            "{}\n\n{}\n",
            json!({"resourceType": "DocumentReference", "custodian": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "rr8"}}}),
            json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Composition", "author": [{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "B86030"}}]}}]})
        ),
    );
    write(
        &root.join("a/attestations.yaml"),
        "attestations:\n  delivery-plan: { status: attested, date: 2026-01-01 }\n",
    );
    // A shared scenario report: one result names region a, one does not.
    write(
        &root.join("shared.json"),
        &scenario_run_v1(json!([
            {"id": "s1-x", "requirements": ["S1"], "regions": ["a", "b"], "status": "pass", "steps": []},
            {"id": "s1-y", "requirements": ["S1"], "regions": ["b"], "status": "fail", "reason": "r", "steps": []}]))
        .to_string(),
    );
    let ev = Evidence::load(root, "a").unwrap();
    assert_eq!(ev.validate.len(), 1);
    let issue = &ev.validate[0].files[0].resources[1].issues[0];
    assert_eq!(
        issue.status,
        conform_outcome::Status::Fail,
        "from its severity"
    );
    assert_eq!(ev.payload_files, 1);
    let seen: Vec<&str> = ev.ods_seen.iter().map(|s| s.ods.as_str()).collect();
    assert_eq!(seen, ["RR8", "B86030"]);
    assert_eq!(ev.scenarios.len(), 1);
    assert!(scenario_is(&ev.scenarios[0], "S1"));
    assert_eq!(ev.attestations["delivery-plan"].status, "attested");
    assert_eq!(
        ev.files,
        ["a/attestations.yaml", "a/runs/validate.json", "shared.json"]
    );
    // A region without a folder has only what shared files give it.
    let b = Evidence::load(root, "b").unwrap();
    assert_eq!(b.scenarios.len(), 2);
    assert!(b.validate.is_empty());

    // Attestations filed in another region's folder are refused.
    write(
        &root.join("a/attestations.yaml"),
        "region: b\nattestations: {}\n",
    );
    let err = Evidence::load(root, "a").unwrap_err().to_string();
    assert!(err.contains("attestations for region 'b'"), "{err}");
}

#[test]
fn levels_are_cumulative() {
    // Next-step settings all contributing (L2's element) but no GP practice
    // (L1's): the region stays at L0.
    let def = Definition::mvs();
    let register = vec![
        org("G1", CareSetting::Gp),
        org("A1", CareSetting::Acute),
        org("M1", CareSetting::MentalHealth),
        org("C1", CareSetting::Community),
        org("S1", CareSetting::SocialCare),
        org("H1", CareSetting::Hospice),
        org("P1", CareSetting::Pharmacy),
    ];
    let seen = ["A1", "M1", "C1", "S1", "H1", "P1"];
    let ev = Evidence {
        payload_files: 1,
        ods_seen: seen
            .iter()
            .map(|o| OdsSighting {
                ods: o.to_string(),
                element: "custodian".into(),
                file: "f".into(),
            })
            .collect(),
        ..Evidence::default()
    };
    let card = score_region(&def, "r", &register, &ev);
    assert_eq!(card.criterion("C1.3").unwrap().score, Some(50.0));
    assert_eq!(card.criterion("C1.1").unwrap().rag, Rag::Red);
    assert_eq!(card.level.id, "L0");
    assert_eq!(card.level.next.as_deref(), Some("L1"));
    // C1.1 is gating: Red caps the overall.
    assert_eq!(card.overall.rag, Rag::Red);
}

#[test]
fn history_keeps_runs_per_region_in_time_order() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("deep/h.redb");
    let def = Definition::mvs();
    let card = |name: &str| score_region(&def, name, &[], &Evidence::default());
    let report = |at: &str| from_cards(&def, vec![card("a"), card("b")], at.into());
    {
        let h = History::open(&path).unwrap();
        assert!(h.runs("a").unwrap().is_empty());
        h.record(&report("2026-11-02T00:00:00Z")).unwrap();
        h.record(&report("2026-11-01T00:00:00Z")).unwrap();
        h.record(&report("2026-11-02T00:00:00Z")).unwrap(); // replaces
    }
    let h = History::open(&path).unwrap();
    let runs = h.runs("a").unwrap();
    let at: Vec<&str> = runs.iter().map(|r| r.at.as_str()).collect();
    assert_eq!(at, ["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"]);
    assert_eq!(runs[0].criteria.len(), 16);
    assert_eq!(h.runs("b").unwrap().len(), 2);
    assert!(h.runs("c").unwrap().is_empty());
}
