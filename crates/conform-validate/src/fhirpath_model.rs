//! FHIRPath type information answered from the compiled plans, so that
//! invariants navigate choice elements, `is`/`as`/`ofType` and `type()`
//! with the loaded definitions rather than guesses from the JSON.
//!
//! Each type's entry is built the first time an invariant asks about it,
//! from its plan alone, so a run decodes no plan its payloads do not use
//! (building every type's entry at the first invariant was 3% of a one-pass
//! run). Every answer borrows from here, so a path step allocates nothing.

use crate::plan::{Plans, TypeId, TypeKind};
use conform_fhirpath::{ChildInfo, Model};
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock};

struct Child {
    /// The element's type; for choices, the JSON key suffixes.
    types: Box<[Arc<str>]>,
    is_choice: bool,
}

struct TypeEntry {
    children: FxHashMap<Box<str>, Child>,
}

impl TypeEntry {
    fn of(plans: &Plans, id: TypeId) -> TypeEntry {
        let children = plans
            .get(id)
            .elements
            .iter()
            .map(|e| {
                let child = if e.choice {
                    Child {
                        types: e.types.iter().map(|ty| suffix(&ty.code).into()).collect(),
                        is_choice: true,
                    }
                } else {
                    // a backbone is known by its plan's name (`Patient.contact`)
                    let ty = e.types.first().map(|ty| {
                        let plan = plans.get(ty.plan);
                        if plan.kind == TypeKind::Backbone {
                            Arc::from(plan.name.as_str())
                        } else {
                            Arc::from(ty.code.as_str())
                        }
                    });
                    Child {
                        types: ty.into_iter().collect(),
                        is_choice: false,
                    }
                };
                (e.name.as_str().into(), child)
            })
            .collect();
        TypeEntry { children }
    }
}

/// The [`Model`] of one set of plans.
pub(crate) struct PlansModel {
    plans: Arc<Plans>,
    /// By [`TypeId`], each built on first use.
    entries: Box<[OnceLock<TypeEntry>]>,
    /// Type names as FHIRPath items carry them, by [`TypeId`]: shared, so
    /// an invariant's focus is typed without a copy of its type's name.
    names: Box<[OnceLock<Arc<str>>]>,
}

/// What a type name stands for in the plans.
#[derive(Clone, Copy)]
enum Named {
    /// A type with a plan of its own (backbone elements included).
    Plan(TypeId),
    /// A type defined by constraining the type of this plan.
    Constrained(TypeId),
}

impl PlansModel {
    pub(crate) fn new(plans: Arc<Plans>) -> PlansModel {
        let entries = (0..plans.types.len()).map(|_| OnceLock::new()).collect();
        let names = (0..plans.types.len()).map(|_| OnceLock::new()).collect();
        PlansModel {
            plans,
            entries,
            names,
        }
    }

    /// The name of type `id`, shared (borrowed: a clone's count is written
    /// by every core that clones it).
    pub(crate) fn type_name(&self, id: TypeId) -> &Arc<str> {
        self.names[id as usize].get_or_init(|| self.plans.get(id).name.as_str().into())
    }

    fn named(&self, name: &str) -> Option<Named> {
        let p = &self.plans;
        match p.by_name.get(name).or_else(|| p.backbones.get(name)) {
            Some(&id) => Some(Named::Plan(id)),
            None => p.constrained.get(name).map(|&id| Named::Constrained(id)),
        }
    }

    fn entry(&self, id: TypeId) -> &TypeEntry {
        self.entries[id as usize].get_or_init(|| TypeEntry::of(&self.plans, id))
    }

    /// The plans whose elements a value of type `t` has: its own and its
    /// bases' (elements are inherited), nearest first, eight at most.
    fn element_plans<'m>(&'m self, t: &'m str) -> impl Iterator<Item = TypeId> + 'm {
        std::iter::successors(self.named(t), |&named| self.named(self.base(named)?))
            .take(8)
            .filter_map(|named| match named {
                Named::Plan(id) => Some(id),
                Named::Constrained(_) => None,
            })
    }

    /// The type a named type derives from.
    fn base(&self, named: Named) -> Option<&str> {
        match named {
            Named::Plan(id) => self.plans.get(id).base.as_deref(),
            Named::Constrained(id) => Some(&self.plans.get(id).name),
        }
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
        self.element_plans(parent_type)
            .find_map(|id| self.entry(id).children.get(name))
            .map(|c| ChildInfo {
                types: &c.types,
                is_choice: c.is_choice,
            })
    }

    fn is_subtype(&self, t: &str, of: &str) -> bool {
        let mut cur = t;
        for _ in 0..12 {
            if cur == of {
                return true;
            }
            match self.named(cur).and_then(|named| self.base(named)) {
                Some(b) => cur = b,
                None => return false,
            }
        }
        false
    }

    fn is_type(&self, name: &str) -> bool {
        self.named(name).is_some()
    }

    fn has_elements(&self, type_name: &str) -> bool {
        self.named(type_name).is_some()
    }

    fn element_names(&self, type_name: &str) -> Vec<Arc<str>> {
        let mut names: Vec<Arc<str>> = Vec::new();
        for id in self.element_plans(type_name) {
            for name in self.entry(id).children.keys() {
                if !names.iter().any(|n| **n == **name) {
                    names.push(Arc::from(&**name));
                }
            }
        }
        names
    }
}
