//! A CodeSystem supplement (R4 CodeSystem.supplements and content
//! `supplement`): it adds designations and properties to the concepts of
//! the code system it names, so it must say which one, say it is a
//! supplement, and leave case sensitivity to that system (the reference's
//! CodeSystem metadata checks).

use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::NodeId;

impl Walker<'_> {
    pub(crate) fn code_system(&mut self, node: NodeId) {
        let doc = self.doc;
        let supplements = doc.get_str(node, "supplements");
        let content = doc.get(node, "content");
        let is_supplement_content =
            content.and_then(|c| doc.str(c)).as_deref() == Some("supplement");
        let mut found: Vec<(NodeId, &str, String)> = Vec::new();
        match (&supplements, is_supplement_content) {
            (Some(base), false) => {
                if let Some(c) = content {
                    found.push((c, "content", format!("This CodeSystem supplements {base}, so its content must be 'supplement'")));
                }
            }
            (None, true) => {
                let c = content.unwrap_or(node);
                found.push((c, "content", "This CodeSystem's content is 'supplement', but it does not say which code system it supplements (supplements)".to_string()));
            }
            _ => {}
        }
        if supplements.is_some() {
            if let Some(cs) = doc.get(node, "caseSensitive") {
                found.push((cs, "caseSensitive", "A supplement takes its case sensitivity from the code system it supplements, so it should not state caseSensitive".to_string()));
            }
        }
        for (at, element, message) in found {
            self.report(
                Severity::Error,
                IssueCode::BusinessRule,
                rules::CODE_SYSTEM_SUPPLEMENT,
                at,
                Some(element),
                message,
            );
        }
    }
}
