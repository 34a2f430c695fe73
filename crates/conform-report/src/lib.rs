//! Renderers: turn validation results (data) into text, JSON,
//! OperationOutcome and JUnit. Nothing here validates anything.

mod collect;
mod json;
mod junit;
mod operation_outcome;
mod text;
mod xml;

pub use collect::{Collector, FileReport, ValidationReport};
pub use json::render_json;
pub use junit::render_junit;
pub use operation_outcome::render_operation_outcome;
pub use text::{TextOptions, TextSink};

/// The output formats of `conform validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    OperationOutcome,
    Junit,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "operationoutcome" | "oo" => Format::OperationOutcome,
            "junit" => Format::Junit,
            _ => return None,
        })
    }
}
