//! Writers: turn every command's outcomes (data) into text, JSON,
//! OperationOutcome, JUnit, SARIF, Markdown, HTML and TestReport. Nothing
//! here checks or computes anything, and nothing here depends on the
//! validator: writers read the wire types of conform-outcome, grouped by
//! scope ([`Group`]). A command's own documents have a module each
//! ([`probe`], [`doctor`], [`scenario`], [`scorecard`]).

pub mod doctor;
mod format;
mod group;
mod json;
mod junit;
pub mod junit_xml;
pub mod merge;
mod operation_outcome;
mod pretty;
pub mod probe;
mod report;
mod sarif;
pub mod scenario;
pub mod scorecard;
mod spool;
mod text;
pub mod xml;

pub use format::Format;
pub use group::{scenario_groups, validation_groups, Group, Scope};
pub use json::{render_json, JsonSink};
pub use junit::{render_junit, JunitSink};
pub use operation_outcome::{render_operation_outcome, OperationOutcomeSink};
pub use report::{ReportOptions, ReportWriter, VALIDATE_FORMATS};
pub use sarif::{
    artifact_uri, render_sarif, validation_properties, SarifOptions, SarifSink, SarifWriter,
    FINGERPRINT_KEY,
};
pub use text::{TextOptions, TextSink};
