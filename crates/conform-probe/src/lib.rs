//! `conform probe`: does a live FHIR endpoint do what its
//! CapabilityStatement claims and what the national profiles require?
//!
//! Checks are data ([`Check`]: id, severity, status, message, why,
//! latency) emitted into a [`CheckSink`]; [`run_probe`] does the talking
//! (through `conform-endpoint`), [`render`] turns a [`ProbeReport`] into
//! text, JSON (`conform.probe/1`, docs/probe-json.md) or JUnit and does no
//! probing.

mod capability;
mod check;
mod checks;
mod latency;
pub mod render;
mod runner;
mod validation;

pub use capability::Declared;
pub use check::{Check, CheckSink, Severity, Status};
pub use latency::LatencyStat;
pub use runner::{
    run_probe, run_probe_with, ProbeError, ProbeOptions, ProbeReport, Summary, Target, SCHEMA,
};
pub use validation::BodyValidator;
