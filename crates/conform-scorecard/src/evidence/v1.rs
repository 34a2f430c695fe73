//! Reading documents of an earlier layout for one release, so evidence
//! folders and users' saved results keep scoring: `conform.scenario/1` and
//! `conform.probe/1` (written before assertions and checks became
//! outcomes) are converted into the current document type, and
//! `conform.validate/1` issues written before they carried a status are
//! given one; nothing downstream knows the old shapes. To be removed with
//! /1 support.

use conform_outcome::probe::{
    LatencyStat, ProbeCheck, ProbeReport, Summary as ProbeSummary, Target,
};
use conform_outcome::scenario::{
    ExchangeRecord, Phase, RegionInfo, RunResult, ScenarioIdentity, ScenarioResult, StepResult,
    Summary, Tool,
};
use conform_outcome::{Location, Outcome, Requirement, Status};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const SCENARIO_V1: &str = "conform.scenario/1";

#[derive(Deserialize)]
pub struct ScenarioRunV1 {
    tool: Tool,
    started: jiff::Timestamp,
    duration_ms: u64,
    allow_writes: bool,
    regions: Vec<RegionInfo>,
    summary: Summary,
    scenarios: Vec<ScenarioV1>,
}

#[derive(Deserialize)]
struct ScenarioV1 {
    /// The identity did not change from /1 to /2.
    #[serde(flatten)]
    identity: ScenarioIdentity,
    /// `pass`, `fail` or `skip` (as now).
    status: Status,
    reason: Option<String>,
    duration_ms: u64,
    #[serde(default)]
    unsupported: Vec<String>,
    steps: Vec<StepV1>,
}

#[derive(Deserialize)]
struct StepV1 {
    id: String,
    name: String,
    phase: Phase,
    group: Option<String>,
    region: String,
    writes: bool,
    status: Status,
    reason: Option<String>,
    duration_ms: u64,
    attempts: u32,
    assertions: Vec<AssertionV1>,
    captures: BTreeMap<String, String>,
    exchange: Option<ExchangeRecord>,
}

/// `{id, severity: SHALL|SHOULD|MAY, requirements, status, message}`.
#[derive(Deserialize)]
struct AssertionV1 {
    id: String,
    severity: Requirement,
    requirements: Vec<String>,
    status: Status,
    message: String,
}

impl ScenarioRunV1 {
    /// The same run as a current document.
    pub fn upgrade(self) -> RunResult {
        RunResult {
            schema: conform_outcome::scenario::SCHEMA.into(),
            tool: self.tool,
            started: self.started,
            duration_ms: self.duration_ms,
            allow_writes: self.allow_writes,
            regions: self.regions,
            summary: self.summary,
            scenarios: self
                .scenarios
                .into_iter()
                .map(ScenarioV1::upgrade)
                .collect(),
            must_support: None,
        }
    }
}

impl ScenarioV1 {
    fn upgrade(self) -> ScenarioResult {
        let scenario = self.identity.id.clone();
        ScenarioResult {
            identity: self.identity,
            status: self.status,
            reason: self.reason,
            duration_ms: self.duration_ms,
            unsupported: self.unsupported,
            steps: self
                .steps
                .into_iter()
                .map(|st| st.upgrade(&scenario))
                .collect(),
        }
    }
}

impl StepV1 {
    fn upgrade(self, scenario: &str) -> StepResult {
        let location = Location {
            scenario: Some(scenario.to_string()),
            step: Some(self.id.clone()),
            region: Some(self.region.clone()),
            ..Location::default()
        };
        let assertions = self
            .assertions
            .into_iter()
            .map(|a| {
                Outcome::check(a.id, a.severity, a.status, a.message)
                    .with_verifies(a.requirements)
                    .with_location(location.clone())
            })
            .collect();
        StepResult {
            id: self.id,
            name: self.name,
            phase: self.phase,
            group: self.group,
            region: self.region,
            writes: self.writes,
            status: self.status,
            reason: self.reason,
            duration_ms: self.duration_ms,
            attempts: self.attempts,
            assertions,
            captures: self.captures,
            exchange: self.exchange,
        }
    }
}

/// Gives each issue of a `conform.validate/1` document that has no
/// `status` (written before the field was added) the status its severity
/// stands for, so the document reads as the current type.
pub fn fill_status(document: &mut serde_json::Value) {
    let files = document.get_mut("files").and_then(|f| f.as_array_mut());
    let resources = files
        .into_iter()
        .flatten()
        .filter_map(|f| f.get_mut("resources").and_then(|r| r.as_array_mut()))
        .flatten();
    let issues = resources
        .filter_map(|r| r.get_mut("issues").and_then(|i| i.as_array_mut()))
        .flatten();
    for issue in issues {
        let Some(fields) = issue.as_object_mut() else {
            continue;
        };
        if fields.contains_key("status") {
            continue;
        }
        let severity = fields.get("severity").cloned().unwrap_or_default();
        if let Ok(severity) = serde_json::from_value::<conform_outcome::Severity>(severity) {
            let status = Status::of_severity(severity);
            fields.insert("status".into(), status.as_str().into());
        }
    }
}

pub const PROBE_V1: &str = "conform.probe/1";

/// `conform.probe/1` as the probe wrote it.
#[derive(Deserialize)]
pub struct ProbeReportV1 {
    target: Target,
    /// An HTTP (RFC 7231) date.
    started: String,
    duration_ms: f64,
    checks: Vec<ProbeCheckV1>,
    latency: Vec<LatencyStat>,
    summary: ProbeSummary,
}

/// `{id, status: pass|fail|skip, severity: SHALL|SHOULD|MAY, message, why,
/// interaction, latency_ms}`.
#[derive(Deserialize)]
struct ProbeCheckV1 {
    id: String,
    status: Status,
    severity: Requirement,
    message: String,
    why: String,
    interaction: Option<String>,
    latency_ms: Option<f64>,
}

impl ProbeReportV1 {
    /// The same run as a current document: each check an outcome at the
    /// target (a failed SHOULD or MAY becoming `warn`), the start RFC 3339.
    pub fn upgrade(self) -> Result<ProbeReport, String> {
        let started = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(&self.started)
            .map_err(|e| format!("started '{}' is not an HTTP date: {e}", self.started))?;
        let location = Location {
            url: Some(self.target.base_url.clone()),
            region: self.target.region.clone(),
            ..Location::default()
        };
        let checks = self
            .checks
            .into_iter()
            .map(|c| ProbeCheck {
                outcome: Outcome::check(c.id, c.severity, c.status, c.message)
                    .with_why(c.why)
                    .with_location(location.clone()),
                interaction: c.interaction,
                latency_ms: c.latency_ms,
            })
            .collect();
        Ok(ProbeReport {
            schema: conform_outcome::probe::SCHEMA.into(),
            target: self.target,
            started,
            duration_ms: self.duration_ms,
            checks,
            latency: self.latency,
            summary: self.summary,
            must_support: None,
        })
    }
}
