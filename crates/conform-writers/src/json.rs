//! `--format json`: the `conform.validate/1` document
//! ([`Document`](conform_outcome::validate::Document)), one object with a
//! summary and per-resource issues, versioned by `schema` so CI scripts can
//! rely on it.

use conform_outcome::validate::{Document, ValidationReport};

pub fn render_json(report: &ValidationReport) -> String {
    let document = Document::of(report, env!("CARGO_PKG_VERSION"));
    serde_json::to_string_pretty(&document).expect("the document always serialises") + "\n"
}
