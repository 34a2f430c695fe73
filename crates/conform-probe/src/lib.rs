//! `conform probe`: does a live FHIR endpoint do what its
//! CapabilityStatement claims and what the national profiles require?
//!
//! Checks are data: each is a [`ProbeCheck`] (an `Outcome` with its
//! timing) emitted into a [`CheckSink`]; [`run_probe`] does the talking
//! (through `conform-endpoint`) and returns the `conform.probe/2` document
//! ([`ProbeReport`], docs/probe-json.md); [`probe_regions`] probes every
//! region of a regions file at once into one [`RegionsReport`]. With [`ProbeProfile::GpConnect`]
//! the checks are a GP Connect provider's contract instead. Rendering it is the writers'
//! (`conform_writers::probe`).

mod capability;
mod checks;
mod latency;
mod regions;
mod runner;
mod validation;

pub use capability::Declared;
pub use conform_endpoint::{GpConnectSettings, ProbeProfile};
pub use conform_outcome::probe::{
    LatencyStat, ProbeCheck, ProbeReport, RegionProbe, RegionsReport, RegionsSummary, Summary,
    Target, Verdict, REGIONS_SCHEMA, SCHEMA,
};
pub use regions::{probe_region, probe_regions, RegionRun, Validation, DEFAULT_JOBS};
pub use runner::{run_probe, run_probe_with, CheckSink, ProbeError, ProbeOptions, GP_CONNECT_PACK};
pub use validation::BodyValidator;
