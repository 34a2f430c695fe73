//! Invariants: the FHIRPath constraints of the base definitions, on each
//! value of an element and its type, evaluated by [`crate::invariants`]; a
//! constraint that does not hold is reported under its key, one that could
//! not be evaluated as `invariant-not-evaluated`. A profile's own
//! invariants go through the same evaluator (`profile::invariants`); the
//! base ones are never in a profile's plan, so nothing is evaluated twice.

use crate::plan::TypeId;
use crate::walk::Walker;
use conform_json::NodeId;

impl<'a> Walker<'a> {
    /// Evaluates the invariants of an element and of its type on one value;
    /// a `false` result is a finding named by the constraint's key. Most
    /// values have none (a primitive's type has none): that is told here,
    /// inlined into the walk, before a call.
    #[inline]
    pub(crate) fn check_invariants(&mut self, node: NodeId, element: &'a [u32], tid: TypeId) {
        if self.options.invariants
            && !(element.is_empty() && self.plans.get(tid).constraints.is_empty())
        {
            self.evaluate_invariants(node, element, tid);
        }
    }

    fn evaluate_invariants(&mut self, node: NodeId, element: &'a [u32], tid: TypeId) {
        let mut issues = Vec::new();
        self.inv
            .check_value(self.doc, node, element, tid, &self.resources, |i| {
                issues.push(i)
            });
        let at = self.doc.offset(node);
        for i in issues {
            self.emit(i.severity, i.code, i.rule, at, None, i.message);
        }
    }
}
