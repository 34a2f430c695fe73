//! What a run produced, as data: the `conform.scenario` document, whose
//! types live in conform-outcome so the writers and the scorecard share
//! them (docs/scenario-json.md). Assertions are [`Outcome`]s.

pub use conform_outcome::scenario::{
    ExchangeRecord, HttpRecord, Phase, RegionInfo, RunResult, ScenarioIdentity, ScenarioResult,
    StepResult, Summary, Tool, SCHEMA,
};
pub use conform_outcome::{Location, Outcome, Requirement, Status};
