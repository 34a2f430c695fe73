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
use conform_json::NodeId;

/// One item of the Questionnaire, in document order (pre-order).
struct Item {
    node: NodeId,
    path: String,
    link_id: Option<String>,
    /// The index of the item after this one's last descendant.
    subtree_end: usize,
}

impl Walker<'_> {
    pub(crate) fn questionnaire(&mut self, node: NodeId) {
        let mut all = Vec::new();
        self.questionnaire_items(node, String::new(), &mut all);
        let doc = self.doc;
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
                found.push((item.node, item.path.clone(), severity, message));
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

    /// The items under `node` (the Questionnaire or an item), in document
    /// order, each before its own items.
    fn questionnaire_items(&self, node: NodeId, prefix: String, out: &mut Vec<Item>) {
        let doc = self.doc;
        for (i, child) in items(doc, node, "item").enumerate() {
            let path = format!("{prefix}item[{i}]");
            let at = out.len();
            out.push(Item {
                node: child,
                path: path.clone(),
                link_id: doc.get_str(child, "linkId").map(|s| s.into_owned()),
                subtree_end: 0,
            });
            self.questionnaire_items(child, format!("{path}."), out);
            out[at].subtree_end = out.len();
        }
    }
}
