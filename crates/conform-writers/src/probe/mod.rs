//! Probe reports (`conform.probe/2`) as text, JSON, JUnit and SARIF, and
//! runs over every region of a regions file (`conform.probe-regions/1`) in
//! the same formats. Renderers only format a finished [`ProbeReport`] or
//! [`RegionsReport`]; they never probe.

mod junit;
mod regions;
mod sarif;
mod text;

use crate::Format;
use conform_outcome::probe::ProbeReport;
#[cfg(doc)]
use conform_outcome::probe::RegionsReport;
pub use junit::render_junit;
pub use regions::render_regions;
pub use sarif::render_sarif;
pub use text::render_text;

/// The formats `conform probe` writes.
pub const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Junit, Format::Sarif];

/// Writes the report in `format`, one of [`FORMATS`] (text otherwise).
pub fn render(report: &ProbeReport, format: Format) -> String {
    match format {
        Format::Json => render_json(report),
        Format::Junit => render_junit(report),
        Format::Sarif => render_sarif(report),
        _ => render_text(report),
    }
}

/// `--format json`: the report as documented in docs/probe-json.md.
pub fn render_json(report: &ProbeReport) -> String {
    json(report)
}

/// A document as pretty JSON with a final newline.
fn json(document: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(document)
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
