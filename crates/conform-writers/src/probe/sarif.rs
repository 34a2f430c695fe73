//! `--format sarif`: each check's outcome at the endpoint, through the one
//! SARIF writer, so code scanning shows a failed SHALL check beside a
//! payload error.

use crate::{Group, SarifOptions, Scope};
use conform_outcome::probe::ProbeReport;

pub fn render_sarif(r: &ProbeReport) -> String {
    let group = Group {
        scope: Scope::Endpoint(&r.target.base_url),
        outcomes: r.checks.iter().map(|c| &c.outcome).collect(),
    };
    crate::render_sarif(&[group], &SarifOptions::default())
}
