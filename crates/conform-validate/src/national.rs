//! National rules: checks the FHIR definitions cannot express, loaded as
//! data from a profile pack (NHS number check digit, ODS code formats,
//! identifier system spellings...).
//!
//! Every rule looks at one `Identifier` at a time, so the walker calls
//! [`RuleSet::check_identifier`] for each one it meets, wherever it is.

mod check_digit;
mod rule;
mod system;

pub use check_digit::Algorithm;
pub use rule::{Check, CheckDigit, DeprecatedSystem, Pattern, Rule, RuleSeverity};

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
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules of a pack, checked in the order given.
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        RuleSet { rules }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Checks one `Identifier` object. Identifiers without a string
    /// `system` are left alone: the rules are all keyed by system, and a
    /// missing or mistyped one is the structural checks' business.
    pub fn check_identifier(&self, doc: &Document<'_>, identifier: NodeId) -> Vec<RuleHit> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let Some(system_node) = doc.get(identifier, "system") else {
            return Vec::new();
        };
        let Some(system) = doc.str(system_node) else {
            return Vec::new();
        };
        let value_node = doc.get(identifier, "value");
        let value = value_node.and_then(|v| doc.str(v));
        let mut hits = Vec::new();
        for rule in &self.rules {
            let Some(problem) = rule.check.problem(&system, value.as_deref()) else {
                continue;
            };
            let (node, child) = match (problem.about, value_node) {
                (rule::About::Value, Some(v)) => (v, "value"),
                _ => (system_node, "system"),
            };
            hits.push(RuleHit {
                rule: rule.id.clone(),
                severity: rule.severity.into(),
                node,
                child,
                message: format!("{} {}", problem.message, rule.why),
            });
        }
        hits
    }
}

#[cfg(test)]
mod tests;
