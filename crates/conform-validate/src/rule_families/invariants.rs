//! Invariants: the FHIRPath constraints of the base definitions, on each
//! value of an element and its type, evaluated by [`crate::invariants`]; a
//! constraint that does not hold is reported under its key, one that could
//! not be evaluated as `invariant-not-evaluated`. A profile's own
//! invariants go through the same evaluator (`profile::invariants`); the
//! base ones are never in a profile's plan, so nothing is evaluated twice.

use crate::plan::{TypeId, TypePlan};
use crate::walk::{render_path, Seg, Walker};
use conform_json::NodeId;
use std::ops::Range;

/// Values whose invariants wait to be evaluated together
/// ([`Walker::evaluate_deferred`]), a few dozen at a time. Evaluated as
/// each value is walked, the checks and the walk took turns in the
/// processor's caches, each pushing the other's code out: on a copy of the
/// bench's B the invariants were a sixth of the instructions but over a
/// quarter of the instruction cache misses. Each value keeps what its
/// findings need (its path, its enclosing resources) and where they go
/// among the others, so the report is the same.
#[derive(Default)]
pub(crate) struct DeferredInvariants<'a> {
    values: Vec<Deferred<'a>>,
    /// The values' paths and enclosing resources, one after another.
    paths: Vec<Seg<'a>>,
    resources: Vec<NodeId>,
}

struct Deferred<'a> {
    node: NodeId,
    element: &'a [u32],
    tid: TypeId,
    /// How many findings the walk had reported when it met the value: its
    /// own come right after them.
    findings_before: usize,
    path: Range<usize>,
    resources: Range<usize>,
}

impl DeferredInvariants<'_> {
    /// Values held before they are evaluated: enough for the checks to run
    /// from warm caches, few enough that the values' data still is.
    const BATCH: usize = 32;
}

impl<'a> Walker<'a> {
    /// Evaluates the invariants of an element and of its type on one value
    /// (with the next few dozen: [`DeferredInvariants`]); a `false` result
    /// is a finding named by the constraint's key. Most values have none (a
    /// primitive's type has none): that is told here, inlined into the
    /// walk, before a call, from the type's plan the walk already holds
    /// (`plan`, of type `tid`) rather than read again from the plans' lazy
    /// list, a read for every value walked.
    #[inline]
    pub(crate) fn check_invariants(
        &mut self,
        node: NodeId,
        element: &'a [u32],
        tid: TypeId,
        plan: &TypePlan,
    ) {
        if self.options.invariants && !(element.is_empty() && plan.constraints.is_empty()) {
            self.defer_invariants(node, element, tid);
        }
    }

    fn defer_invariants(&mut self, node: NodeId, element: &'a [u32], tid: TypeId) {
        let d = &mut self.deferred;
        if d.values.capacity() == 0 {
            // a walker's first value: room for a batch at once
            d.values.reserve(DeferredInvariants::BATCH);
            d.paths.reserve(DeferredInvariants::BATCH * 8);
            d.resources.reserve(DeferredInvariants::BATCH * 2);
        }
        let path = d.paths.len()..d.paths.len() + self.path.len();
        d.paths.extend_from_slice(&self.path);
        let resources = d.resources.len()..d.resources.len() + self.resources.len();
        d.resources.extend_from_slice(&self.resources);
        d.values.push(Deferred {
            node,
            element,
            tid,
            findings_before: self.findings.len(),
            path,
            resources,
        });
        if d.values.len() >= DeferredInvariants::BATCH {
            self.evaluate_deferred();
        }
    }

    /// Evaluates the invariants of the values deferred so far, each in its
    /// own place (its path and resources), and puts each one's findings
    /// where they would have been had it been evaluated when walked; a
    /// `false` result is a finding named by the constraint's key. Called
    /// when a batch is full and when a walk (or a fork's) ends.
    pub(crate) fn evaluate_deferred(&mut self) {
        if self.deferred.values.is_empty() {
            return;
        }
        let mut deferred = std::mem::take(&mut self.deferred);
        // the findings reported since the first value was met, to be
        // interleaved with the values' own
        let mut placed = deferred.values[0].findings_before;
        let mut earlier = self.findings.split_off(placed).into_iter();
        let mut issues = Vec::new();
        // `%rootResource` of the values' enclosing resources, worked out
        // once for each run of values that share them (most do); the
        // innermost resource tells a stack of them, its place in the
        // document fixing those around it
        let mut last_root: Option<(Option<&NodeId>, Option<NodeId>)> = None;
        for value in &deferred.values {
            self.findings
                .extend(earlier.by_ref().take(value.findings_before - placed));
            placed = value.findings_before;
            let resources = &deferred.resources[value.resources.clone()];
            let root = match last_root {
                Some((innermost, root)) if innermost == resources.last() => root,
                _ => {
                    let root = crate::invariants::root_resource(self.doc, resources);
                    last_root = Some((resources.last(), root));
                    root
                }
            };
            self.inv.check_value(
                self.doc,
                value.node,
                value.element,
                value.tid,
                resources,
                root,
                |i| issues.push(i),
            );
            if issues.is_empty() {
                continue;
            }
            let path = &deferred.paths[value.path.clone()];
            let at = self.doc.offset(value.node);
            for i in issues.drain(..) {
                let expression = |_: &Self| render_path(path.iter().copied(), None);
                self.emit_at(expression, i.severity, i.code, i.rule, at, i.message);
            }
        }
        self.findings.extend(earlier);
        deferred.values.clear();
        deferred.paths.clear();
        deferred.resources.clear();
        self.deferred = deferred;
    }
}
