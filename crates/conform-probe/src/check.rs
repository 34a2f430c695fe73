//! A check's result as data.

use serde::Serialize;

/// How strongly the specification asks for what the check tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    #[serde(rename = "SHALL")]
    Shall,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Shall => "SHALL",
            Severity::Should => "SHOULD",
            Severity::May => "MAY",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Could not apply; the message says why. Never a silent pass.
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// Stable id, e.g. `metadata.fhir-version`, `Patient.read`.
    pub id: String,
    pub status: Status,
    pub severity: Severity,
    /// What was found (for a skip: why it could not apply).
    pub message: String,
    /// Why the check exists, in one sentence.
    pub why: String,
    /// The interaction timed for this check (`read`, `search-type` ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// Where checks go as they are made.
pub trait CheckSink {
    fn check(&mut self, check: Check);
}

impl CheckSink for Vec<Check> {
    fn check(&mut self, check: Check) {
        self.push(check);
    }
}
