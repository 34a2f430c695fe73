//! `--format junit`: one testcase per check, through the shared JUnit
//! writer. A check that did not hold is a `<failure>` whatever its
//! requirement (the type attribute says which, the body says why), a
//! skipped one `<skipped>` with the reason; the target is in the suite's
//! properties.

use crate::junit_xml::{Case, Junit, Outcome, Suite};
use conform_outcome::probe::{ProbeCheck, ProbeReport};
use conform_outcome::Status;

pub fn render_junit(r: &ProbeReport) -> String {
    Junit {
        name: "conform probe".into(),
        suites: vec![suite(r, &r.target.base_url)],
    }
    .render()
}

/// The report as one suite called `name`, one case per check.
pub(super) fn suite(r: &ProbeReport, name: &str) -> Suite {
    let t = &r.target;
    let properties = [
        ("base_url", Some(t.base_url.as_str())),
        ("region", t.region.as_deref()),
        ("auth", Some(t.auth.as_str())),
        ("fhir_version", t.fhir_version.as_deref()),
        ("software", t.software.as_deref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
    .chain([("started".to_string(), r.started.to_string())])
    .collect();
    Suite {
        name: name.to_string(),
        time_secs: Some(r.duration_ms / 1000.0),
        properties,
        cases: r.checks.iter().map(case).collect(),
    }
}

/// A check as a case: a check that did not hold is a failure, unless it
/// could not be run at all (`error`: the region was not probed), which is
/// an error.
pub(super) fn case(c: &ProbeCheck) -> Case {
    let (id, requirement) = (&c.outcome.rule, c.requirement().as_str());
    Case {
        classname: id.split('.').next().unwrap_or("probe").to_string(),
        name: format!("{id} [{requirement}]"),
        time_secs: c.latency_ms.map(|ms| ms / 1000.0),
        outcome: if c.outcome.status == Status::Error {
            Outcome::Error {
                message: c.outcome.message.clone(),
            }
        } else if c.did_not_hold() {
            Outcome::Failure {
                message: c.outcome.message.clone(),
                kind: requirement.to_string(),
                body: c.outcome.why.clone().unwrap_or_default(),
            }
        } else if c.outcome.status == Status::Skip {
            Outcome::Skipped {
                message: c.outcome.message.clone(),
            }
        } else {
            Outcome::Pass
        },
    }
}
