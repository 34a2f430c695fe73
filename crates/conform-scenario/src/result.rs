//! What a run produced, as data: the `conform.scenario/1` JSON format
//! (documented in docs/scenario-json.md) is these types serialised.

use serde::Serialize;
use std::collections::BTreeMap;

/// The JSON format's name and version; bumped on any incompatible change.
pub const SCHEMA: &str = "conform.scenario/1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    /// An assertion of severity SHOULD or MAY (or TestScript
    /// `warningOnly`) that did not hold: reported, not failing.
    Warn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Warn => "warn",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub schema: &'static str,
    pub tool: Tool,
    /// When the run started (UTC, FHIR instant).
    pub started: String,
    pub duration_ms: u64,
    pub allow_writes: bool,
    pub regions: Vec<RegionInfo>,
    pub summary: Summary,
    pub scenarios: Vec<ScenarioResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RegionInfo {
    pub name: String,
    pub base_url: String,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub scenarios: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub steps: usize,
    pub assertions: usize,
    pub failed_assertions: usize,
    pub warnings: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub source: String,
    pub tags: Vec<String>,
    pub requirements: Vec<String>,
    pub regions: Vec<String>,
    /// Region → the national service or role it stands for.
    pub roles: BTreeMap<String, String>,
    pub matrix: BTreeMap<String, serde_json::Value>,
    pub status: Status,
    /// Why it failed or was skipped (first cause).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// Source elements that could not be executed (TestScript).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<String>,
    pub steps: Vec<StepResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

#[derive(Clone, Debug, Serialize)]
pub struct StepResult {
    pub id: String,
    pub name: String,
    pub phase: Phase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub region: String,
    pub writes: bool,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub attempts: u32,
    pub assertions: Vec<AssertionResult>,
    /// Variables this step captured.
    pub captures: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AssertionResult {
    pub id: String,
    pub severity: &'static str,
    pub requirements: Vec<String>,
    pub status: Status,
    pub message: String,
}

/// The last request and response of a step, secrets redacted.
#[derive(Clone, Debug, Serialize)]
pub struct ExchangeRecord {
    pub request: HttpRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpRecord>,
    /// The same request as a curl command (auth shown as [REDACTED]).
    pub curl: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct HttpRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    /// The body as text (cut at 256 KiB, marked when cut).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl RunResult {
    pub fn passed(&self) -> bool {
        self.summary.failed == 0
    }

    pub fn summarise(scenarios: &[ScenarioResult]) -> Summary {
        let mut s = Summary {
            scenarios: scenarios.len(),
            ..Summary::default()
        };
        for sc in scenarios {
            match sc.status {
                Status::Pass | Status::Warn => s.passed += 1,
                Status::Fail => s.failed += 1,
                Status::Skip => s.skipped += 1,
            }
            s.steps += sc.steps.len();
            for a in sc.steps.iter().flat_map(|st| &st.assertions) {
                s.assertions += 1;
                match a.status {
                    Status::Fail => s.failed_assertions += 1,
                    Status::Warn => s.warnings += 1,
                    _ => {}
                }
            }
        }
        s
    }
}
