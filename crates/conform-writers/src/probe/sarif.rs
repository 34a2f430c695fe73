//! `--format sarif`: each check as an [`Outcome`] of the endpoint, through
//! the one SARIF writer, so code scanning shows a failed SHALL check beside
//! a payload error.

use crate::{Check, ProbeReport, Severity, Status};
use conform_outcome::{Location, Outcome, Requirement};
use conform_writers::{Group, SarifOptions, Scope};

impl Check {
    /// The check as an outcome at `base_url` (and the region it belongs to).
    pub fn outcome(&self, base_url: &str, region: Option<&str>) -> Outcome {
        let requirement = match self.severity {
            Severity::Shall => Requirement::Shall,
            Severity::Should => Requirement::Should,
            Severity::May => Requirement::May,
        };
        let status = match self.status {
            Status::Pass => conform_outcome::Status::Pass,
            Status::Fail => conform_outcome::Status::Fail,
            Status::Skip => conform_outcome::Status::Skip,
        };
        Outcome::check(&self.id, requirement, status, &self.message)
            .with_why(&self.why)
            .with_location(Location {
                url: Some(base_url.to_string()),
                region: region.map(String::from),
                ..Location::default()
            })
    }
}

pub fn render_sarif(r: &ProbeReport) -> String {
    let t = &r.target;
    let outcomes: Vec<Outcome> = r
        .checks
        .iter()
        .map(|c| c.outcome(&t.base_url, t.region.as_deref()))
        .collect();
    let group = Group {
        scope: Scope::Endpoint(&t.base_url),
        outcomes: outcomes.iter().collect(),
    };
    conform_writers::render_sarif(&[group], &SarifOptions::default())
}
