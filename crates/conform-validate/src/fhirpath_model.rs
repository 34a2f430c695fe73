//! FHIRPath type information answered from the compiled plans, so that
//! invariants navigate choice elements, `is`/`as`/`ofType` and `type()`
//! with the loaded definitions rather than guesses from the JSON.
//!
//! Built once per validator, on the first invariant evaluated. Every
//! answer borrows from here, so a path step allocates nothing.

use crate::plan::{Plans, TypeKind};
use conform_fhirpath::{ChildInfo, Model};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

struct Child {
    /// The element's type; for choices, the JSON key suffixes.
    types: Box<[Arc<str>]>,
    is_choice: bool,
}

#[derive(Default)]
struct TypeEntry {
    children: FxHashMap<Box<str>, Child>,
    base: Option<Box<str>>,
}

/// The [`Model`] of one set of plans.
pub(crate) struct PlansModel {
    types: FxHashMap<Box<str>, TypeEntry>,
}

impl PlansModel {
    pub(crate) fn new(plans: &Plans) -> PlansModel {
        // one shared name per type, so children share their type strings
        let mut names: FxHashSet<Arc<str>> = FxHashSet::default();
        let mut name = |s: &str| -> Arc<str> {
            if let Some(a) = names.get(s) {
                return a.clone();
            }
            let a: Arc<str> = Arc::from(s);
            names.insert(a.clone());
            a
        };
        let mut types: FxHashMap<Box<str>, TypeEntry> = FxHashMap::default();
        for t in &plans.types {
            let mut entry = TypeEntry {
                base: t.base.as_deref().map(Box::from),
                ..Default::default()
            };
            for e in &t.elements {
                let child = if e.choice {
                    Child {
                        types: e.types.iter().map(|ty| name(&suffix(&ty.code))).collect(),
                        is_choice: true,
                    }
                } else {
                    // a backbone is known by its plan's name (`Patient.contact`)
                    let ty = e.types.first().map(|ty| {
                        let plan = plans.get(ty.plan);
                        if plan.kind == TypeKind::Backbone {
                            name(&plan.name)
                        } else {
                            name(&ty.code)
                        }
                    });
                    Child {
                        types: ty.into_iter().collect(),
                        is_choice: false,
                    }
                };
                entry.children.insert(e.name.as_str().into(), child);
                // a constrained type (`Age`, `SimpleQuantity`) derives from
                // the type whose plan validates it
                for ty in &e.types {
                    let plan = plans.get(ty.plan);
                    if ty.code != plan.name && plan.kind != TypeKind::Backbone {
                        types.entry(ty.code.as_str().into()).or_default().base =
                            Some(plan.name.as_str().into());
                    }
                }
            }
            let slot = types.entry(t.name.as_str().into()).or_default();
            slot.children = entry.children;
            slot.base = entry.base.or(slot.base.take());
        }
        PlansModel { types }
    }
}

/// The JSON key suffix of a choice type (`dateTime` → `DateTime`).
fn suffix(code: &str) -> String {
    let mut s = String::with_capacity(code.len());
    let mut chars = code.chars();
    if let Some(f) = chars.next() {
        s.extend(f.to_uppercase());
    }
    s.extend(chars);
    s
}

impl Model for PlansModel {
    fn child_type(&self, parent_type: &str, name: &str) -> Option<ChildInfo<'_>> {
        let mut t = parent_type;
        // elements are inherited: look up the base chain
        for _ in 0..8 {
            let entry = self.types.get(t)?;
            if let Some(c) = entry.children.get(name) {
                return Some(ChildInfo {
                    types: &c.types,
                    is_choice: c.is_choice,
                });
            }
            t = entry.base.as_deref()?;
        }
        None
    }

    fn is_subtype(&self, t: &str, of: &str) -> bool {
        let mut cur = t;
        for _ in 0..12 {
            if cur == of {
                return true;
            }
            match self.types.get(cur).and_then(|e| e.base.as_deref()) {
                Some(b) => cur = b,
                None => return false,
            }
        }
        false
    }

    fn is_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    fn has_elements(&self, type_name: &str) -> bool {
        self.types.contains_key(type_name)
    }
}
