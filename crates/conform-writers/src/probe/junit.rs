//! `--format junit`: one testcase per check, through the shared JUnit
//! writer. A failed check is a `<failure>` whatever its severity (the type
//! attribute says which, the body says why), a skipped one `<skipped>` with
//! the reason; the target is in the suite's properties.

use crate::{ProbeReport, Status};
use conform_writers::junit_xml::{Case, Junit, Outcome, Suite};

pub fn render_junit(r: &ProbeReport) -> String {
    let t = &r.target;
    let properties = [
        ("base_url", Some(t.base_url.as_str())),
        ("region", t.region.as_deref()),
        ("auth", Some(t.auth.as_str())),
        ("fhir_version", t.fhir_version.as_deref()),
        ("software", t.software.as_deref()),
        ("started", Some(r.started.as_str())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
    .collect();
    let cases = r
        .checks
        .iter()
        .map(|c| Case {
            classname: c.id.split('.').next().unwrap_or("probe").to_string(),
            name: format!("{} [{}]", c.id, c.severity.as_str()),
            time_secs: c.latency_ms.map(|ms| ms / 1000.0),
            outcome: match c.status {
                Status::Pass => Outcome::Pass,
                Status::Fail => Outcome::Failure {
                    message: c.message.clone(),
                    kind: c.severity.as_str().to_string(),
                    body: c.why.clone(),
                },
                Status::Skip => Outcome::Skipped {
                    message: c.message.clone(),
                },
            },
        })
        .collect();
    Junit {
        name: "conform probe".into(),
        suites: vec![Suite {
            name: t.base_url.clone(),
            time_secs: Some(r.duration_ms / 1000.0),
            properties,
            cases,
        }],
    }
    .render()
}
