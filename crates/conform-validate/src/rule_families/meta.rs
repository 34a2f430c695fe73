//! A resource's `meta`: its security labels are a set (R4 §2.3.0.1
//! "Security Labels": a label is a system and code), so one given twice is
//! an error, as the reference reports it.

use crate::finding::{rules, IssueCode};
use crate::walk::{Seg, Walker};
use conform_json::NodeId;

impl Walker<'_> {
    pub(crate) fn security_labels(&mut self, resource: NodeId) {
        let doc = self.doc;
        let Some(labels) = doc
            .get(resource, "meta")
            .and_then(|m| doc.get(m, "security"))
            .map(|s| doc.elements(s))
            .filter(|l| l.len() > 1)
        else {
            return;
        };
        let mut seen: Vec<(Option<String>, Option<String>)> = Vec::with_capacity(labels.len());
        for (i, &label) in labels.iter().enumerate() {
            let key = (
                doc.get_str(label, "system").map(|s| s.into_owned()),
                doc.get_str(label, "code").map(|s| s.into_owned()),
            );
            if key.1.is_some() && seen.contains(&key) {
                let message = format!(
                    "The security label {}#{} is given twice: a resource's labels are a set",
                    key.0.as_deref().unwrap_or_default(),
                    key.1.as_deref().unwrap_or_default()
                );
                self.path.extend([
                    Seg::Name("meta"),
                    Seg::Name("security"),
                    Seg::Index(i as u32),
                ]);
                self.error(
                    IssueCode::BusinessRule,
                    rules::SECURITY_LABEL_DUPLICATE,
                    label,
                    message,
                );
                self.path.truncate(self.path.len() - 3);
            }
            seen.push(key);
        }
    }
}
