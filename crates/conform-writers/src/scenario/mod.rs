//! A scenario run (`conform.scenario/2`) in every format `conform scenario
//! run` writes: JSON (the document itself), text, JUnit XML, FHIR TestReport
//! (a collection Bundle, one TestReport per scenario), a self-contained HTML
//! page, and SARIF through the one SARIF writer (a group per scenario).

mod html;
mod junit;
mod testreport;
mod text;

pub use html::render_html;
pub use junit::render_junit;
pub use testreport::{render_testreport, testreport};
pub use text::render_text;

use crate::{render_sarif, scenario_groups, Format, SarifOptions};
use conform_outcome::scenario::RunResult;
use conform_outcome::Outcome;

/// The formats `conform scenario run` writes, in the order `--out` writes
/// them and the usage error lists them.
pub const FORMATS: &[Format] = &[
    Format::Text,
    Format::Json,
    Format::Junit,
    Format::TestReport,
    Format::Html,
    Format::Sarif,
];

/// The file a run writes in `--out DIR` for a format of [`FORMATS`].
pub fn file_name(format: Format) -> &'static str {
    match format {
        Format::Json => "results.json",
        Format::Junit => "junit.xml",
        Format::TestReport => "testreport.json",
        Format::Html => "report.html",
        Format::Sarif => "results.sarif",
        _ => "report.txt",
    }
}

/// The run in `format`; a format not in [`FORMATS`] is written as text
/// (the command refuses those when it parses `--format`).
pub fn render(run: &RunResult, format: Format) -> String {
    match format {
        Format::Json => render_json(run),
        Format::Junit => render_junit(run),
        Format::TestReport => render_testreport(run),
        Format::Html => render_html(run),
        Format::Sarif => render_sarif(&scenario_groups(run), &SarifOptions::default()),
        _ => render_text(run),
    }
}

pub fn render_json(run: &RunResult) -> String {
    let mut s = serde_json::to_string_pretty(run).unwrap_or_default();
    s.push('\n');
    s
}

/// `SHALL`, `SHOULD` or `MAY`: how strongly the assertion is required.
fn requirement(a: &Outcome) -> &'static str {
    a.requirement.map_or("", |r| r.as_str())
}
