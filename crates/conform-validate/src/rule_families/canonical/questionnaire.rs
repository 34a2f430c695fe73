//! A Questionnaire's `enableWhen` targets (R4+), as the reference
//! validator's Questionnaire check judges them: the question an
//! `enableWhen` names must be an item of the Questionnaire (error), not one
//! inside the item itself (error: the item's answers cannot exist while
//! the item is disabled), not the item itself (error), and should come
//! before it in the Questionnaire (warning).

use super::items;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::{Document, NodeId};
use std::borrow::Cow;

/// One item of the Questionnaire, in document order (pre-order).
struct Item<'d> {
    node: NodeId,
    /// The index of the item holding this one, and this one's place among
    /// its siblings (the path is made only for a finding).
    parent: Option<usize>,
    position: usize,
    link_id: Option<Cow<'d, str>>,
    /// The index of the item after this one's last descendant.
    subtree_end: usize,
}

impl Walker<'_> {
    pub(crate) fn questionnaire(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut all = Vec::new();
        questionnaire_items(doc, node, None, &mut all);
        let mut found = Vec::new();
        for (i, item) in all.iter().enumerate() {
            for when in items(doc, item.node, "enableWhen") {
                let Some(question) = doc.get_str(when, "question") else {
                    continue; // the cardinality check reports it
                };
                let named = |j: &usize| all[*j].link_id.as_deref() == Some(question.as_ref());
                let own = || item.link_id.as_deref().unwrap_or_default();
                let (severity, message) = if (i + 1..item.subtree_end).any(|j| named(&j)) {
                    (Severity::Error, "Questions with an enableWhen cannot refer to an inner question for its enableWhen condition".to_string())
                } else {
                    match (0..all.len()).find(named) {
                        None => (Severity::Error, format!("Unable to find an item with the linkId '{question}' which is referenced in the enableWhen for '{}'", own())),
                        Some(t) if t == i => (Severity::Error, "Target for this question enableWhen can't reference itself".to_string()),
                        Some(t) if t > i => (Severity::Warning, format!("The target of this enableWhen rule ({question}) comes after the question itself")),
                        Some(_) => continue,
                    }
                };
                found.push((item.node, item_path(&all, i), severity, message));
            }
        }
        for (at, path, severity, message) in found {
            self.report(
                severity,
                IssueCode::BusinessRule,
                rules::QUESTIONNAIRE_ENABLE_WHEN,
                at,
                Some(&path),
                message,
            );
        }
    }
}

/// The items under `node` (the Questionnaire or an item), in document
/// order, each before its own items.
fn questionnaire_items<'d>(
    doc: &Document<'d>,
    node: NodeId,
    parent: Option<usize>,
    out: &mut Vec<Item<'d>>,
) {
    for (position, child) in items(doc, node, "item").enumerate() {
        let at = out.len();
        out.push(Item {
            node: child,
            parent,
            position,
            link_id: doc.get_str(child, "linkId"),
            subtree_end: 0,
        });
        questionnaire_items(doc, child, Some(at), out);
        out[at].subtree_end = out.len();
    }
}

/// `item[1].item[0]`: the path of item `i` below the Questionnaire.
fn item_path(all: &[Item<'_>], i: usize) -> String {
    let mut steps = Vec::new();
    let mut at = Some(i);
    while let Some(j) = at {
        steps.push(format!("item[{}]", all[j].position));
        at = all[j].parent;
    }
    steps.reverse();
    steps.join(".")
}
