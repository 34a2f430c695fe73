//! Contained resources: `#id` references noted per container so that
//! `dom-3` (every contained resource is referenced) is checked natively.

use crate::finding::{IssueCode, Severity};
use crate::plan::TypeId;
use crate::walk::Walker;
use conform_json::NodeId;
use rustc_hash::FxHashMap;

impl<'a> Walker<'a> {
    /// `dom-3`, natively: each contained resource is referenced from
    /// elsewhere in its container (or refers to the container with `#`).
    /// The FHIRPath form searches every descendant for every contained
    /// resource, which costs more than all other checks together.
    pub(crate) fn unreferenced_contained(&mut self, scope: ContainedScope<'a>) {
        let mut missing: Vec<(&str, NodeId, u32)> = scope
            .ids
            .iter()
            .filter(|(id, _)| !scope.referenced.contains(**id))
            .map(|(id, &(_, node, i))| (*id, node, i))
            .collect();
        missing.sort_by_key(|m| m.2);
        for (id, node, i) in missing {
            let extra = format!("contained[{i}]");
            let message = format!("Constraint failed: dom-3: 'If the resource is contained in another resource, it SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource' (nothing refers to #{id})");
            self.emit(
                Severity::Error,
                IssueCode::Invariant,
                "dom-3",
                self.doc.offset(node),
                Some(&extra),
                message,
            );
        }
    }

    /// Notes a local reference (`#id`, or `#` for the container).
    pub(crate) fn local_reference(&mut self, target: &str) {
        let id = if target.is_empty() {
            match self.walking_contained.last() {
                Some(id) => id.to_string(),
                None => return,
            }
        } else {
            target.to_string()
        };
        if let Some(scope) = self.contained.last_mut() {
            scope.referenced.insert(id);
        }
    }
}

/// The contained resources of one container: id → (type, node, index),
/// and the ids something has referred to.
pub(crate) struct ContainedScope<'a> {
    pub(crate) ids: FxHashMap<&'a str, (TypeId, NodeId, u32)>,
    pub(crate) referenced: rustc_hash::FxHashSet<String>,
}
