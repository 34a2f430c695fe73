//! Reading `conform.scenario/1` documents (written before assertions became
//! outcomes) for one release, so evidence folders and users' saved results
//! keep scoring: each is converted into the current document type and
//! nothing downstream knows the old shape. To be removed with /1 support.

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
