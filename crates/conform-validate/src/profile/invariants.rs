//! A profile's own invariants (those of the base definitions are the
//! walk's, see [`crate::rule_families::invariants`]), evaluated on one value with
//! the FHIR type FHIRPath needs.

use super::Checker;
use crate::plan::profile::{NodeIdx, ProfileNode, ProfilePlan, ProfileType};
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
            [t] => Some(one_type(p, t)),
            _ if p.choice => {
                let last = self.path.last()?;
                match last.of_type {
                    Some(code) => Some(choice_type(&upper_first(code))),
                    None => Some(choice_type(last.key.strip_prefix(p.name.as_str())?)),
                }
            }
            _ => None,
        }
    }
}

/// The types [`Checker::value_type`] can give the values of profile element
/// `i`, for compiling its invariants with the plans: those it tells from
/// the element alone (a resource inside, `Resource` here, is typed by its
/// data, and its checks are compiled when met).
pub(crate) fn focus_types(profile: &ProfilePlan, i: NodeIdx) -> Vec<String> {
    let p = profile.node(i);
    if i == profile.root {
        return vec![profile.type_name.clone()];
    }
    match p.types.as_slice() {
        [t] => vec![one_type(p, t)],
        types if p.choice => types
            .iter()
            .map(|t| choice_type(&upper_first(&t.code)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The type of an element with one: its code, or for a backbone its base
/// path (`Composition.section:problems` is a `Composition.section`).
fn one_type(p: &ProfileNode, t: &ProfileType) -> String {
    if matches!(t.code.as_str(), "BackboneElement" | "Element") {
        let path: Vec<&str> =
            p.id.split('.')
                .map(|seg| seg.split(':').next().unwrap_or(seg))
                .collect();
        path.join(".")
    } else {
        t.code.clone()
    }
}

/// A choice's type from its JSON key suffix (`DateTime` of
/// `valueDateTime`): a primitive's name starts lower case.
fn choice_type(suffix: &str) -> String {
    let lower = lower_first(suffix);
    if conform_fhirpath::system_type_of(&lower).is_some() {
        lower
    } else {
        suffix.to_string()
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
