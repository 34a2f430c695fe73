//! Baselines and waivers, as data: which findings of a validation run were
//! already known (a baseline written by an earlier run), which are waived
//! (a waiver file with an owner, a reason and an expiry date), and which are
//! new. [`Gate::triage`] marks each outcome of a report with its
//! [`Triage`](conform_outcome::Triage) in place — writers read it from the
//! outcome, nothing is matched by position — and counts what it found; the
//! CLI decides the exit code.
//!
//! A finding's id is `RULE:PATH:FHIRPATH:HASH` ([`finding_id`]): PATH is the
//! file's path relative to the folder conform runs in, HASH the first 8 hex
//! digits of [`Outcome::fingerprint`](conform_outcome::Outcome::fingerprint)
//! of the finding in that file — the same digits SARIF's `conformFinding/v2`
//! fingerprint starts with. Built from the rule and the place only: neither
//! the message nor the line and column, so rewording a message or editing
//! above a finding keeps its id. Identical ids (the same defect on two
//! NDJSON lines) are matched by count.

mod baseline;
mod date;
mod id;
mod triage;
mod waivers;

pub use baseline::{Baseline, BASELINE_SCHEMA};
pub use date::{parse as parse_date, today, Date};
pub use id::{finding_id, relative_path, Entry};
pub use triage::{Assessment, Gate, TriageSink, Triager};
pub use waivers::{Waiver, Waivers};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a conform baseline: {message}")]
    Baseline { path: String, message: String },
    #[error("{path}: {message}")]
    Waivers { path: String, message: String },
}
