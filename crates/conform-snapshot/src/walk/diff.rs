//! Finding differential elements for a base element, and the subtree
//! bounds the walk uses on both lists (Java `getDiffMatches`,
//! `hasInnerDiffMatches`, `findEndOfElement`, `getSiblings`...).

use serde_json::Value;

use super::{Scope, Walk};
use crate::element::{Element, ElementExt};
use crate::paths::{is_same_base, path_matches};
use crate::structure::Structure;

impl Walk<'_, '_> {
    pub(crate) fn diff_len(&self) -> isize {
        self.diff.len() as isize
    }

    pub(crate) fn diff_el(&self, i: isize) -> Option<&Element> {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.diff.get(i))
            .map(|d| &d.el)
    }

    pub(crate) fn diff_path(&self, i: isize) -> Option<&str> {
        self.diff_el(i).map(|e| e.path())
    }

    /// Differential elements in `[start, end]` whose path is `path`, or a
    /// choice rename of it, segment by segment.
    pub(crate) fn diff_matches(&self, path: &str, start: isize, end: isize) -> Vec<isize> {
        let p: Vec<&str> = path.split('.').collect();
        let end = end.min(self.diff_len() - 1);
        (start.max(0)..=end)
            .filter(|&i| {
                let Some(stated) = self.diff_path(i) else {
                    return false;
                };
                let sp: Vec<&str> = stated.split('.').collect();
                sp.len() == p.len() && p.iter().zip(&sp).all(|(a, b)| a == b || is_same_base(a, b))
            })
            .collect()
    }

    /// Does the differential, from `start`, constrain children of `path`
    /// before it moves on?
    pub(crate) fn has_inner_diff_matches(
        &self,
        path: &str,
        start: isize,
        end: isize,
        allow_slices: bool,
    ) -> bool {
        let end = end.min(self.diff_len() - 1);
        let start = start.max(0);
        let child = format!("{path}.");
        let stem = path.strip_suffix("[x]");
        for i in start..=end {
            let Some(ed) = self.diff_el(i) else { break };
            let stated = ed.path();
            if !allow_slices && stated == path && ed.slice_name().is_some() {
                return false;
            } else if stated.starts_with(&child) || stem.is_some_and(|s| stated.starts_with(s)) {
                return true;
            } else if i != start
                && !stated.starts_with(if allow_slices { path } else { child.as_str() })
            {
                return false;
            }
        }
        false
    }

    /// The last differential index in the subtree starting at `cursor`.
    pub(crate) fn diff_end_of_element(&self, cursor: isize) -> isize {
        let Some(path) = self.diff_path(cursor) else {
            return cursor;
        };
        let prefix = format!("{path}.");
        let mut result = cursor;
        while result < self.diff_len() - 1
            && self
                .diff_path(result + 1)
                .is_some_and(|p| p.starts_with(&prefix))
        {
            result += 1;
        }
        result
    }

    /// The path of the differential element at `i` starts with `prefix`
    /// (choice-aware).
    pub(crate) fn diff_starts_with(&self, i: isize, prefix: &str) -> bool {
        self.diff_path(i)
            .is_some_and(|p| crate::paths::path_starts_with(p, prefix))
    }
}

/// The last base index in the subtree starting at `cursor`.
pub(crate) fn base_end_of_element(base: &Structure, cursor: isize) -> isize {
    let Some(path) = usize::try_from(cursor)
        .ok()
        .and_then(|i| base.elements.get(i))
        .map(|e| e.path())
    else {
        return cursor;
    };
    let prefix = format!("{path}.");
    let mut result = cursor;
    while let Some(next) = base.elements.get((result + 1) as usize) {
        if !next.path().starts_with(&prefix) {
            break;
        }
        result += 1;
    }
    result
}

/// The base element at `index` has children listed after it.
pub(crate) fn base_has_children(scope: &Scope, index: isize) -> bool {
    let els = &scope.base.elements;
    let (Some(e), Some(next)) = (
        usize::try_from(index).ok().and_then(|i| els.get(i)),
        usize::try_from(index + 1).ok().and_then(|i| els.get(i)),
    ) else {
        return false;
    };
    match e.path().strip_suffix("[x]") {
        Some(stem) => next.path().starts_with(stem),
        None => next.path().starts_with(&format!("{}.", e.path())),
    }
}

/// The base element at `cursor` is a child of the one before it: the base
/// itself continues into the children, so no type expansion is needed.
pub(crate) fn base_walks_into(scope: &Scope, cursor: isize) -> bool {
    let els = &scope.base.elements;
    let (Some(e), Some(prev)) = (
        usize::try_from(cursor).ok().and_then(|i| els.get(i)),
        usize::try_from(cursor - 1).ok().and_then(|i| els.get(i)),
    ) else {
        return false;
    };
    e.path().starts_with(&format!("{}.", prev.path()))
}

/// The base's existing slices of the element at `index`: later elements
/// with a matching path before the base moves to a shorter path.
pub(crate) fn base_siblings(scope: &Scope, index: isize) -> Vec<isize> {
    let els = &scope.base.elements;
    let Some(current) = usize::try_from(index).ok().and_then(|i| els.get(i)) else {
        return Vec::new();
    };
    let path = current.path();
    let mut out = Vec::new();
    let mut cursor = index + 1;
    while let Some(e) = usize::try_from(cursor).ok().and_then(|i| els.get(i)) {
        if e.path().len() < path.len() {
            break;
        }
        if path_matches(e.path(), path) {
            out.push(cursor);
        }
        cursor += 1;
    }
    out
}

/// A discriminator-level description of slicing, for messages.
pub(crate) fn slicing_summary(s: Option<&serde_json::Map<String, Value>>) -> String {
    let Some(s) = s else { return "(none)".into() };
    let ds: Vec<String> = s
        .get("discriminator")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{}:{}",
                d.get("type").and_then(Value::as_str).unwrap_or("?"),
                d.get("path").and_then(Value::as_str).unwrap_or("?")
            )
        })
        .collect();
    format!(
        "{} ({}/{})",
        ds.join(", "),
        match s.get("ordered").and_then(Value::as_bool) {
            Some(true) => "ordered",
            Some(false) => "unordered",
            None => "",
        },
        s.get("rules").and_then(Value::as_str).unwrap_or("")
    )
}
