//! Probe reports as text, JSON (`conform.probe/1`), JUnit and SARIF.
//! Renderers only format a finished [`ProbeReport`]; they never probe.

mod json;
mod junit;
mod sarif;
mod text;

use conform_writers::Format;
pub use json::render_json;
pub use junit::render_junit;
pub use sarif::render_sarif;
pub use text::render_text;

/// The formats `conform probe` writes.
pub const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Junit, Format::Sarif];

/// Writes the report in `format`, one of [`FORMATS`] (text otherwise).
pub fn render(report: &crate::ProbeReport, format: Format) -> String {
    match format {
        Format::Json => render_json(report),
        Format::Junit => render_junit(report),
        Format::Sarif => render_sarif(report),
        _ => render_text(report),
    }
}
