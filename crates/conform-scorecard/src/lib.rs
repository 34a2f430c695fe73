//! Readiness scorecards ("MVS-style") per region.
//!
//! * [`Definition`]: the scorecard as data (dimensions, weighted criteria
//!   and how each is measured, thresholds, gating, cumulative levels,
//!   attested evidence), loaded from YAML;
//! * [`Evidence`]: a region's result files (`conform.validate/1`,
//!   `conform.probe/1` and `/2`, `conform.scenario/1` and `/2`), sampled payloads and
//!   attestations, read from `EVIDENCE/<region>/`;
//! * [`score_region`] turns both into a [`RegionScorecard`];
//!   [`build`] scores every region of a regions file into a [`Report`]
//!   with the national [`Rollup`] (the document types are conform-outcome's);
//! * [`History`]: runs kept in an embedded database file, giving the change
//!   per criterion since the last run and since a date;
//!
//! Rendering (table, JSON, Markdown, HTML, JUnit) is conform-writers'.

mod connectivity;
mod definition;
mod error;
mod evidence;
pub mod glob;
mod history;
mod measure;

mod report;
mod scoring;
pub mod time;

pub use conform_outcome::scorecard::{
    AttestationResult, CriterionResult, DimensionResult, EvidenceCount, GateResult, LevelResult,
    Overall, Rag, RegionScorecard, Report, Rollup, RollupLevel, RollupRow, Trend, SCHEMA,
};
pub use connectivity::{observed_ods, OdsSighting};
pub use definition::{
    AttestationDef, CareSettingsMode, Criterion, Definition, Dimension, Gate, Level, Measure,
    OverallThresholds, Requirement, ScenarioSelect, Thresholds,
};
pub use error::ScorecardError;
pub use evidence::{
    held, scenario_is, scenario_points, Attestation, Evidence, ProbeCheck, ProbeLatency,
    ProbeReport, ProbeSummary, ScenarioReport, ScenarioResult, ValidateFile, ValidateReport,
    ValidateResource,
};
pub use history::{History, StoredRun};
pub use measure::Measurement;
pub use report::{add_trend, build, from_cards, rollup};
pub use scoring::score_region;
