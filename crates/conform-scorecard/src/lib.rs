//! Readiness scorecards ("MVS-style") per region.
//!
//! * [`Definition`]: the scorecard as data (dimensions, weighted criteria
//!   and how each is measured, thresholds, gating, cumulative levels,
//!   attested evidence), loaded from YAML;
//! * [`Evidence`]: a region's result files (`conform.validate/1`,
//!   `conform.probe/1` and `/2`, `conform.scenario/1` and `/2`), sampled payloads and
//!   attestations, read from `EVIDENCE/<region>/`;
//! * [`score_region`] turns both into a [`RegionScorecard`];
//!   [`Report::build`] scores every region of a regions file and adds the
//!   national [`Rollup`];
//! * [`History`]: runs kept in an embedded database file, giving the change
//!   per criterion since the last run and since a date;
//! * [`render`]: table, JSON (`conform.scorecard/1`), Markdown, HTML, JUnit.

mod connectivity;
mod definition;
mod error;
mod evidence;
mod glob;
mod history;
mod measure;
mod model;
pub mod render;
mod report;
mod scoring;
pub mod time;

pub use connectivity::{observed_ods, OdsSighting};
pub use definition::{
    AttestationDef, CareSettingsMode, Criterion, Definition, Dimension, Gate, Level, Measure,
    OverallThresholds, Requirement, ScenarioSelect, Thresholds,
};
pub use error::ScorecardError;
pub use evidence::{
    held, scenario_is, scenario_points, Attestation, Evidence, ProbeCheck, ProbeLatency,
    ProbeReport, ProbeSummary, ScenarioReport, ScenarioResult, ValidateFile, ValidateIssue,
    ValidateReport, ValidateResource, ValidateSummary,
};
pub use history::{History, StoredRun};
pub use measure::Measurement;
pub use model::{
    AttestationResult, CriterionResult, DimensionResult, EvidenceCount, GateResult, LevelResult,
    Overall, Rag, RegionScorecard, Trend,
};
pub use report::{Report, Rollup, RollupLevel, RollupRow, SCHEMA};
pub use scoring::score_region;
