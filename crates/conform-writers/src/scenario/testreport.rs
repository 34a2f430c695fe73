//! FHIR R4 TestReport: one per scenario (a collection Bundle of them for a
//! run). Each step is an operation action followed by one assert action per
//! assertion; setup steps go to `setup`, each step (or TestScript test) of
//! the scenario to a `test`, teardown steps to `teardown` (operations only,
//! as R4 allows).

use conform_outcome::scenario::{slug, Phase, RunResult, ScenarioResult, StepResult};
use conform_outcome::Status;
use serde_json::{json, Value};

fn result_code(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip => "skip",
        Status::Warn => "warning",
        Status::Error => "error",
    }
}

fn operation(st: &StepResult) -> Value {
    let mut op = json!({"result": match st.status {
        Status::Skip => "skip",
        // The request itself went; whether it held is in the asserts.
        _ if st.exchange.as_ref().is_some_and(|e| e.response.is_some()) => "pass",
        _ => "error",
    }});
    let mut msg = st.name.clone();
    if let Some(e) = &st.exchange {
        msg = format!(
            "{} ({} {})",
            msg,
            e.request.method.as_deref().unwrap_or(""),
            e.request.url.as_deref().unwrap_or("")
        );
    }
    if let Some(r) = &st.reason {
        msg = format!("{msg}: {r}");
    }
    op["message"] = json!(msg);
    json!({"operation": op})
}

fn actions(st: &StepResult, with_asserts: bool) -> Vec<Value> {
    let mut out = vec![operation(st)];
    if with_asserts {
        for a in &st.assertions {
            let level = super::requirement(a);
            let mut msg = format!("{level} {}: {}", a.rule, a.message);
            if !a.verifies.is_empty() {
                msg.push_str(&format!(" [{}]", a.verifies.join(", ")));
            }
            out.push(json!({"assert": {"result": result_code(a.status), "message": msg}}));
        }
    }
    out
}

/// One scenario's TestReport.
pub fn testreport(run: &RunResult, sc: &ScenarioResult) -> Value {
    let total = sc.steps.iter().flat_map(|s| &s.assertions).count();
    let passed = sc
        .steps
        .iter()
        .flat_map(|s| &s.assertions)
        .filter(|a| a.status == Status::Pass)
        .count();
    let mut tr = json!({
        "resourceType": "TestReport",
        "id": slug(&sc.identity.id),
        "name": sc.identity.title,
        "status": "completed",
        "testScript": {"display": format!("{} ({})", sc.identity.id, sc.identity.source)},
        "result": match sc.status { Status::Fail | Status::Error => "fail", Status::Skip => "pending", _ => "pass" },
        "score": if total == 0 { 0.0 } else { (passed as f64 * 1000.0 / total as f64).round() / 10.0 },
        "tester": "conform",
        "issued": run.started,
    });
    let participants: Vec<Value> = run
        .regions
        .iter()
        .filter(|r| sc.identity.regions.contains(&r.name))
        .map(|r| json!({"type": "server", "uri": r.base_url, "display": r.name}))
        .collect();
    if !participants.is_empty() {
        tr["participant"] = json!(participants);
    }
    let setup: Vec<Value> = sc
        .steps
        .iter()
        .filter(|s| s.phase == Phase::Setup)
        .flat_map(|s| actions(s, true))
        .collect();
    if !setup.is_empty() {
        tr["setup"] = json!({"action": setup});
    }
    let mut tests: Vec<(String, Vec<Value>)> = Vec::new();
    for st in sc.steps.iter().filter(|s| s.phase == Phase::Test) {
        let name = st.group.clone().unwrap_or(st.name.clone());
        match tests.last_mut() {
            Some((n, acts)) if *n == name && st.group.is_some() => acts.extend(actions(st, true)),
            _ => tests.push((name, actions(st, true))),
        }
    }
    if !tests.is_empty() {
        tr["test"] = json!(tests
            .into_iter()
            .map(|(name, action)| json!({"name": name, "action": action}))
            .collect::<Vec<_>>());
    }
    let teardown: Vec<Value> = sc
        .steps
        .iter()
        .filter(|s| s.phase == Phase::Teardown)
        .flat_map(|s| actions(s, false))
        .collect();
    if !teardown.is_empty() {
        tr["teardown"] = json!({"action": teardown});
    }
    tr
}

/// The run as a collection Bundle of TestReports.
pub fn render_testreport(run: &RunResult) -> String {
    let entries: Vec<Value> = run
        .scenarios
        .iter()
        .map(|sc| json!({"fullUrl": format!("urn:uuid:{}", uuid::Uuid::new_v4()), "resource": testreport(run, sc)}))
        .collect();
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": run.started,
        "entry": entries,
    });
    let mut s = serde_json::to_string_pretty(&bundle).unwrap_or_default();
    s.push('\n');
    s
}
