//! Probe reports as text, JSON (`conform.probe/1`) and JUnit. Renderers
//! only format a finished [`ProbeReport`]; they never probe.

mod json;
mod junit;
mod text;

pub use json::render_json;
pub use junit::render_junit;
pub use text::render_text;

/// The output formats of `conform probe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "junit" => Format::Junit,
            _ => return None,
        })
    }
}

pub fn render(report: &crate::ProbeReport, format: Format) -> String {
    match format {
        Format::Text => render_text(report),
        Format::Json => render_json(report),
        Format::Junit => render_junit(report),
    }
}
