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
    /// With `--must-support`: per profile, which Must-Support elements the
    /// response bodies validated against it populated (docs/must-support.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_support: Option<crate::validate::MustSupportReport>,
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

/// The format of a run over every region of a regions file (`conform probe
/// --regions FILE --all`, docs/probe-json.md). Not `conform.probe/…`: the
/// scorecard reads those as one endpoint's report, and each region's own
/// report is kept whole inside this one.
pub const REGIONS_SCHEMA: &str = "conform.probe-regions/1";

/// Every region of a regions file probed in one run, in the file's order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegionsReport {
    /// [`REGIONS_SCHEMA`].
    pub schema: String,
    /// When the run started (UTC, RFC 3339).
    pub started: jiff::Timestamp,
    pub duration_ms: f64,
    /// One entry per region, in the order of the regions file.
    pub regions: Vec<RegionProbe>,
    pub summary: RegionsSummary,
}

impl RegionsReport {
    /// The run's verdict: the worst of its regions', where a region whose
    /// settings could not be used outranks one that failed a SHALL check,
    /// which outranks one that could not be reached (so `unreachable` means
    /// only the network let the run down, as exit code 3 does everywhere).
    pub fn verdict(&self) -> Verdict {
        self.regions
            .iter()
            .map(|r| r.verdict)
            .max_by_key(|v| v.rank())
            .unwrap_or(Verdict::Pass)
    }

    /// The counts of `regions` by verdict.
    pub fn summarise(regions: &[RegionProbe]) -> RegionsSummary {
        let mut s = RegionsSummary {
            regions: regions.len(),
            ..RegionsSummary::default()
        };
        for r in regions {
            *match r.verdict {
                Verdict::Pass => &mut s.passed,
                Verdict::Fail => &mut s.failed,
                Verdict::Unreachable => &mut s.unreachable,
                Verdict::Setup => &mut s.setup,
            } += 1;
        }
        s
    }
}

/// One region of a run over many: its own `conform.probe/2` report, or the
/// problem that stopped it from being probed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegionProbe {
    /// The region's name in the regions file.
    pub region: String,
    pub base_url: String,
    pub verdict: Verdict,
    /// Why the region was not probed (`unreachable` or `setup`): an outcome
    /// at its URL and region with status `error`, rule `endpoint.reachable`
    /// or `region.settings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Outcome>,
    /// The region's report, exactly as `conform probe --region NAME` would
    /// write it (`pass` and `fail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ProbeReport>,
}

impl RegionProbe {
    /// A region that was probed: its verdict is the report's.
    pub fn probed(region: String, base_url: String, report: ProbeReport) -> RegionProbe {
        RegionProbe {
            region,
            base_url,
            verdict: if report.passed() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            problem: None,
            report: Some(report),
        }
    }
}

/// What became of one region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Probed; no SHALL check failed.
    Pass,
    /// Probed; a SHALL check failed.
    Fail,
    /// The endpoint could not be talked to at all.
    Unreachable,
    /// The region's settings could not be used (a secret, key or
    /// certificate unreadable, a base URL that is not http(s)): nothing
    /// was sent.
    Setup,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unreachable => "unreachable",
            Verdict::Setup => "setup",
        }
    }

    /// How bad, for [`RegionsReport::verdict`].
    fn rank(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Unreachable => 1,
            Verdict::Fail => 2,
            Verdict::Setup => 3,
        }
    }
}

/// Regions by verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegionsSummary {
    pub regions: usize,
    pub passed: usize,
    pub failed: usize,
    pub unreachable: usize,
    pub setup: usize,
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

    fn region(name: &str, verdict: Verdict) -> RegionProbe {
        RegionProbe {
            region: name.into(),
            base_url: format!("http://{name}/fhir"),
            verdict,
            problem: None,
            report: None,
        }
    }

    fn run(verdicts: &[Verdict]) -> RegionsReport {
        let regions: Vec<RegionProbe> = verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| region(&format!("r{i}"), *v))
            .collect();
        RegionsReport {
            schema: REGIONS_SCHEMA.into(),
            started: jiff::Timestamp::UNIX_EPOCH,
            duration_ms: 0.0,
            summary: RegionsReport::summarise(&regions),
            regions,
        }
    }

    #[test]
    fn the_runs_verdict_is_its_worst_region_unreachable_the_mildest_failure() {
        use Verdict::*;
        for (verdicts, worst) in [
            (vec![], Pass),
            (vec![Pass, Pass], Pass),
            (vec![Pass, Unreachable], Unreachable),
            (vec![Unreachable, Fail, Pass], Fail),
            (vec![Fail, Setup, Unreachable], Setup),
        ] {
            assert_eq!(run(&verdicts).verdict(), worst, "{verdicts:?}");
        }
        let s = run(&[Pass, Fail, Unreachable, Unreachable, Setup]).summary;
        assert_eq!(
            (s.regions, s.passed, s.failed, s.unreachable, s.setup),
            (5, 1, 1, 2, 1)
        );
    }
}
