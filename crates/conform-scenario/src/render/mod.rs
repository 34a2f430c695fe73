//! A run's results as JSON (`conform.scenario/2`), text, JUnit XML, FHIR
//! TestReport (a collection Bundle, one TestReport per scenario) or a
//! self-contained HTML page.

mod html;
mod junit;
mod testreport;
mod text;

pub use html::render_html;
pub use junit::render_junit;
pub use testreport::{render_testreport, testreport};
pub use text::render_text;

use crate::result::RunResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
    TestReport,
    Html,
}

impl Format {
    pub const NAMES: &'static str = "text, json, junit, testreport or html";

    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "text" => Format::Text,
            "json" => Format::Json,
            "junit" => Format::Junit,
            "testreport" => Format::TestReport,
            "html" => Format::Html,
            _ => return None,
        })
    }

    /// The file a run writes in `--out DIR` for this format.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Text => "report.txt",
            Format::Json => "results.json",
            Format::Junit => "junit.xml",
            Format::TestReport => "testreport.json",
            Format::Html => "report.html",
        }
    }

    pub fn all() -> [Format; 5] {
        [
            Format::Text,
            Format::Json,
            Format::Junit,
            Format::TestReport,
            Format::Html,
        ]
    }
}

pub fn render(run: &RunResult, format: Format) -> String {
    match format {
        Format::Text => render_text(run),
        Format::Json => render_json(run),
        Format::Junit => render_junit(run),
        Format::TestReport => render_testreport(run),
        Format::Html => render_html(run),
    }
}

pub fn render_json(run: &RunResult) -> String {
    let mut s = serde_json::to_string_pretty(run).unwrap_or_default();
    s.push('\n');
    s
}
