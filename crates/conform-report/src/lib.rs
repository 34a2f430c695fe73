//! Renderers: turn validation results (data) into text, JSON,
//! OperationOutcome, JUnit and SARIF. Nothing here validates anything.

mod collect;
mod json;
mod junit;
pub mod junit_xml;
mod operation_outcome;
mod sarif;
mod text;
pub mod xml;

pub use collect::{Collector, FileReport, ValidationReport};
pub use json::render_json;
pub use junit::render_junit;
pub use operation_outcome::render_operation_outcome;
pub use sarif::{artifact_uri, fingerprint, render_sarif, SarifOptions, Triage};
pub use text::{TextOptions, TextSink};

/// The output formats of `conform validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    OperationOutcome,
    Junit,
    Sarif,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "operationoutcome" | "oo" => Format::OperationOutcome,
            "junit" => Format::Junit,
            "sarif" => Format::Sarif,
            _ => return None,
        })
    }
}
