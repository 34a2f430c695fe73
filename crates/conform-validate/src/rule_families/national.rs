//! National rules: the identifier checks of a [`crate::national::RuleSet`]
//! (NHS number check digits and the like), on every `Identifier`.

use crate::finding::IssueCode;
use crate::walk::Walker;
use conform_json::NodeId;

impl<'a> Walker<'a> {
    pub(crate) fn national_rules(&mut self, identifier: NodeId) {
        for hit in self.rules.check_identifier(self.doc, identifier) {
            let extra = (!hit.child.is_empty()).then_some(hit.child);
            let code = if hit.severity.is_error() {
                IssueCode::Value
            } else {
                IssueCode::BusinessRule
            };
            self.emit(
                hit.severity,
                code,
                &hit.rule,
                self.doc.offset(hit.node),
                extra,
                hit.message,
            );
        }
    }
}
