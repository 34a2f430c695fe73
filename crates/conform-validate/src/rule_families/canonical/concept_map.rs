//! A ConceptMap's codes (R4 ConceptMap.group.element and its targets):
//! each source code must be in the map's source value set and in the
//! group's source code system, and each target code in the target value
//! set and the group's target system, as the reference validator's
//! ConceptMap checks judge them. Judged only for codes of code systems,
//! and against value sets, that conform holds at validation time
//! (implementation guides', `--ig` files'): looking a core one up would
//! read every definition.

use super::items;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::terminology::{CodeSet, Membership};
use crate::walk::Walker;
use conform_json::NodeId;

impl Walker<'_> {
    pub(crate) fn concept_map(&mut self, node: NodeId) {
        let doc = self.doc;
        let value_set = |keys: [&str; 2]| -> Option<(String, CodeSet)> {
            let url = keys.iter().find_map(|k| doc.get_str(node, k))?;
            let bare = url.split('|').next().unwrap_or_default();
            self.context
                .held(bare)
                .filter(|vs| vs["resourceType"] == "ValueSet")?;
            let set = self.context.value_set(self.plans, &url);
            set.unresolved.is_none().then(|| (url.into_owned(), set))
        };
        let sources = value_set(["sourceCanonical", "sourceUri"]);
        let targets = value_set(["targetCanonical", "targetUri"]);
        let mut found: Vec<(NodeId, String, String)> = Vec::new();
        for (g, group) in items(doc, node, "group").enumerate() {
            let source = doc.get_str(group, "source");
            let target = doc.get_str(group, "target");
            for (e, element) in items(doc, group, "element").enumerate() {
                if let (Some(at), Some(system)) = (doc.get(element, "code"), source.as_deref()) {
                    if let Some(code) = doc.str(at) {
                        let path = format!("group[{g}].element[{e}].code");
                        found.extend(
                            self.judge(system, &code, sources.as_ref(), "source")
                                .map(|m| (at, path, m)),
                        );
                    }
                }
                for (t, target_node) in items(doc, element, "target").enumerate() {
                    let (Some(at), Some(system)) =
                        (doc.get(target_node, "code"), target.as_deref())
                    else {
                        continue;
                    };
                    if let Some(code) = doc.str(at) {
                        let path = format!("group[{g}].element[{e}].target[{t}].code");
                        found.extend(
                            self.judge(system, &code, targets.as_ref(), "target")
                                .map(|m| (at, path, m)),
                        );
                    }
                }
            }
        }
        for (at, path, message) in found {
            self.report(
                Severity::Error,
                IssueCode::CodeInvalid,
                rules::CONCEPT_MAP_CODE,
                at,
                Some(&path),
                message,
            );
        }
    }

    /// What is wrong with `code` of `system` on the map's `side`: not in
    /// the side's value set, or else not in the system, when held.
    fn judge(
        &self,
        system: &str,
        code: &str,
        value_set: Option<&(String, CodeSet)>,
        side: &str,
    ) -> Option<String> {
        // only codes of a system conform holds: one of SNOMED CT's, say,
        // may be in an edition the value set's concepts do not list, which
        // only a terminology server could tell (the reference says nothing
        // of such a target)
        let codes = self.context.system_codes(system)?;
        if let Some((url, set)) = value_set {
            if set.contains_coding(system, code) == Membership::NotIn {
                return Some(format!(
                    "The {side} code '{code}' ({system}) is not in the map's {side} value set {url}"
                ));
            }
        }
        codes.lacks(code).then(|| {
            format!("The {side} code '{code}' is not in the code system {system}, whose complete content the loaded packages hold")
        })
    }
}
