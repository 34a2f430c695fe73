//! Slicing: assigning each value of a sliced element to a slice by the
//! discriminators, then checking each slice's cardinality, the slicing
//! rules (closed, ordered, open at end), and the slice's own constraints.

use super::{matching, Checker, Item};
use crate::finding::{rules, IssueCode, Severity};
use crate::plan::profile::{
    Discriminator, DiscriminatorKind, NodeIdx, ProfileNode, Slicing, SlicingRules,
};
use crate::rule_families::cardinality;
use conform_json::{Kind, NodeId};
use serde_json::Value;

pub(super) fn check<'a>(
    ck: &mut Checker<'a>,
    parent: NodeId,
    sliced: &'a ProfileNode,
    sl: &'a Slicing,
    items: &[Item<'a>],
) {
    let set = ck.profile;
    let mut assigned: Vec<Option<usize>> = Vec::with_capacity(items.len());
    // Slices told apart by distinct single values cannot both match a
    // value, so the search for a second match is only made otherwise
    // (decided once, when a value first matches a slice).
    let mut separable_slices: Option<bool> = None;
    for it in items {
        let in_slice = |ck: &mut Checker<'a>, s: NodeIdx| {
            sl.discriminators
                .iter()
                .all(|d| matches(ck, it, set.node(s), d))
        };
        let slice = sl.slices.iter().position(|&s| in_slice(ck, s));
        // A value belongs to one slice: the discriminators must tell the
        // slices apart (re-slices are nested, so they are not siblings here).
        let separable =
            slice.is_some() && *separable_slices.get_or_insert_with(|| separable(ck, sl));
        if let Some(first) = slice.filter(|_| !separable) {
            let others: Vec<&str> = sl.slices[first + 1..]
                .iter()
                .filter(|&&s| in_slice(ck, s))
                .map(|&s| set.node(s).id.as_str())
                .collect();
            if !others.is_empty() {
                let message = format!(
                    "{}: this value matches more than one slice ({} and {})",
                    sliced.id,
                    set.node(sl.slices[first]).id,
                    others.join(", ")
                );
                error_at(ck, it, rules::PROFILE_SLICE_MULTIPLE, message);
            }
        }
        assigned.push(slice);
    }
    // Rules on unmatched values and order.
    let mut last_slice = 0;
    let mut seen_unmatched = false;
    for (it, slice) in items.iter().zip(&assigned) {
        match slice {
            None if sl.rules == SlicingRules::Closed => {
                error_at(ck, it, rules::PROFILE_SLICE_CLOSED, format!("{}: this value does not match any of the defined slices, and the slicing is closed", sliced.id));
            }
            None => seen_unmatched = true,
            Some(s) => {
                if sl.rules == SlicingRules::OpenAtEnd && seen_unmatched {
                    error_at(
                        ck,
                        it,
                        rules::PROFILE_SLICE_ORDER,
                        format!(
                            "{}: values matching a slice must come before the others (open at end)",
                            sliced.id
                        ),
                    );
                }
                if sl.ordered && *s < last_slice {
                    error_at(
                        ck,
                        it,
                        rules::PROFILE_SLICE_ORDER,
                        format!(
                            "{}: the slices are ordered, and this value comes out of order",
                            sliced.id
                        ),
                    );
                }
                last_slice = last_slice.max(*s);
            }
        }
    }
    // Each slice: its cardinality, re-slicing, and its constraints.
    for (si, &s) in sl.slices.iter().enumerate() {
        let node = set.node(s);
        let mine: Vec<Item<'a>> = items
            .iter()
            .zip(&assigned)
            .filter(|(_, a)| **a == Some(si))
            .map(|(it, _)| *it)
            .collect();
        let count = mine.len() as u32;
        let rule = rules::PROFILE_SLICE_CARDINALITY;
        let name = Some(sliced.name.as_str());
        if !cardinality::min(ck, rule, parent, name, &node.id, count, node.min) {
            if let Some(over) = mine.get(node.max as usize) {
                // Point at the first value over the limit.
                ck.enter(over);
                cardinality::max(ck, rule, over.node, None, &node.id, count, node.max);
                ck.leave();
            }
        }
        if let Some(resl) = &node.slicing {
            check(ck, parent, node, resl, &mine);
        }
        for it in &mine {
            ck.enter(it);
            ck.item(it.node, s, it.base);
            ck.leave();
        }
    }
}

/// Whether no value can match two slices of `sl`: every discriminator is a
/// value or pattern one, every slice gives one primitive value for each
/// (a fixed or pattern string, number or boolean, which a value matches
/// only by being equal to it; an extension slice's url), and no two slices
/// give the same values. Borrowed, not copied: this runs for every sliced
/// element of every resource.
fn separable<'c>(ck: &Checker<'c>, sl: &'c Slicing) -> bool {
    let set = ck.profile;
    let mut seen: Vec<Vec<&'c str>> = Vec::with_capacity(sl.slices.len());
    for &s in &sl.slices {
        let mut key = Vec::with_capacity(sl.discriminators.len());
        for d in &sl.discriminators {
            if !matches!(
                d.kind,
                DiscriminatorKind::Value | DiscriminatorKind::Pattern
            ) {
                return false;
            }
            match slice_string(ck, set.node(s), &d.path) {
                Some(v) => key.push(v),
                None => return false,
            }
        }
        if seen.contains(&key) {
            return false;
        }
        seen.push(key);
    }
    true
}

/// The string a slice fixes (or patterns) at `path`, following the
/// slice's own child elements, or its extension url for `url`; `None` for
/// anything else (which makes the slicing not separable).
fn slice_string<'c>(ck: &Checker<'c>, slice: &'c ProfileNode, path: &[String]) -> Option<&'c str> {
    let set = ck.profile;
    let mut node = slice;
    for seg in path {
        match node
            .children
            .iter()
            .map(|&c| set.node(c))
            .find(|c| c.name == *seg)
        {
            Some(c) => node = c,
            None if path.len() == 1 && seg == "url" => {
                return slice
                    .types
                    .iter()
                    .find(|t| t.code == "Extension")
                    .and_then(|t| t.profiles.first())
                    .map(String::as_str);
            }
            None => return None,
        }
    }
    let value = node.fixed.or(node.pattern).map(|i| ck.values.get(i))?;
    value.as_str()
}

/// Whether a value belongs to a slice by one discriminator.
fn matches(ck: &mut Checker<'_>, it: &Item<'_>, slice: &ProfileNode, d: &Discriminator) -> bool {
    let doc = ck.doc;
    match d.kind {
        DiscriminatorKind::Value | DiscriminatorKind::Pattern => {
            let Some(actual) = matching::navigate(doc, it.node, &d.path) else {
                return false;
            };
            let expected = expected_values(ck, slice, &d.path);
            if expected.is_empty() {
                // No fixed or pattern value: a slice may be told by the
                // value set its element is bound to (required binding).
                let Some(binding) = node_at(ck, slice, &d.path)
                    .and_then(|n| n.binding.as_ref())
                    .filter(|b| b.strength == crate::plan::Strength::Required)
                else {
                    return false;
                };
                let plans = ck.plans;
                return actual.iter().any(|&a| {
                    crate::rule_families::bindings::in_value_set(plans, doc, a, binding)
                        == Some(true)
                });
            }
            actual.iter().any(|&a| {
                expected.iter().any(|(v, exact)| {
                    if *exact && d.kind == DiscriminatorKind::Value {
                        matching::equals(doc, a, v)
                    } else {
                        matching::contains(doc, a, v)
                    }
                })
            })
        }
        DiscriminatorKind::Type => {
            let Some(target) = node_at(ck, slice, &d.path) else {
                return false;
            };
            // At the value itself: a choice's typed name or a resource's
            // type; further down (`resource`): the resource's type.
            let ty = if d.path.is_empty() {
                type_of(ck, it)
            } else {
                matching::navigate(ck.doc, it.node, &d.path)
                    .and_then(|nodes| nodes.first().copied())
                    .and_then(|n| ck.doc.get_str(n, "resourceType"))
                    .map(|t| t.into_owned())
                    .or_else(|| choice_type_at(ck, it, &d.path))
            };
            match ty {
                Some(ty) => target.types.iter().any(|t| t.code == ty),
                None => false,
            }
        }
        DiscriminatorKind::Exists => {
            let present = matching::navigate(doc, it.node, &d.path).is_some_and(|n| !n.is_empty());
            match node_at(ck, slice, &d.path) {
                Some(t) if t.min >= 1 => present,
                Some(t) if t.max == 0 => !present,
                _ => false,
            }
        }
        DiscriminatorKind::Profile => {
            let Some(target) = node_at(ck, slice, &d.path) else {
                return false;
            };
            let urls: Vec<String> = target
                .types
                .iter()
                .flat_map(|t| t.profiles.iter().cloned())
                .collect();
            let nodes = matching::navigate(doc, it.node, &d.path).unwrap_or_default();
            urls.iter().any(|u| {
                let Some(plan) = ck.set().get(u) else {
                    return false;
                };
                nodes.iter().all(|&n| ck.conforms(n, plan))
            }) && !nodes.is_empty()
        }
    }
}

/// The profile node a discriminator path reaches inside a slice.
fn node_at<'a>(
    ck: &Checker<'a>,
    slice: &'a ProfileNode,
    path: &[String],
) -> Option<&'a ProfileNode> {
    let set = ck.profile;
    let mut node = slice;
    for seg in path {
        node = node
            .children
            .iter()
            .map(|&c| set.node(c))
            .find(|c| c.name == *seg)?;
    }
    Some(node)
}

/// What a slice requires at a discriminator path: the fixed or pattern
/// value there, or found inside an ancestor's pattern, or, for `url` on an
/// extension slice, the URL of the extension's definition. The flag says
/// whether the value is exact (fixed) or a pattern.
fn expected_values(ck: &Checker<'_>, slice: &ProfileNode, path: &[String]) -> Vec<(Value, bool)> {
    let set = ck.profile;
    let mut node = slice;
    for (i, seg) in path.iter().enumerate() {
        if let Some(v) = own_value(ck, node) {
            return matching::navigate_value(&v.0, &path[i..])
                .into_iter()
                .map(|x| (x.clone(), v.1))
                .collect();
        }
        match node
            .children
            .iter()
            .map(|&c| set.node(c))
            .find(|c| c.name == *seg)
        {
            Some(c) => node = c,
            None => {
                if path.len() == 1 && seg == "url" {
                    return extension_url(slice)
                        .into_iter()
                        .map(|u| (Value::String(u), true))
                        .collect();
                }
                return Vec::new();
            }
        }
    }
    if let Some(v) = own_value(ck, node) {
        return vec![v];
    }
    if path == ["url"] {
        return extension_url(slice)
            .into_iter()
            .map(|u| (Value::String(u), true))
            .collect();
    }
    Vec::new()
}

fn own_value(ck: &Checker<'_>, node: &ProfileNode) -> Option<(Value, bool)> {
    node.fixed
        .map(|i| (ck.values.get(i).clone(), true))
        .or_else(|| node.pattern.map(|i| (ck.values.get(i).clone(), false)))
}

fn extension_url(slice: &ProfileNode) -> Option<String> {
    slice
        .types
        .iter()
        .find(|t| t.code == "Extension")
        .and_then(|t| t.profiles.first().cloned())
}

/// A value's type: a choice element's typed name, or a resource's type.
fn type_of(ck: &Checker<'_>, it: &Item<'_>) -> Option<String> {
    let doc = ck.doc;
    if doc.kind(it.node) == Kind::Object {
        if let Some(rt) = doc.get_str(it.node, "resourceType") {
            return Some(rt.into_owned());
        }
    }
    // `valueQuantity` → `Quantity`; primitives start lower-case.
    let suffix = it.key.trim_start_matches(|c: char| c.is_ascii_lowercase());
    if suffix.is_empty() {
        return None;
    }
    let code = ck
        .plans
        .by_name
        .keys()
        .find(|k| super::upper_first_eq(k, suffix))?;
    Some(code.clone())
}

/// The type a choice element below the value has (`content` in
/// `payload` holding `contentString`: `string`), for a type discriminator
/// whose path names a choice.
fn choice_type_at(ck: &Checker<'_>, it: &Item<'_>, path: &[String]) -> Option<String> {
    let (last, parents) = path.split_last()?;
    let doc = ck.doc;
    let holder = if parents.is_empty() {
        it.node
    } else {
        *matching::navigate(doc, it.node, parents)?.first()?
    };
    doc.members(holder).iter().find_map(|m| {
        let key = doc.raw_key(m);
        let suffix = key.strip_prefix(last.as_str())?;
        if !suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        ck.plans
            .by_name
            .keys()
            .find(|k| super::upper_first_eq(k, suffix))
            .cloned()
    })
}

/// A structural error about one value, located at that value.
fn error_at<'a>(ck: &mut Checker<'a>, it: &Item<'a>, rule: &'static str, message: String) {
    ck.enter(it);
    ck.report(
        Severity::Error,
        IssueCode::Structure,
        rule,
        it.node,
        None,
        message,
    );
    ck.leave();
}
