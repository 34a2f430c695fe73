//! Walking objects and values: members against the type's elements, JSON
//! shapes (arrays, nulls, `_name` twins), and dispatch of each value to the
//! rule families by its type.

use super::{article, Seg, Walker};
use crate::finding::{rules, IssueCode, Severity};
use crate::plan::{ElementPlan, Role, TypeId, TypeKind};
use crate::rule_families::{bindings, cardinality, types};
use conform_json::{Kind, Member, NodeId};

/// A Bundle with at least this many entries has them walked in parallel
/// (fewer are not worth the forks).
const PARALLEL_ENTRIES: usize = 64;

impl<'a> Walker<'a> {
    // ---- objects -----------------------------------------------------------

    pub(crate) fn object(&mut self, node: NodeId, tid: TypeId) {
        let plans = self.plans;
        let doc = self.doc;
        let plan = plans.get(tid);
        let members = doc.members(node);
        if members.is_empty() {
            self.error(
                IssueCode::Structure,
                rules::EMPTY,
                node,
                "An element must have a value or children: this object is empty".into(),
            );
            return;
        }
        self.objects.push(node);
        let base = self.counts.len();
        self.counts.resize(base + plan.elements.len(), 0);
        self.firsts.resize(base + plan.elements.len(), u32::MAX);
        for (mi, m) in members.iter().enumerate() {
            let raw = doc.raw_key(m);
            let found = if m.is_escaped() {
                plan.keys.get(doc.key(m).as_ref())
            } else {
                plan.keys.get(raw)
            };
            let Some(key) = found.copied() else {
                if raw == "resourceType" && plan.kind == TypeKind::Resource {
                    continue;
                }
                let release = self.release.map(|r| format!(" in FHIR {r}"));
                let message = format!(
                    "Unrecognised property '{raw}': {} does not define it{}",
                    plan.name,
                    release.unwrap_or_default()
                );
                self.emit(
                    Severity::Error,
                    IssueCode::Structure,
                    rules::UNKNOWN_ELEMENT,
                    doc.key_offset(m),
                    Some(raw),
                    message,
                );
                continue;
            };
            let ei = key.element as usize;
            let el = &plan.elements[ei];
            if !key.underscore {
                let first = self.firsts[base + ei];
                if first != u32::MAX {
                    let prev = doc.raw_key(&members[first as usize]);
                    let (rule, message) = if prev == raw {
                        (
                            rules::DUPLICATE_ELEMENT,
                            format!("The property '{raw}' appears more than once"),
                        )
                    } else {
                        (
                            rules::CHOICE_MULTIPLE,
                            format!("Only one of the {}[x] choices may be present, but both '{prev}' and '{raw}' are", el.name),
                        )
                    };
                    self.emit(
                        Severity::Error,
                        IssueCode::Structure,
                        rule,
                        doc.key_offset(m),
                        Some(raw),
                        message,
                    );
                    continue;
                }
                self.firsts[base + ei] = mi as u32;
            }
            self.path.push(Seg::Name(&el.name));
            self.element_paths.push(&el.path);
            if el.choice {
                if let Some(t) = el.types.get(key.choice as usize) {
                    self.path.push(Seg::OfType(&t.code));
                }
            }
            let n = if key.underscore {
                self.primitive_extras(m.value, el, key.choice as usize, members)
            } else {
                self.element_value(m.value, el, key.choice as usize, members)
            };
            let count = &mut self.counts[base + ei];
            *count = (*count).max(n);
            if el.array {
                let max = el.max;
                cardinality::max(
                    self,
                    rules::CARDINALITY_MAX,
                    m.value,
                    None,
                    &el.path,
                    n,
                    max,
                );
            }
            if el.choice && el.types.get(key.choice as usize).is_some() {
                self.path.pop();
            }
            self.element_paths.pop();
            self.path.pop();
        }
        for &ri in &plan.required {
            let el = &plan.elements[ri as usize];
            if self.counts[base + ri as usize] == 0 {
                let name = if el.choice {
                    format!("{}[x]", el.name)
                } else {
                    el.name.clone()
                };
                cardinality::min(
                    self,
                    rules::CARDINALITY_MIN,
                    node,
                    Some(&name),
                    &el.path,
                    0,
                    el.min,
                );
            }
        }
        self.counts.truncate(base);
        self.firsts.truncate(base);
        self.objects.pop();
    }

    /// Walks item `i` of an array; 1 when it counts as an occurrence.
    fn array_item(
        &mut self,
        i: usize,
        item: NodeId,
        el: &'a ElementPlan,
        choice: usize,
        twin: Option<NodeId>,
    ) -> u32 {
        let doc = self.doc;
        self.path.push(Seg::Index(i as u32));
        let mut count = 0;
        if doc.kind(item) == Kind::Null {
            let covered = twin
                .and_then(|t| doc.elements(t).get(i).copied())
                .is_some_and(|t| doc.kind(t) != Kind::Null);
            if !covered {
                self.error(IssueCode::Structure, rules::NULL_VALUE, item, "null is only allowed in a primitive array where the matching '_' entry has an id or extension".into());
            } else {
                count = 1;
            }
        } else {
            count = 1;
            self.typed_value(item, el, choice);
        }
        self.path.pop();
        count
    }

    /// Walks the entries of a large Bundle on all cores: runs of entries
    /// each walked by a [`fork`](Walker::fork), their findings taken back
    /// in entry order, so the report is the same as walking them in turn.
    /// An entry depends on the others only through the Bundle's index,
    /// built before and shared.
    fn entries_in_parallel(&mut self, items: &[NodeId], el: &'a ElementPlan, choice: usize) -> u32 {
        use rayon::prelude::*;
        // Several runs per thread, so one slow run does not idle the rest.
        let run = items
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(16);
        let this = &*self;
        let forks: Vec<(Walker<'a>, u32)> = items
            .par_chunks(run)
            .enumerate()
            .map(|(r, entries)| {
                let mut fork = this.fork();
                let count = (entries.iter().enumerate())
                    .map(|(j, &item)| fork.array_item(r * run + j, item, el, choice, None))
                    .sum();
                fork.evaluate_deferred();
                (fork, count)
            })
            .collect();
        let mut count = 0;
        for (fork, n) in forks {
            count += n;
            self.absorb(fork);
        }
        count
    }

    /// Walks the value of a (non-underscore) property; returns how many
    /// occurrences it holds.
    pub(crate) fn element_value(
        &mut self,
        node: NodeId,
        el: &'a ElementPlan,
        choice: usize,
        siblings: &[Member],
    ) -> u32 {
        let doc = self.doc;
        if el.array {
            if doc.kind(node) != Kind::Array {
                let message = format!(
                    "{} can repeat, so its value must be a JSON array, not {}",
                    el.path,
                    article(doc.kind(node))
                );
                self.error(IssueCode::Structure, rules::ARRAY_EXPECTED, node, message);
                self.typed_value(node, el, choice);
                return 1;
            }
            let items = doc.elements(node);
            if items.is_empty() {
                self.error(
                    IssueCode::Structure,
                    rules::EMPTY,
                    node,
                    "Arrays must not be empty: omit the property instead".into(),
                );
                return 0;
            }
            // The `_name` twin, when a primitive array has one.
            let twin = self.twin(el, siblings);
            if items.len() >= PARALLEL_ENTRIES && el.path == "Bundle.entry" {
                return self.entries_in_parallel(items, el, choice);
            }
            let mut count = 0;
            for (i, &item) in items.iter().enumerate() {
                count += self.array_item(i, item, el, choice, twin);
            }
            if let Some(t) = twin {
                let n = doc.elements(t).len();
                // FHIR pads both arrays with null so that their items line
                // up; like the reference validator, conform only rejects a
                // position with neither a value nor an id or extension
                // (`null-value`), and warns about the padding.
                if doc.kind(t) == Kind::Array && n != items.len() {
                    let message = format!("The arrays '{}' ({} items) and '_{}' ({n} items) differ in length: pad the shorter one with null so that their items line up", el.name, items.len(), el.name);
                    crate::rule_families::Report::report(
                        self,
                        Severity::Warning,
                        IssueCode::Structure,
                        rules::PRIMITIVE_ALIGNMENT,
                        t,
                        None,
                        message,
                    );
                }
            }
            count
        } else {
            if doc.kind(node) == Kind::Array {
                let message = format!(
                    "{} cannot repeat, so its value must not be a JSON array",
                    el.path
                );
                self.error(IssueCode::Structure, rules::ARRAY_UNEXPECTED, node, message);
                return 1;
            }
            self.typed_value(node, el, choice);
            1
        }
    }

    /// The `_name` member beside `name`, for primitive arrays.
    pub(crate) fn twin(&self, el: &ElementPlan, siblings: &[Member]) -> Option<NodeId> {
        let doc = self.doc;
        siblings
            .iter()
            .find(|m| doc.raw_key(m).strip_prefix('_') == Some(el.name.as_str()))
            .map(|m| m.value)
    }

    /// Walks a `_name` twin: the id and extensions of a primitive (or of each
    /// item of a primitive array). Returns the occurrences it stands for.
    pub(crate) fn primitive_extras(
        &mut self,
        node: NodeId,
        el: &'a ElementPlan,
        choice: usize,
        siblings: &[Member],
    ) -> u32 {
        let doc = self.doc;
        let Some(t) = el.types.get(choice) else {
            return 0;
        };
        if el.array {
            if doc.kind(node) != Kind::Array {
                let message = format!("'_{}' must be a JSON array to match '{}'", el.name, el.name);
                self.error(IssueCode::Structure, rules::ARRAY_EXPECTED, node, message);
                return 0;
            }
            let main = self.twin_of_underscore(el, siblings);
            let mut count = 0;
            for (i, &item) in doc.elements(node).iter().enumerate() {
                self.path.push(Seg::Index(i as u32));
                match doc.kind(item) {
                    Kind::Null => {
                        // A null on both sides is reported once, by the
                        // primitive array's own walk.
                        let beside = main.and_then(|m| doc.elements(m).get(i).copied());
                        if beside.is_none() {
                            self.error(
                                IssueCode::Structure,
                                rules::NULL_VALUE,
                                item,
                                "null in a '_' array must match a value in the primitive array"
                                    .into(),
                            );
                        }
                    }
                    Kind::Object => {
                        count += 1;
                        self.object(item, t.plan);
                    }
                    k => {
                        let message = format!(
                            "Items of '_{}' must be objects or null, not {}",
                            el.name,
                            article(k)
                        );
                        self.error(IssueCode::Structure, rules::JSON_TYPE, item, message);
                    }
                }
                self.path.pop();
            }
            count
        } else if doc.kind(node) == Kind::Object {
            self.object(node, t.plan);
            1
        } else {
            let message = format!(
                "'_{}' must be an object holding the id and extensions of the value, not {}",
                el.name,
                article(doc.kind(node))
            );
            self.error(IssueCode::Structure, rules::JSON_TYPE, node, message);
            0
        }
    }

    pub(crate) fn twin_of_underscore(
        &self,
        el: &ElementPlan,
        siblings: &[Member],
    ) -> Option<NodeId> {
        let doc = self.doc;
        siblings
            .iter()
            .find(|m| doc.raw_key(m) == el.name)
            .map(|m| m.value)
    }

    /// Walks one value of an element as the given type.
    pub(crate) fn typed_value(&mut self, node: NodeId, el: &'a ElementPlan, choice: usize) {
        let Some(t) = el.types.get(choice) else {
            return;
        };
        let plan = self.plans.get(t.plan);
        match plan.kind {
            TypeKind::Primitive(p) => {
                self.primitive(node, p, el, t);
                // invariants on primitive elements (`eld-3` on ElementDefinition.max)
                self.check_invariants(node, &el.constraints, t.plan, plan);
            }
            TypeKind::Resource => self.nested_resource(node, el),
            TypeKind::Complex | TypeKind::Backbone => {
                if self.doc.kind(node) != Kind::Object {
                    let message = format!(
                        "{} is a {}, so its value must be a JSON object, not {}",
                        el.path,
                        t.code,
                        article(self.doc.kind(node))
                    );
                    self.error(IssueCode::Structure, rules::JSON_TYPE, node, message);
                    return;
                }
                self.object(node, t.plan);
                self.check_invariants(node, &el.constraints, t.plan, plan);
                match plan.role {
                    Role::Extension => self.extension(node),
                    Role::Reference => self.reference(node, t),
                    Role::Identifier => {
                        let doc = self.doc;
                        types::coded::identifier(self, doc, node);
                        self.national_rules(node)
                    }
                    Role::Attachment => {
                        let doc = self.doc;
                        types::attachment::check(self, doc, node)
                    }
                    Role::Coded => {
                        let (plans, doc) = (self.plans, self.doc);
                        match plan.name.as_str() {
                            "Coding" => {
                                types::coded::coding(
                                    self,
                                    doc,
                                    node,
                                    el.path == "CodeableConcept.coding",
                                );
                                self.supplement_as_system(node);
                                self.code_in_held_system(node);
                                if !self.snomed_concept_id(node) {
                                    self.ask_code_system(node, &el.path);
                                }
                            }
                            "Quantity" => types::coded::quantity(self, doc, node),
                            _ => {}
                        }
                        bindings::check_required(self, plans, doc, node, el)
                    }
                    _ => {}
                }
            }
        }
    }

    pub(crate) fn nested_resource(&mut self, node: NodeId, el: &ElementPlan) {
        let Some(tid) = self.resource_type(node, false) else {
            return;
        };
        let is_contained = el.name == "contained";
        // Under `contained = ignore` only the resource type is checked (the
        // container indexed the ids, so references still resolve).
        if is_contained && self.options.contained == crate::ContainedPolicy::Ignore {
            return;
        }
        let id = self.doc.get(node, "id").and_then(|i| self.doc.raw(i));
        if is_contained {
            self.walking_contained.push(id.unwrap_or(""));
        }
        self.resource_body(node, tid, is_contained);
        if is_contained {
            self.walking_contained.pop();
        }
    }
}
