//! The `conform.scenario` document: what one `conform scenario run`
//! produced. The runner serialises it, the writers render it and the
//! scorecard reads it back (docs/scenario-json.md). Each assertion is an
//! [`Outcome`] whose rule is the assertion's id, whose requirement is its
//! SHALL/SHOULD/MAY and whose location names the scenario, step and region.

use crate::{Outcome, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format's name and version; bumped on any incompatible change. `/2`:
/// assertions became outcomes (`rule`, `requirement`, `severity`,
/// `verifies`, location) and a step that got no response is `error`.
pub const SCHEMA: &str = "conform.scenario/2";

/// One run of a plan against the regions of a regions file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    /// [`SCHEMA`].
    pub schema: String,
    pub tool: Tool,
    /// When the run started (UTC, RFC 3339).
    pub started: jiff::Timestamp,
    pub duration_ms: u64,
    pub allow_writes: bool,
    /// The regions the run talked to.
    pub regions: Vec<RegionInfo>,
    pub summary: Summary,
    /// In plan order: files in path order, matrix instances in order.
    pub scenarios: Vec<ScenarioResult>,
    /// Must-Support population of the response bodies `validate:` steps
    /// checked, per profile (`scenario run --must-support`;
    /// docs/must-support.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_support: Option<crate::validate::MustSupportReport>,
}

/// The program that wrote a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    /// This build of conform.
    pub fn conform() -> Tool {
        Tool {
            name: "conform".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegionInfo {
    pub name: String,
    pub base_url: String,
    pub roles: Vec<String>,
}

/// Counts over a run: scenarios by status, and assertions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub scenarios: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub steps: usize,
    pub assertions: usize,
    /// Assertions that failed or could not be made (no response).
    pub failed_assertions: usize,
    pub warnings: usize,
}

/// What a scenario is, as planned and as reported: the runner's plan and
/// the result of running it carry the same identity, flattened into the
/// result's JSON (`id`, `title`... at the top of each scenario).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioIdentity {
    /// A matrix instance has its values appended:
    /// `s9-neighbour-query[home=region-a]`.
    pub id: String,
    pub title: String,
    /// The file it came from (YAML scenario or TestScript JSON), as given.
    pub source: String,
    pub tags: Vec<String>,
    /// Requirement ids the scenario verifies as a whole, e.g. `S1`.
    pub requirements: Vec<String>,
    /// Region names it talks to.
    pub regions: Vec<String>,
    /// Region → the national service or role it stands for.
    pub roles: BTreeMap<String, String>,
    /// This instance's matrix values.
    pub matrix: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioResult {
    #[serde(flatten)]
    pub identity: ScenarioIdentity,
    /// `fail` when a step failed or got no response, `skip` when it could
    /// not run; a pass may carry warnings.
    pub status: Status,
    /// Why it failed or was skipped (first cause).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// Source elements that could not be executed (TestScript).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<String>,
    /// Setup, test and teardown steps in order, including those not run.
    pub steps: Vec<StepResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Setup,
    Test,
    Teardown,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Test => "test",
            Phase::Teardown => "teardown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepResult {
    pub id: String,
    pub name: String,
    pub phase: Phase,
    /// The TestScript test the step belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub region: String,
    pub writes: bool,
    /// `fail` when a SHALL assertion failed, `error` when no response came
    /// (the endpoint did not answer), `skip` when not run.
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// Requests sent (more than one under `retry`).
    pub attempts: u32,
    pub assertions: Vec<Outcome>,
    /// Variables this step captured (secrets masked).
    pub captures: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeRecord>,
}

/// The last request and response of a step, secrets redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeRecord {
    pub request: HttpRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpRecord>,
    /// The same request as a curl command (auth shown as [REDACTED]).
    pub curl: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    /// The body as text (cut at 256 KiB, marked when cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl RunResult {
    pub fn passed(&self) -> bool {
        self.summary.failed == 0
    }

    /// The steps that failed or got no response.
    pub fn failed_steps(&self) -> impl Iterator<Item = &StepResult> {
        self.scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .filter(|s| s.status.is_failure())
    }

    /// Something failed, and every failure is an endpoint that did not
    /// answer (a step with status `error`): the run says nothing about the
    /// exchange, only that the infrastructure was not there.
    pub fn only_unreachable(&self) -> bool {
        let mut failed = self.failed_steps().peekable();
        failed.peek().is_some() && failed.all(|s| s.status == Status::Error)
    }

    pub fn summarise(scenarios: &[ScenarioResult]) -> Summary {
        let mut s = Summary {
            scenarios: scenarios.len(),
            ..Summary::default()
        };
        for sc in scenarios {
            match sc.status {
                Status::Pass | Status::Warn => s.passed += 1,
                Status::Fail | Status::Error => s.failed += 1,
                Status::Skip => s.skipped += 1,
            }
            s.steps += sc.steps.len();
            for a in sc.steps.iter().flat_map(|st| &st.assertions) {
                s.assertions += 1;
                match a.status {
                    Status::Fail | Status::Error => s.failed_assertions += 1,
                    Status::Warn => s.warnings += 1,
                    Status::Pass | Status::Skip => {}
                }
            }
        }
        s
    }
}

/// A name as an id: lowercase ASCII letters and digits, anything else a
/// single hyphen between them. The runner names unnamed steps with it and
/// the TestReport writer names a scenario's report with it, so both agree.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}
