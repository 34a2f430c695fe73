//! JUnit XML through conform-writers's one writer: a testsuite per
//! scenario (its regions, requirements and status as properties), a
//! testcase per step; a failed step is a `<failure>` listing its failed
//! assertions, a step that got no response an `<error>`, a skipped one a
//! `<skipped>` with the reason.

use crate::junit_xml::{Case, Junit, Outcome, Suite};
use conform_outcome::scenario::{RunResult, StepResult};
use conform_outcome::Status;

fn outcome(st: &StepResult) -> Outcome {
    let reason = st.reason.clone().unwrap_or_default();
    match st.status {
        Status::Pass | Status::Warn => Outcome::Pass,
        Status::Skip => Outcome::Skipped { message: reason },
        Status::Error => Outcome::Error { message: reason },
        // The request could not be built or the region's set-up is broken:
        // not an assertion about the exchange.
        Status::Fail
            if st
                .assertions
                .iter()
                .any(|a| a.rule == "request" || a.rule == "region") =>
        {
            Outcome::Error { message: reason }
        }
        Status::Fail => Outcome::Failure {
            message: reason,
            kind: "assertion".into(),
            body: st
                .assertions
                .iter()
                .filter(|a| a.status == Status::Fail)
                .map(|a| {
                    let reqs = if a.verifies.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", a.verifies.join(", "))
                    };
                    let level = super::requirement(a);
                    format!("{level} {}: {}{reqs}", a.rule, a.message)
                })
                .chain(st.exchange.as_ref().map(|e| format!("replay: {}", e.curl)))
                .collect::<Vec<_>>()
                .join("\n"),
        },
    }
}

pub fn render_junit(run: &RunResult) -> String {
    let suites = run
        .scenarios
        .iter()
        .map(|sc| Suite {
            name: sc.identity.id.clone(),
            time_secs: Some(sc.duration_ms as f64 / 1000.0),
            properties: vec![
                ("status".into(), sc.status.as_str().into()),
                ("regions".into(), sc.identity.regions.join(", ")),
                ("requirements".into(), sc.identity.requirements.join(", ")),
            ],
            cases: sc
                .steps
                .iter()
                .map(|st| Case {
                    classname: sc.identity.id.clone(),
                    name: format!("{}/{}", st.phase.as_str(), st.id),
                    time_secs: Some(st.duration_ms as f64 / 1000.0),
                    outcome: outcome(st),
                })
                .collect(),
        })
        .collect();
    Junit {
        name: "conform scenario run".into(),
        suites,
    }
    .render()
}
