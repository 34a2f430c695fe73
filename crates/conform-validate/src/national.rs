//! National rules: checks the FHIR definitions cannot express, loaded as
//! data from a profile pack (NHS number check digit, ODS code formats,
//! identifier system spellings...).

use crate::finding::Severity;
use conform_json::{Document, NodeId};

/// One rule that fired.
pub struct RuleHit {
    /// The rule's id from the pack (used as the finding's rule id).
    pub rule: String,
    pub severity: Severity,
    /// Where to point: the offending node (e.g. the identifier's value).
    pub node: NodeId,
    /// The element below the identifier that is wrong (`value`, `system`),
    /// appended to the path; empty for the identifier itself.
    pub child: &'static str,
    pub message: String,
}

/// The national rules in force (empty unless a pack is loaded).
#[derive(Default, Debug, Clone)]
pub struct RuleSet {}

impl RuleSet {
    /// Checks one `Identifier` object.
    pub fn check_identifier(&self, _doc: &Document<'_>, _identifier: NodeId) -> Vec<RuleHit> {
        Vec::new()
    }
}
