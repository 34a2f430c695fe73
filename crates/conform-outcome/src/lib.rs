//! The leaf crate of result types. Every command reports what it found as
//! [`Outcome`]s — a payload finding, an endpoint check, a scenario assertion,
//! a doctor check — so one set of writers (text, JSON, JUnit, SARIF,
//! OperationOutcome, Markdown) renders all of them and the scorecard reads
//! them back without string compares. Nothing here depends on another
//! conform crate: producers and readers meet on these types.

pub mod doctor;
mod error_chain;
mod outcome;
pub mod privacy;
pub mod probe;
pub mod scenario;
pub mod schemas;
pub mod scorecard;
pub mod terminology;
pub mod validate;

pub use error_chain::error_chain;
pub use outcome::{IssueCode, Location, Outcome, Requirement, Severity, Status, Triage};
