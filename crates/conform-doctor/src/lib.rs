//! `conform doctor`: checks a set-up before a pipeline depends on it and
//! says what to fix. Each check is data ([`Check`]); the CLI renders them.
//! Secrets are looked for, never read out: a finding names the environment
//! variable or file, not its value.

mod packages;
mod regions;
pub mod render;

pub use packages::{cache_dir, packages};
pub use regions::regions;

use conform_outcome::{Location, Outcome, Severity, Status as OutcomeStatus};
use serde::Serialize;

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Problem,
    Skipped,
}

/// What kind of problem, for the exit code: set-up problems are the user's
/// to fix (exit 2); an unreachable endpoint is infrastructure (exit 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Setup,
    Infrastructure,
}

/// One check: what was looked at, what was found, and how to fix it.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// `packages`, `cache`, `regions`, `region <name>`.
    pub area: String,
    /// The thing checked (`hl7.fhir.r4.core#4.0.1`, `secret PROBE_TOKEN`).
    pub subject: String,
    pub status: Status,
    pub kind: Kind,
    pub detail: String,
    /// What to do about a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub(crate) fn ok(area: &str, subject: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            area: area.to_string(),
            subject: subject.into(),
            status: Status::Ok,
            kind: Kind::Setup,
            detail: detail.into(),
            fix: None,
        }
    }

    pub(crate) fn problem(
        area: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            area: area.to_string(),
            subject: subject.into(),
            status: Status::Problem,
            kind: Kind::Setup,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(crate) fn skipped(area: &str, subject: impl Into<String>, why: impl Into<String>) -> Check {
        Check {
            area: area.to_string(),
            subject: subject.into(),
            status: Status::Skipped,
            kind: Kind::Setup,
            detail: why.into(),
            fix: None,
        }
    }

    pub(crate) fn infrastructure(mut self) -> Check {
        self.kind = Kind::Infrastructure;
        self
    }

    /// The check as an outcome: a set-up problem fails (exit 2), an
    /// unreachable endpoint is an error (exit 3). Its rule is the area's
    /// kind (`doctor.packages`, `doctor.region`), its place the subject.
    pub fn outcome(&self) -> Outcome {
        let (status, severity) = match (self.status, self.kind) {
            (Status::Ok, _) => (OutcomeStatus::Pass, Severity::Information),
            (Status::Skipped, _) => (OutcomeStatus::Skip, Severity::Information),
            (Status::Problem, Kind::Setup) => (OutcomeStatus::Fail, Severity::Error),
            (Status::Problem, Kind::Infrastructure) => (OutcomeStatus::Error, Severity::Error),
        };
        let kind = self.area.split_whitespace().next().unwrap_or("setup");
        Outcome {
            rule: format!("doctor.{kind}"),
            severity,
            requirement: None,
            status,
            code: None,
            location: Location {
                subject: Some(self.subject.clone()),
                ..Location::default()
            },
            message: self.detail.clone(),
            why: None,
            fix: self.fix.clone(),
            triage: None,
            verifies: Vec::new(),
        }
    }
}

/// The worst problem among `checks`: `None` when all passed or were skipped.
pub fn worst(checks: &[Check]) -> Option<Kind> {
    let problems = checks.iter().filter(|c| c.status == Status::Problem);
    let mut worst = None;
    for c in problems {
        match c.kind {
            Kind::Setup => return Some(Kind::Setup),
            Kind::Infrastructure => worst = Some(Kind::Infrastructure),
        }
    }
    worst
}
