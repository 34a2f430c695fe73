//! Contained resources and Bundles: `#id` references noted per container
//! so that `dom-3` (every contained resource is referenced) is checked
//! natively, and a Bundle's entries' `fullUrl`s (`bundle-fullurl`,
//! `bundle-duplicate`).

use crate::finding::{rules, IssueCode, Severity};
use crate::plan::TypeId;
use crate::walk::{Seg, Walker};
use conform_json::{Kind, NodeId};
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

    pub(crate) fn bundle(&mut self, node: NodeId) {
        let doc = self.doc;
        let Some(entries) = doc.get(node, "entry") else {
            return;
        };
        let mut seen: FxHashMap<(String, Option<String>), usize> = FxHashMap::default();
        for (i, &entry) in doc.elements(entries).iter().enumerate() {
            let Some(full_url) = doc.get_str(entry, "fullUrl") else {
                continue;
            };
            let resource = doc
                .get(entry, "resource")
                .filter(|&r| doc.kind(r) == Kind::Object);
            let at = doc.get(entry, "fullUrl").unwrap_or(entry);
            self.path.push(Seg::Name("entry"));
            self.path.push(Seg::Index(i as u32));
            if let Some(r) = resource {
                let rt = doc.get_str(r, "resourceType");
                let id = doc.get_str(r, "id");
                if let (Some(rt), Some(id)) = (rt, id.as_ref()) {
                    let is_rest =
                        full_url.starts_with("http://") || full_url.starts_with("https://");
                    if !full_url.contains(':') {
                        let message =
                            format!("The fullUrl must be an absolute URL (not '{full_url}')");
                        self.emit(
                            Severity::Error,
                            IssueCode::Invalid,
                            rules::BUNDLE_FULLURL,
                            doc.offset(at),
                            Some("fullUrl"),
                            message,
                        );
                    }
                    let suffix = format!("{rt}/{id}");
                    let matches = full_url.ends_with(&format!("/{suffix}"))
                        || full_url.contains(&format!("/{suffix}/_history/"));
                    if is_rest && !matches {
                        let message = format!("The fullUrl '{full_url}' does not match the resource it holds ({suffix}): it should end with /{suffix}");
                        self.emit(
                            Severity::Error,
                            IssueCode::Invalid,
                            rules::BUNDLE_FULLURL,
                            doc.offset(at),
                            Some("fullUrl"),
                            message,
                        );
                    }
                }
                let version = doc
                    .get(r, "meta")
                    .and_then(|m| doc.get_str(m, "versionId"))
                    .map(|v| v.into_owned());
                let key = (full_url.clone().into_owned(), version);
                if let Some(prev) = seen.get(&key) {
                    let message = format!("The fullUrl '{full_url}' is used by entry {prev} too: entries with the same fullUrl must have different meta.versionId (bdl-7)");
                    self.emit(
                        Severity::Error,
                        IssueCode::Invalid,
                        rules::BUNDLE_DUPLICATE,
                        doc.offset(at),
                        Some("fullUrl"),
                        message,
                    );
                } else {
                    seen.insert(key, i);
                }
            }
            self.path.pop();
            self.path.pop();
        }
    }
}

/// The contained resources of one container: id → (type, node, index),
/// and the ids something has referred to.
pub(crate) struct ContainedScope<'a> {
    pub(crate) ids: FxHashMap<&'a str, (TypeId, NodeId, u32)>,
    pub(crate) referenced: rustc_hash::FxHashSet<String>,
}
