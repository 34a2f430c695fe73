//! The walk over the base snapshot and the differential (Java
//! `ProfilePathProcessor.processPaths`): for each base element in scope,
//! find the differential elements that constrain it and decide whether it
//! is copied, constrained, sliced, or walked into. Recursion narrows the
//! scope (one slice's subtree, one datatype's elements) rather than
//! building trees, exactly as the reference does, so that the same inputs
//! give the same element order.
//!
//! Cursors are signed (`isize`) because the reference computes ranges such
//! as "from one before here" and "empty" (limit -1); every element access
//! is bounds-checked.

mod content_ref;
mod diff;
mod new_slices;
mod simple;
mod sliced;
mod slicing;
mod template;
mod type_slice_rules;
mod type_slices;

use std::collections::HashSet;
use std::rc::Rc;

use crate::context::Context;
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::merge::{update_from_base, update_from_definition, MergeInfo};
use crate::paths::{fixed_path_dest, fixed_path_source, Redirect};
use crate::structure::Structure;

/// How deep the walk may recurse (slices within slices, datatypes within
/// datatypes). Real profiles stay far below this.
const MAX_DEPTH: usize = 200;

/// One differential element and whether it has been applied.
pub(crate) struct DiffEl {
    pub el: Element,
    pub used: bool,
    /// Inserted by the walk itself (an implied type slicer), not the input.
    pub synthetic: bool,
}

/// The generation of one profile's snapshot.
pub(crate) struct Walk<'w, 'd> {
    pub ctx: &'w mut Context<'d>,
    /// The profile's canonical URL, for messages.
    pub url: String,
    pub diff: Vec<DiffEl>,
    pub result: Vec<Element>,
    /// Result elements whose slicing the walk added (extensions sliced
    /// without a slicing entry); their minimum follows their slices'.
    pub auto_slicing: HashSet<usize>,
    pub issues: Vec<String>,
    depth: usize,
}

/// What the slicing context says about the current scope.
#[derive(Clone, Default)]
pub(crate) struct Slicing {
    /// Inside one slice: a single matching differential element is that
    /// slice's content, not the start of new slicing.
    pub done: bool,
    /// The element that holds the slicing (for slice cardinality rules).
    pub slicer: Option<Element>,
    /// A path whose base slicing is being replaced by type slicing.
    pub path: Option<String>,
}

/// The part of the base and the differential a recursion works on.
#[derive(Clone)]
pub(crate) struct Scope {
    pub base: Rc<Structure>,
    pub base_limit: isize,
    pub diff_limit: isize,
    /// The differential path the base's root stands for (datatype expansion).
    pub context_src: Option<String>,
    /// The snapshot path the base's root is written as.
    pub context_dst: Option<String>,
    pub redirector: Vec<Redirect>,
    pub slicing: Slicing,
}

/// Positions within a scope.
pub(crate) struct Cursors {
    pub base_cursor: isize,
    pub diff_cursor: isize,
    /// Every element added in this scope must be under this path.
    pub result_path_base: Option<String>,
}

impl<'w, 'd> Walk<'w, 'd> {
    pub fn new(ctx: &'w mut Context<'d>, url: String, diff: Vec<Element>) -> Self {
        Walk {
            ctx,
            url,
            diff: diff
                .into_iter()
                .map(|el| DiffEl {
                    el,
                    used: false,
                    synthetic: false,
                })
                .collect(),
            result: Vec::new(),
            auto_slicing: HashSet::new(),
            issues: Vec::new(),
            depth: 0,
        }
    }

    /// Walks the whole base against the whole differential.
    pub fn run(&mut self, base: Rc<Structure>) -> Result<(), SnapshotError> {
        let scope = Scope {
            base_limit: base.elements.len() as isize - 1,
            base,
            diff_limit: self.diff.len() as isize - 1,
            context_src: None,
            context_dst: None,
            redirector: Vec::new(),
            slicing: Slicing::default(),
        };
        let mut cur = Cursors {
            base_cursor: 0,
            diff_cursor: 0,
            result_path_base: None,
        };
        self.process_paths(&scope, &mut cur, None).map(|_| ())
    }

    /// Processes the base elements in scope; returns the result index of
    /// the first element produced from a single differential match (the
    /// element callers then give slicing to).
    pub(crate) fn process_paths(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        slicer: Option<&Element>,
    ) -> Result<Option<usize>, SnapshotError> {
        if self.depth >= MAX_DEPTH {
            let element = self
                .base_at(scope, cur.base_cursor)
                .map_or("?", |e| e.path())
                .to_string();
            return Err(SnapshotError::TooDeep {
                profile: self.url.clone(),
                element,
                limit: MAX_DEPTH,
            });
        }
        self.depth += 1;
        let r = self.process_paths_in_scope(scope, cur, slicer);
        self.depth -= 1;
        r
    }

    fn process_paths_in_scope(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        slicer: Option<&Element>,
    ) -> Result<Option<usize>, SnapshotError> {
        let mut res = None;
        let mut first = true;
        let base = scope.base.clone();
        while cur.base_cursor >= 0 && cur.base_cursor <= scope.base_limit {
            let Some(current) = base.elements.get(cur.base_cursor as usize) else {
                break;
            };
            let cpath = fixed_path_source(
                scope.context_src.as_deref(),
                current.path(),
                &scope.redirector,
            );
            let matches = self.diff_matches(&cpath, cur.diff_cursor, scope.diff_limit);
            let (dc, bc) = (cur.diff_cursor, cur.base_cursor);
            if !current.has_slicing() || scope.slicing.path.as_deref() == Some(cpath.as_str()) {
                let first_slicer = if first { slicer } else { None };
                let r =
                    self.simple_path(scope, cur, current, &cpath, matches.clone(), first_slicer)?;
                res = res.or(r);
            } else {
                self.sliced_base_path(scope, cur, current, &cpath, matches.clone())?;
            }
            // A matched differential element is used up even on the paths
            // that do not move the cursor themselves.
            if !matches.is_empty() && dc == cur.diff_cursor {
                cur.diff_cursor += matches.len() as isize;
            }
            if cur.base_cursor <= bc {
                return Err(self.element_error(&cpath, "internal: the walk made no progress"));
            }
            first = false;
        }
        Ok(res)
    }

    // ---- small shared steps -------------------------------------------

    pub(crate) fn base_at<'s>(&self, scope: &'s Scope, i: isize) -> Option<&'s Element> {
        usize::try_from(i)
            .ok()
            .and_then(|i| scope.base.elements.get(i))
    }

    /// A copy of a base element as it appears in the snapshot: re-rooted
    /// path and its `base`.
    pub(crate) fn copy_base(&self, scope: &Scope, e: &Element) -> Element {
        let mut out = e.clone();
        out.set_path(self.dest_path(scope, e.path()));
        update_from_base(&mut out, e);
        out
    }

    pub(crate) fn dest_path(&self, scope: &Scope, path: &str) -> String {
        fixed_path_dest(
            scope.context_dst.as_deref(),
            path,
            &scope.redirector,
            scope.context_src.as_deref(),
        )
    }

    /// Adds an element to the snapshot after checking it belongs under the
    /// scope's path (the reference's "Adding wrong path" guard).
    pub(crate) fn push(
        &mut self,
        cur: &mut Cursors,
        outcome: Element,
    ) -> Result<usize, SnapshotError> {
        match &cur.result_path_base {
            None => cur.result_path_base = Some(outcome.path().to_string()),
            Some(b) if !outcome.path().starts_with(b.as_str()) => {
                return Err(self.element_error(
                    outcome.path(),
                    &format!("internal: element added outside the current scope {b}"),
                ));
            }
            Some(_) => {}
        }
        self.result.push(outcome);
        Ok(self.result.len() - 1)
    }

    /// Adds without the scope check (copies of the base's own subtree).
    pub(crate) fn push_unchecked(&mut self, outcome: Element) -> usize {
        self.result.push(outcome);
        self.result.len() - 1
    }

    /// Applies differential element `d` to result element `target`, and
    /// marks `d` used.
    pub(crate) fn apply_diff(
        &mut self,
        target: usize,
        d: isize,
        source_url: &str,
    ) -> Result<(), SnapshotError> {
        let (Some(dest), Some(src)) = (
            self.result.get_mut(target),
            usize::try_from(d).ok().and_then(|i| self.diff.get_mut(i)),
        ) else {
            return Ok(());
        };
        src.used = true;
        let info = MergeInfo {
            profile: &self.url,
            source_url,
        };
        update_from_definition(self.ctx, dest, &src.el, &info, &mut self.issues)
    }

    pub(crate) fn element_error(&self, element: &str, message: &str) -> SnapshotError {
        SnapshotError::Element {
            profile: self.url.clone(),
            element: element.to_string(),
            message: message.to_string(),
        }
    }

    /// Recurses into `dt`'s elements (skipping its root) as the children of
    /// the element at `src`/`dst`: how a datatype or type profile is
    /// expanded beneath an element the differential walks into.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn expand_type(
        &mut self,
        cur: &Cursors,
        dt: Rc<Structure>,
        diff_start: isize,
        diff_limit: isize,
        src: &str,
        dst: &str,
        redirector: Vec<Redirect>,
    ) -> Result<(), SnapshotError> {
        let scope = Scope {
            base_limit: dt.elements.len() as isize - 1,
            base: dt,
            diff_limit,
            context_src: Some(src.to_string()),
            context_dst: Some(dst.to_string()),
            redirector,
            slicing: Slicing::default(),
        };
        let mut c = Cursors {
            base_cursor: 1,
            diff_cursor: diff_start,
            result_path_base: cur.result_path_base.clone(),
        };
        self.process_paths(&scope, &mut c, None).map(|_| ())
    }
}
