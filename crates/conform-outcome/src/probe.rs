//! The `conform.probe` document: what one `conform probe` found at a live
//! endpoint (docs/probe-json.md). The probe serialises it, the writers
//! render it and the scorecard reads it back. Each check is an [`Outcome`]
//! whose rule is the check's id, whose requirement is its SHALL/SHOULD/MAY
//! and whose location is the base URL (and region), plus the timing of the
//! request behind it.

use crate::{Outcome, Requirement, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The format's name and version; bumped on any incompatible change. `/2`:
/// checks became outcomes (`rule`, `requirement`, `severity`, `url`,
/// `region`), a failed SHOULD or MAY check is `warn`, and `started` is RFC
/// 3339 instead of an HTTP date.
pub const SCHEMA: &str = "conform.probe/2";

/// One probe run against one endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeReport {
    /// [`SCHEMA`].
    pub schema: String,
    pub target: Target,
    /// When the run started (UTC, RFC 3339).
    pub started: jiff::Timestamp,
    pub duration_ms: f64,
    /// Every check, in the order run.
    pub checks: Vec<ProbeCheck>,
    pub latency: Vec<LatencyStat>,
    pub summary: Summary,
}

impl ProbeReport {
    /// True when no SHALL check failed (SHOULD and MAY failures are
    /// reported, not fatal).
    pub fn passed(&self) -> bool {
        self.summary.failed_shall == 0
    }
}

/// The endpoint probed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `none`, `bearer`, `client_credentials` or `private_key_jwt ALG`.
    pub auth: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    pub writes: bool,
}

/// One check: its outcome, and the request timed for it when there was one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeCheck {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The interaction timed for this check (`read`, `search-type` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

impl ProbeCheck {
    /// How strongly the check is required; every probe check has a level,
    /// so a document without one reads as SHALL (the strictest).
    pub fn requirement(&self) -> Requirement {
        self.outcome.requirement.unwrap_or(Requirement::Shall)
    }

    /// Whether the check did not hold: a failed SHALL (`fail`), a SHOULD or
    /// MAY that did not hold (`warn`), or one that could not be run.
    pub fn did_not_hold(&self) -> bool {
        matches!(
            self.outcome.status,
            Status::Fail | Status::Warn | Status::Error
        )
    }
}

/// Latency of one interaction over the run (nearest-rank percentiles).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LatencyStat {
    pub interaction: String,
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// Counts over a run. `failed` counts every check that did not hold,
/// whatever its requirement; the `failed_*` fields split them by level.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub failed_shall: usize,
    pub failed_should: usize,
    pub failed_may: usize,
    pub requests: usize,
    /// Requests that got no response or a 5xx.
    pub request_errors: usize,
    /// `request_errors` over `requests` (0–1).
    pub error_rate: f64,
}

impl Summary {
    /// The check counts of `checks` (request counts left at zero).
    pub fn of_checks(checks: &[ProbeCheck]) -> Summary {
        let mut s = Summary {
            checks: checks.len(),
            ..Summary::default()
        };
        for c in checks {
            if c.did_not_hold() {
                s.failed += 1;
                *match c.requirement() {
                    Requirement::Shall => &mut s.failed_shall,
                    Requirement::Should => &mut s.failed_should,
                    Requirement::May => &mut s.failed_may,
                } += 1;
            } else if c.outcome.status == Status::Skip {
                s.skipped += 1;
            } else {
                s.passed += 1;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;

    fn check(requirement: Requirement, status: Status) -> ProbeCheck {
        ProbeCheck {
            outcome: Outcome::check("Patient.read", requirement, status, "GET Patient/1: 200")
                .with_why("A declared read must work.")
                .with_location(Location {
                    url: Some("http://x/fhir".into()),
                    ..Location::default()
                }),
            interaction: Some("read".into()),
            latency_ms: Some(4.2),
        }
    }

    #[test]
    fn a_check_serialises_flat_and_reads_back() {
        let c = check(Requirement::Shall, Status::Pass);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "rule": "Patient.read", "severity": "information", "requirement": "SHALL",
                "status": "pass", "url": "http://x/fhir", "message": "GET Patient/1: 200",
                "why": "A declared read must work.", "interaction": "read", "latency_ms": 4.2
            })
        );
        assert_eq!(serde_json::from_value::<ProbeCheck>(v).unwrap(), c);
    }

    #[test]
    fn summary_counts_a_failed_should_as_failed_but_not_as_a_shall() {
        let s = Summary::of_checks(&[
            check(Requirement::Shall, Status::Pass),
            check(Requirement::Should, Status::Fail),
            check(Requirement::Shall, Status::Fail),
            check(Requirement::May, Status::Skip),
        ]);
        assert_eq!(
            (s.checks, s.passed, s.failed, s.skipped),
            (4, 1, 2, 1),
            "{s:?}"
        );
        assert_eq!((s.failed_shall, s.failed_should, s.failed_may), (1, 1, 0));
    }
}
