//! Slicing: assigning each value of a sliced element to a slice by the
//! discriminators, then checking each slice's cardinality, the slicing
//! rules (closed, ordered, open at end), and the slice's own constraints.

use super::{matching, Checker, Item};
use crate::finding::{rules, IssueCode, Severity};
use crate::plan::profile::{
    Discriminator, DiscriminatorKind, NodeIdx, ProfileNode, Slicing, SlicingRules, Step,
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
fn slice_string<'c>(ck: &Checker<'c>, slice: &'c ProfileNode, path: &[Step]) -> Option<&'c str> {
    let Some(node) = node_at(ck, slice, path) else {
        return extension_url_at(slice, path);
    };
    let value = node.fixed.or(node.pattern).map(|i| ck.values.get(i))?;
    value.as_str()
}

/// An extension slice's url, for the discriminator `url` (which the slice
/// need not write out: its type's profile says it).
fn extension_url_at<'c>(slice: &'c ProfileNode, path: &[Step]) -> Option<&'c str> {
    match path {
        [Step::Element(url)] if url == "url" => slice
            .types
            .iter()
            .find(|t| t.code == "Extension")
            .and_then(|t| t.profiles.first())
            .map(String::as_str),
        _ => None,
    }
}

/// Follows a reference's `reference` to the resource it leads to here (a
/// contained resource or an entry of the enclosing Bundle), for
/// `resolve()` in a discriminator.
fn resolver<'c>(ck: &'c Checker<'_>) -> impl Fn(NodeId) -> Option<NodeId> + 'c {
    move |reference| {
        let text = ck.doc.get_str(reference, "reference")?;
        ck.resolve_here(&text, reference)
    }
}

/// The values a discriminator path reaches from a value.
fn reach(ck: &Checker<'_>, it: &Item<'_>, path: &[Step]) -> Option<Vec<NodeId>> {
    matching::navigate(ck.doc, it.node, path, &resolver(ck))
}

/// Whether a value belongs to a slice by one discriminator.
fn matches(ck: &mut Checker<'_>, it: &Item<'_>, slice: &ProfileNode, d: &Discriminator) -> bool {
    let doc = ck.doc;
    // A slice that forbids the element the discriminator names is told by
    // its absence, whatever the kind (as the reference builds its slice
    // expressions: `path.empty()`).
    if !d.path.is_empty() && node_at(ck, slice, &d.path).is_some_and(|n| n.max == 0) {
        return reach(ck, it, &d.path).is_some_and(|n| n.is_empty());
    }
    match d.kind {
        DiscriminatorKind::Value | DiscriminatorKind::Pattern => {
            let Some(actual) = reach(ck, it, &d.path) else {
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
            // `item.resolve()`: the type of the resource the reference
            // leads to, against the slice's target types there.
            if let Some((Step::Resolve, reference)) = d.path.split_last() {
                let Some(target) = node_at(ck, slice, reference) else {
                    return false;
                };
                let allowed: Vec<&str> = target
                    .reference_target_types()
                    .map(String::as_str)
                    .collect();
                let resolved = reach(ck, it, &d.path).unwrap_or_default();
                return !allowed.is_empty()
                    && !resolved.is_empty()
                    && resolved.iter().all(|&n| {
                        doc.get_str(n, "resourceType")
                            .is_some_and(|t| allowed.contains(&t.as_ref()))
                    });
            }
            let Some(target) = node_at(ck, slice, &d.path) else {
                return false;
            };
            // At the value itself: a choice's typed name or a resource's
            // type; further down (`resource`): the resource's type.
            let ty = if d.path.is_empty() {
                type_of(ck, it)
            } else {
                reach(ck, it, &d.path)
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
            let present = reach(ck, it, &d.path).is_some_and(|n| !n.is_empty());
            match node_at(ck, slice, &d.path) {
                Some(t) if t.min >= 1 => present,
                Some(t) if t.max == 0 => !present,
                _ => false,
            }
        }
        DiscriminatorKind::Profile => {
            // `item.resolve()`: the resource the reference leads to, against
            // the target profiles of the slice's reference (the reference
            // walks to the reference's element, not into the target).
            let (at, resolving) = match d.path.split_last() {
                Some((Step::Resolve, reference)) => (reference, true),
                _ => (&d.path[..], false),
            };
            let Some(target) = node_at(ck, slice, at) else {
                return false;
            };
            let urls: Vec<&str> = target
                .types
                .iter()
                .flat_map(|t| {
                    if resolving {
                        t.target_profiles.iter()
                    } else {
                        t.profiles.iter()
                    }
                })
                .map(String::as_str)
                .collect();
            let nodes = reach(ck, it, &d.path).unwrap_or_default();
            !nodes.is_empty()
                && urls.iter().any(|u| match ck.set().get(u) {
                    Some(plan) => nodes.iter().all(|&n| ck.conforms(n, plan)),
                    // A core type's own definition: the resource's type.
                    None => u
                        .strip_prefix("http://hl7.org/fhir/StructureDefinition/")
                        .is_some_and(|t| {
                            nodes
                                .iter()
                                .all(|&n| doc.get_str(n, "resourceType").as_deref() == Some(t))
                        }),
                })
        }
    }
}

/// The profile node a discriminator path reaches inside a slice: element
/// steps by child name, `extension(url)` to the extension slice of that
/// url, `ofType` staying on its element. `None` past `resolve()`, which
/// leads into another profile.
fn node_at<'a>(ck: &Checker<'a>, slice: &'a ProfileNode, path: &[Step]) -> Option<&'a ProfileNode> {
    path.iter()
        .try_fold(slice, |node, step| child_at(ck, node, step))
}

/// One step of [`node_at`].
fn child_at<'a>(ck: &Checker<'a>, node: &'a ProfileNode, step: &Step) -> Option<&'a ProfileNode> {
    let set = ck.profile;
    let children = |node: &'a ProfileNode| node.children.iter().map(|&c| set.node(c));
    match step {
        Step::Element(name) => {
            // A sliced element is walked into through its first mandatory
            // slice, as the reference resolves discriminator paths: bp's
            // `code.coding.code` finds the code its `coding:SBPCode` fixes.
            let node = node
                .slicing
                .iter()
                .flat_map(|sl| sl.slices.iter().map(|&s| set.node(s)))
                .find(|s| s.min > 0)
                .unwrap_or(node);
            children(node)
                .find(|c| c.name == *name)
                // a choice constrained to one type may be written by its typed
                // name (`valueCode`)
                .or_else(|| {
                    children(node).find(|c| {
                        c.name.strip_prefix(name.as_str()).is_some_and(|rest| {
                            rest.starts_with(|ch: char| ch.is_ascii_uppercase())
                        })
                    })
                })
        }
        Step::Extension(url) => {
            let extension = children(node).find(|c| c.name == "extension")?;
            extension_slice(ck, extension, url)
        }
        Step::OfType(_) => Some(node),
        Step::Resolve | Step::Unsupported(_) => None,
    }
}

/// The slice of a sliced `extension` element whose definition is `url`,
/// the innermost where a slice is sliced again (a re-slice refines it).
fn extension_slice<'a>(
    ck: &Checker<'a>,
    sliced: &'a ProfileNode,
    url: &str,
) -> Option<&'a ProfileNode> {
    let set = ck.profile;
    let slicing = sliced.slicing.as_ref()?;
    slicing.slices.iter().map(|&s| set.node(s)).find_map(|s| {
        let defines = s
            .types
            .iter()
            .any(|t| t.code == "Extension" && t.profiles.iter().any(|p| p == url));
        extension_slice(ck, s, url).or(defines.then_some(s))
    })
}

/// What a slice requires at a discriminator path: the fixed or pattern
/// value there, or found inside an ancestor's pattern, or, for `url` on an
/// extension slice, the URL of the extension's definition. The flag says
/// whether the value is exact (fixed) or a pattern.
fn expected_values(ck: &Checker<'_>, slice: &ProfileNode, path: &[Step]) -> Vec<(Value, bool)> {
    let mut node = slice;
    for (i, step) in path.iter().enumerate() {
        if let Some(v) = own_value(ck, node) {
            return matching::navigate_value(&v.0, &path[i..])
                .into_iter()
                .map(|x| (x.clone(), v.1))
                .collect();
        }
        match child_at(ck, node, step) {
            Some(c) => node = c,
            None => {
                return extension_url_at(slice, path)
                    .into_iter()
                    .map(|u| (Value::String(u.to_string()), true))
                    .collect();
            }
        }
    }
    if let Some(v) = own_value(ck, node) {
        return vec![v];
    }
    // A choice fixed through its type slices (`value[x]:valueCode` with
    // `fixedCode`, as snapshots write a differential's `valueCode`).
    let by_type: Vec<(Value, bool)> = node
        .slicing
        .iter()
        .filter(|sl| {
            node.choice
                && sl
                    .discriminators
                    .iter()
                    .all(|d| d.kind == DiscriminatorKind::Type && d.path.is_empty())
        })
        .flat_map(|sl| sl.slices.iter())
        .filter_map(|&s| own_value(ck, ck.profile.node(s)))
        .collect();
    if !by_type.is_empty() {
        return by_type;
    }
    extension_url_at(slice, path)
        .into_iter()
        .map(|u| (Value::String(u.to_string()), true))
        .collect()
}

fn own_value(ck: &Checker<'_>, node: &ProfileNode) -> Option<(Value, bool)> {
    node.fixed
        .map(|i| (ck.values.get(i).clone(), true))
        .or_else(|| node.pattern.map(|i| (ck.values.get(i).clone(), false)))
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
fn choice_type_at(ck: &Checker<'_>, it: &Item<'_>, path: &[Step]) -> Option<String> {
    let (last, parents) = path.split_last()?;
    let last = last.element()?;
    let doc = ck.doc;
    let holder = if parents.is_empty() {
        it.node
    } else {
        *reach(ck, it, parents)?.first()?
    };
    doc.members(holder).iter().find_map(|m| {
        let key = doc.raw_key(m);
        let suffix = key.strip_prefix(last)?;
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
