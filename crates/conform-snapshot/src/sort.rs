//! Puts a constraint profile's differential into its base's element order
//! before the walk (Java `sortDifferential`, which the reference validator
//! runs before generating). The walk only looks forward, so an element
//! listed out of order would otherwise never be matched.
//!
//! The differential becomes a tree by path; each set of siblings is sorted
//! (stably, so slices keep their order) by the position of their path in
//! the definition that lists them: the base, or the datatype, extension or
//! resource profile the parent element's type leads to. When some path
//! cannot be placed the original order is kept, and the walk reports it.

use std::rc::Rc;

use crate::context::Context;
use crate::element::{Element, ElementExt};
use crate::paths::uncapitalize;
use crate::structure::Structure;
use crate::types::{first_profile, working_code};

struct Node {
    /// `None` for a placeholder (an intermediate path the differential skips).
    el: Option<Element>,
    path: String,
    children: Vec<Node>,
    base_index: Option<usize>,
}

impl Node {
    fn new(el: Option<Element>, path: String) -> Node {
        Node {
            el,
            path,
            children: Vec::new(),
            base_index: None,
        }
    }
}

/// Where sibling paths are looked up: `base` + the path after `prefix_len`.
struct Comparer {
    snapshot: Rc<Structure>,
    base: String,
    prefix_len: usize,
}

/// Returns the sorted differential and whether the order changed. Keeps
/// the input order when any element cannot be placed.
pub(crate) fn sort_differential(
    ctx: &mut Context,
    base: Rc<Structure>,
    diff: Vec<Element>,
) -> (Vec<Element>, bool) {
    if diff.len() < 2 {
        return (diff, false);
    }
    let first = diff[0].path().to_string();
    let (mut root, start) = if first.contains('.') {
        let root_path = first.split('.').next().unwrap_or("").to_string();
        (Node::new(None, root_path), 0)
    } else {
        (Node::new(Some(diff[0].clone()), first), 1)
    };
    let end = into_tree(&mut root, start, &diff);
    if end != diff.len() {
        return (diff, false);
    }
    let cmp = Comparer {
        base: String::new(),
        prefix_len: 0,
        snapshot: base,
    };
    if !sort_node(ctx, &mut root, &cmp, 0) {
        return (diff, false);
    }
    let mut out = Vec::with_capacity(diff.len());
    write(root, &mut out);
    if out.len() != diff.len() {
        return (diff, false);
    }
    let changed = out.iter().zip(&diff).any(|(a, b)| a != b);
    (out, changed)
}

fn into_tree(node: &mut Node, mut i: usize, list: &[Element]) -> usize {
    let prefix = format!("{}.", node.path);
    while let Some(e) = list.get(i) {
        let Some(rest) = e.path().strip_prefix(prefix.as_str()) else {
            break;
        };
        match rest.split_once('.') {
            Some((seg, _)) => {
                let mut child = Node::new(None, format!("{prefix}{seg}"));
                i = into_tree(&mut child, i, list);
                node.children.push(child);
            }
            None => {
                let mut child = Node::new(Some(e.clone()), e.path().to_string());
                i = into_tree(&mut child, i + 1, list);
                node.children.push(child);
            }
        }
    }
    i
}

/// Sorts `node`'s children, recursively. False when a path cannot be placed.
fn sort_node(ctx: &mut Context, node: &mut Node, cmp: &Comparer, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    for child in node.children.iter_mut() {
        child.base_index = find(cmp, &child.path);
        if child.base_index.is_none() {
            return false;
        }
    }
    node.children.sort_by_key(|c| c.base_index);
    for child in node.children.iter_mut() {
        if child.children.is_empty() {
            continue;
        }
        let Some(ccmp) = comparer_for(ctx, cmp, child) else {
            return false;
        };
        if !sort_node(ctx, child, &ccmp, depth + 1) {
            return false;
        }
    }
    true
}

/// The index of `path` in the comparer's definition (a choice matching
/// its renames; content references followed).
fn find(cmp: &Comparer, path: &str) -> Option<usize> {
    let mut actual = format!("{}{}", cmp.base, path.get(cmp.prefix_len..)?);
    let els = &cmp.snapshot.elements;
    for _ in 0..10 {
        let mut redirected = None;
        for (i, e) in els.iter().enumerate() {
            let p = e.path();
            if p == actual {
                return Some(i);
            }
            if let Some(stem) = p.strip_suffix("[x]") {
                if !actual.ends_with("[x]")
                    && actual.strip_prefix(stem).is_some_and(|r| !r.contains('.'))
                {
                    return Some(i);
                }
            }
            if let Some(stem) = actual.strip_suffix("[x]") {
                if p.strip_prefix(stem).is_some_and(|r| !r.contains('.')) {
                    return Some(i);
                }
            }
            if let Some(reference) = e.content_reference() {
                if let Some(rest) = actual.strip_prefix(&format!("{p}.")) {
                    let target = reference.rsplit_once('#').map_or(reference, |(_, t)| t);
                    redirected = Some(format!("{target}.{rest}"));
                    break;
                }
            }
        }
        actual = redirected?;
    }
    None
}

/// Where the children of `child` are listed (Java `getComparer`).
fn comparer_for(ctx: &mut Context, cmp: &Comparer, child: &Node) -> Option<Comparer> {
    let ed = cmp.snapshot.elements.get(child.base_index?)?;
    let child_types = child
        .el
        .as_ref()
        .map(|e| e.types().to_vec())
        .unwrap_or_default();
    let ed_code = ed.types().first().map(working_code).unwrap_or("");
    let is_abstract = matches!(
        ed_code,
        "Element" | "BackboneElement" | "Resource" | "DomainResource"
    );
    let at = |ctx: &mut Context, url_or_code: &str, base: &str| -> Option<Comparer> {
        let sd = if url_or_code.contains(':') {
            ctx.structure(url_or_code).ok().flatten()?
        } else {
            ctx.type_structure(url_or_code).ok().flatten()?
        };
        Some(Comparer {
            snapshot: sd,
            base: base.to_string(),
            prefix_len: child.path.len(),
        })
    };
    let same = || Comparer {
        snapshot: cmp.snapshot.clone(),
        base: cmp.base.clone(),
        prefix_len: cmp.prefix_len,
    };
    if ed.types().is_empty() || is_abstract || ed_code == ed.path() {
        let profile = child_types.first().and_then(first_profile);
        return match (ed_code, profile) {
            ("Resource", Some(p)) => {
                let sd = ctx.structure(p).ok().flatten()?;
                let base = sd.type_name.clone();
                at(ctx, &base, &base)
            }
            _ => Some(same()),
        };
    }
    if ed_code == "Extension" {
        if let [t] = child_types.as_slice() {
            if let Some(p) = first_profile(t) {
                return at(ctx, p, "Extension");
            }
        }
    }
    if ed.types().len() == 1 && ed_code != "*" {
        return at(ctx, ed_code, ed_code);
    }
    if let [t] = child_types.as_slice() {
        let c = working_code(t).to_string();
        return at(ctx, &c, &c);
    }
    if let Some(stem) = ed
        .path()
        .rsplit('.')
        .next()
        .and_then(|t| t.strip_suffix("[x]"))
    {
        let last = child.path.rsplit('.').next().unwrap_or("");
        if let Some(suffix) = last
            .strip_prefix(stem)
            .filter(|s| !s.is_empty() && *s != "[x]")
        {
            let lower = uncapitalize(suffix);
            let t = if ctx.is_primitive(&lower) {
                lower
            } else {
                suffix.to_string()
            };
            return at(ctx, &t, &t);
        }
    }
    if child_types.iter().all(|t| working_code(t) == "Reference") && !child_types.is_empty()
        || (child_types.is_empty() && ed_code == "Reference")
    {
        return at(ctx, "Reference", "Reference");
    }
    at(ctx, "Element", "Element")
}

fn write(node: Node, out: &mut Vec<Element>) {
    if let Some(e) = node.el {
        out.push(e);
    }
    for c in node.children {
        write(c, out);
    }
}
