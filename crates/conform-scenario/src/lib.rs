//! Scripted FHIR exchanges between regions.
//!
//! Scenarios are YAML files ([`model`], schema in
//! `testkits/schema/scenario.schema.json`); FHIR TestScript (R4 JSON) is
//! compiled into the same [`plan::Plan`]. The [`run`] module executes a plan
//! against the endpoints of a regions file and emits results as data
//! ([`result`], the `conform.scenario/2` document); conform-writers renders
//! them. [`seed`] loads fixture folders into a region.
//!
//! Layout: `model` (the file format) → `load` (files, kits, line-numbered
//! errors) → `plan` (includes, matrix, vars) ← `testscript`; `interp`
//! (`${...}` and generators), `nhs` (test NHS numbers); `run` (scenarios in
//! parallel) → `step` (one request, retries, captures) → `assert`.

pub mod assert;
pub mod body;
pub mod compile;
pub mod curl;
pub mod interp;
pub mod load;
pub mod model;
pub mod nhs;
pub mod plan;
pub mod regions;
pub mod result;
pub mod run;
pub mod schema;
pub mod seed;
pub mod step;
pub mod testscript;
pub mod validate;

pub use load::{load_each, load_plan, LoadError, LoadSettings, Loaded};
pub use plan::{Plan, PlannedScenario};
pub use result::{RunResult, ScenarioResult, Status, StepResult};
pub use run::{run_plan, RunOptions};
