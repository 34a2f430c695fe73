//! A profile's own invariants (those of the base definitions are the
//! walk's, see [`crate::rule_families::invariants`]), evaluated on one value with
//! the FHIR type FHIRPath needs.

use super::Checker;
use crate::plan::profile::ProfileNode;
use conform_json::NodeId;

impl Checker<'_> {
    /// The invariants the profile adds to this element, on one value.
    pub(super) fn invariants(&mut self, node: NodeId, p: &ProfileNode) {
        let Some(inv) = self.inv else { return };
        let ty: Option<std::sync::Arc<str>> = self.value_type(node, p).map(Into::into);
        let mut issues = Vec::new();
        inv.check(
            self.doc,
            node,
            ty.as_ref(),
            &self.resources,
            p.constraints.iter().copied(),
            |i| issues.push(i),
        );
        for i in issues {
            self.report(
                i.severity,
                i.code,
                i.rule.to_string(),
                node,
                None,
                i.message,
            );
        }
    }

    /// The FHIR type of a value for FHIRPath: the profiled resource or
    /// type at the root, the element's one type, the backbone's base path,
    /// or a choice's type from its JSON key.
    fn value_type(&self, node: NodeId, p: &ProfileNode) -> Option<String> {
        if let Some(t) = self.doc.get_str(node, "resourceType") {
            return Some(t.into_owned());
        }
        if self.path.is_empty() {
            return Some(self.profile.type_name.clone());
        }
        match p.types.as_slice() {
            [t] if matches!(t.code.as_str(), "BackboneElement" | "Element") => {
                // `Composition.section:problems` is a `Composition.section`
                let path: Vec<&str> =
                    p.id.split('.')
                        .map(|seg| seg.split(':').next().unwrap_or(seg))
                        .collect();
                Some(path.join("."))
            }
            [t] => Some(t.code.clone()),
            _ if p.choice => {
                let suffix = self.path.last()?.key.strip_prefix(p.name.as_str())?;
                let mut ty = suffix.to_string();
                if conform_fhirpath::system_type_of(&lower_first(suffix)).is_some() {
                    ty = lower_first(suffix);
                }
                Some(ty)
            }
            _ => None,
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
