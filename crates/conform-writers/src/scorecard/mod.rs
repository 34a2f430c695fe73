//! The scorecard report as a table, JSON (`conform.scorecard/1`), Markdown,
//! HTML and JUnit: one module per format; none of them computes a score.

mod html;
mod json;
mod junit;
mod markdown;
mod svg;
mod table;

pub use html::render_html;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use table::render_table;

use crate::Format;
use conform_outcome::scorecard::{CriterionResult, Rag, Report};

/// The formats `conform scorecard` writes.
pub const FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Markdown,
    Format::Html,
    Format::Junit,
];

/// Writes the report in `format`, one of [`FORMATS`] (a table otherwise).
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Json => render_json(report),
        Format::Markdown => render_markdown(report),
        Format::Html => render_html(report),
        Format::Junit => render_junit(report),
        _ => render_table(report),
    }
}

/// `78.3`, or `n/a` when not assessed.
pub(crate) fn score(s: Option<f64>) -> String {
    match s {
        Some(s) => format!("{s:.1}"),
        None => "n/a".into(),
    }
}

/// `+2.5`, `-1.0`, `0.0`, or empty when there is nothing to compare.
pub(crate) fn delta(d: Option<f64>) -> String {
    match d {
        Some(d) if d > 0.0 => format!("+{d:.1}"),
        Some(d) => format!("{d:.1}"),
        None => String::new(),
    }
}

/// `12/14 validate`.
pub(crate) fn evidence(c: &CriterionResult) -> String {
    if c.rag == Rag::NotAssessed {
        return "none".into();
    }
    let n = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    format!(
        "{}/{} {}",
        n(c.evidence.passed),
        n(c.evidence.checked),
        c.evidence.source
    )
}

/// "3 of 5 at L1 MVS 1.0 or above" for every level above the lowest.
pub(crate) fn level_lines(report: &Report) -> Vec<String> {
    report
        .rollup
        .levels
        .iter()
        .skip(1)
        .map(|l| {
            format!(
                "{} of {} at {} {} or above",
                l.at_or_above, report.rollup.regions, l.id, l.label
            )
        })
        .collect()
}

/// "Criterion trend" columns are shown only when a history was used.
pub(crate) fn has_trend(report: &Report) -> bool {
    report.trend.is_some()
}

/// Gate verdict in words.
pub(crate) fn gate(failed: bool, reasons: &[String]) -> String {
    if failed {
        format!("FAIL ({})", reasons.join("; "))
    } else {
        "pass".into()
    }
}
