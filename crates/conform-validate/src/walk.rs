//! The validation walk: one pass over a parsed resource, following the
//! compiled plans. It keeps a compact path (segments borrowed from the plans
//! and the document) and only builds strings when it emits a finding.

use crate::context::Context;
use crate::finding::{rules, IssueCode, LocalIssue, Location, Outcome, Severity};
use crate::invariants::Invariants;
use crate::national::RuleSet;
use crate::plan::{ElementPlan, ElementType, Plans, Role, Strength, TypeId, TypeKind, UNBOUNDED};
use crate::primitive::{JsonType, Primitive};
use crate::reference::{Reference, ReferenceError};
use crate::terminology::Membership;
use crate::{Options, Validator};
use conform_json::{Document, Kind, LineIndex, Member, NodeId};
use rustc_hash::FxHashMap;
use std::cell::OnceCell;

#[derive(Clone, Copy)]
enum Seg<'a> {
    Name(&'a str),
    Index(u32),
    OfType(&'a str),
}

/// One walk over one document (a file, or one NDJSON line).
pub(crate) struct Walker<'a> {
    plans: &'a Plans,
    context: &'a Context,
    options: Options,
    rules: &'a RuleSet,
    values: &'a crate::profile::Values,
    inv: Invariants<'a>,
    /// The resources being walked (outermost first), for `%resource`.
    resources: Vec<NodeId>,
    selection: &'a crate::ProfileSelection,
    doc: &'a Document<'a>,
    /// Lines before this document in its file (NDJSON), added to every line.
    line_base: u32,
    /// Byte offset of this document in its file, for column computation.
    lines: OnceCell<LineIndex>,
    path: Vec<Seg<'a>>,
    /// Per-object scratch: occurrences per element, and the first member
    /// that used each element (to tell duplicates from choice conflicts).
    counts: Vec<u32>,
    firsts: Vec<u32>,
    /// The contained resources of each enclosing resource.
    contained: Vec<ContainedScope<'a>>,
    /// Ids of the contained resources being walked (for `#` references to
    /// their container).
    walking_contained: Vec<&'a str>,
    /// Definition paths of the elements being walked (`Patient.address`,
    /// `Address.extension`), for extension contexts.
    element_paths: Vec<&'a str>,
    pub(crate) findings: Vec<Outcome>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(v: &'a Validator, doc: &'a Document<'a>, line_base: u32) -> Self {
        Walker {
            plans: &v.plans,
            context: &v.context,
            options: v.options,
            rules: &v.rules,
            values: &v.values,
            inv: v.invariants(),
            resources: Vec::new(),
            selection: &v.selection,
            doc,
            line_base,
            lines: OnceCell::new(),
            path: Vec::with_capacity(16),
            counts: Vec::with_capacity(256),
            firsts: Vec::with_capacity(256),
            contained: Vec::new(),
            walking_contained: Vec::new(),
            element_paths: Vec::new(),
            findings: Vec::new(),
        }
    }

    // ---- findings ----------------------------------------------------------

    fn path_string(&self, extra: Option<&str>) -> String {
        let mut s = String::new();
        for seg in &self.path {
            match seg {
                Seg::Name(n) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(n);
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
                Seg::OfType(t) => {
                    s.push_str(".ofType(");
                    s.push_str(t);
                    s.push(')');
                }
            }
        }
        if let Some(e) = extra {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(e);
        }
        s
    }

    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        let src = self.doc.source();
        let (l, c) = self
            .lines
            .get_or_init(|| LineIndex::new(src))
            .line_col(src, offset);
        (l + self.line_base, c)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &str,
        offset: usize,
        extra: Option<&str>,
        message: String,
    ) {
        let (line, column) = self.line_col(offset);
        let expression = self.path_string(extra);
        self.findings.push(Outcome::finding(
            severity,
            code,
            rule,
            Location::payload(expression, line, column),
            message,
        ));
    }

    fn error(&mut self, code: IssueCode, rule: &str, node: NodeId, message: String) {
        self.emit(
            Severity::Error,
            code,
            rule,
            self.doc.offset(node),
            None,
            message,
        );
    }

    // ---- resources ---------------------------------------------------------

    /// Validates a top-level resource. Returns its type name and id when known.
    pub(crate) fn root(&mut self, node: NodeId) -> (Option<&'a str>, Option<String>) {
        let Some(tid) = self.resource_type(node, true) else {
            return (None, None);
        };
        let name = self.plans.get(tid).name.as_str();
        self.path.push(Seg::Name(name));
        self.resource_body(node, tid, false);
        self.path.pop();
        let id = self.doc.get_str(node, "id").map(|s| s.into_owned());
        (Some(name), id)
    }

    /// Reads and checks `resourceType`.
    fn resource_type(&mut self, node: NodeId, root: bool) -> Option<TypeId> {
        let doc = self.doc;
        if doc.kind(node) != Kind::Object {
            self.error(
                IssueCode::Structure,
                rules::JSON_TYPE,
                node,
                format!(
                    "A resource must be a JSON object, not {}",
                    article(doc.kind(node))
                ),
            );
            return None;
        }
        let Some(rt) = doc.get(node, "resourceType") else {
            let what = if root {
                "The JSON object"
            } else {
                "This resource"
            };
            self.error(
                IssueCode::Invalid,
                rules::RESOURCE_TYPE,
                node,
                format!(
                    "{what} has no 'resourceType', so it cannot be validated as a FHIR resource"
                ),
            );
            return None;
        };
        let name = doc.str(rt).unwrap_or_default();
        match self.plans.resource(&name) {
            Some(tid) => Some(tid),
            None => {
                let why = if self.plans.is_resource_type(&name) {
                    format!("'{name}' is an abstract type; a resource must have a concrete type")
                } else {
                    format!("Unknown resource type '{name}': it is not defined in the loaded FHIR packages")
                };
                self.error(IssueCode::Invalid, rules::RESOURCE_TYPE, rt, why);
                None
            }
        }
    }

    fn resource_body(&mut self, node: NodeId, tid: TypeId, is_contained: bool) {
        let doc = self.doc;
        // Contained resources are resolved from their container; every other
        // resource starts a new scope.
        let scope = !is_contained;
        if scope {
            let mut ids = FxHashMap::default();
            if let Some(c) = doc.get(node, "contained") {
                for (i, &r) in doc.elements(c).iter().enumerate() {
                    let (Some(id), Some(rt)) = (doc.get(r, "id"), doc.get(r, "resourceType"))
                    else {
                        continue;
                    };
                    let (Some(id), Some(rt)) = (doc.raw(id), doc.str(rt)) else {
                        continue;
                    };
                    if let Some(t) = self.plans.resource(&rt) {
                        ids.insert(id, (t, r, i as u32));
                    }
                }
            }
            self.contained.push(ContainedScope {
                ids,
                referenced: Default::default(),
            });
        }
        if let Some(ext) = doc.get(node, "_id") {
            self.path.push(Seg::Name("id"));
            self.error(
                IssueCode::Structure,
                rules::EXTENSION_ON_ID,
                ext,
                "Extensions are not allowed on Resource.id".into(),
            );
            self.path.pop();
        }
        self.resources.push(node);
        self.object(node, tid);
        self.check_invariants(node, &[], tid);
        self.resources.pop();
        match self.plans.get(tid).role {
            Role::Bundle => self.bundle(node),
            Role::QuestionnaireResponse => self.questionnaire_response(node),
            _ => {}
        }
        self.apply_profiles(node, tid);
        if scope {
            if let Some(done) = self.contained.pop() {
                self.unreferenced_contained(done);
            }
        }
    }

    /// `dom-3`, natively: each contained resource is referenced from
    /// elsewhere in its container (or refers to the container with `#`).
    /// The FHIRPath form searches every descendant for every contained
    /// resource, which costs more than all other checks together.
    fn unreferenced_contained(&mut self, scope: ContainedScope<'a>) {
        let mut missing: Vec<(&str, NodeId, u32)> = scope
            .ids
            .iter()
            .filter(|(id, _)| !scope.referenced.contains(**id))
            .map(|(id, &(_, node, i))| (*id, node, i))
            .collect();
        missing.sort_by_key(|m| m.2);
        for (id, node, i) in missing {
            let extra = format!("contained[{i}]");
            let message = format!("Constraint failed: dom-3: 'If the resource is contained in another resource, it SHALL be referred to from elsewhere in the resource or SHALL refer to the containing resource' (nothing refers to #{id})");
            self.emit(
                Severity::Error,
                IssueCode::Invariant,
                "dom-3",
                self.doc.offset(node),
                Some(&extra),
                message,
            );
        }
    }

    /// Notes a local reference (`#id`, or `#` for the container).
    fn local_reference(&mut self, target: &str) {
        let id = if target.is_empty() {
            match self.walking_contained.last() {
                Some(id) => id.to_string(),
                None => return,
            }
        } else {
            target.to_string()
        };
        if let Some(scope) = self.contained.last_mut() {
            scope.referenced.insert(id);
        }
    }

    // ---- objects -----------------------------------------------------------

    fn object(&mut self, node: NodeId, tid: TypeId) {
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
                let message = format!(
                    "Unrecognised property '{raw}': {} does not define it in FHIR R4",
                    plan.name
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
            if el.max != UNBOUNDED && n > el.max && el.array {
                let message = format!("{}: at most {} allowed, but found {n}", el.path, el.max);
                self.error(
                    IssueCode::Structure,
                    rules::CARDINALITY_MAX,
                    m.value,
                    message,
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
                let message = format!(
                    "{}: minimum required = {}, but only found 0",
                    el.path, el.min
                );
                self.emit(
                    Severity::Error,
                    IssueCode::Required,
                    rules::CARDINALITY_MIN,
                    doc.offset(node),
                    Some(&name),
                    message,
                );
            }
        }
        self.counts.truncate(base);
        self.firsts.truncate(base);
    }

    /// Walks the value of a (non-underscore) property; returns how many
    /// occurrences it holds.
    fn element_value(
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
            let mut count = 0;
            for (i, &item) in items.iter().enumerate() {
                self.path.push(Seg::Index(i as u32));
                if doc.kind(item) == Kind::Null {
                    let covered = twin
                        .and_then(|t| doc.elements(t).get(i).copied())
                        .is_some_and(|t| doc.kind(t) != Kind::Null);
                    if !covered {
                        self.error(IssueCode::Structure, rules::NULL_VALUE, item, "null is only allowed in a primitive array where the matching '_' entry has an id or extension".into());
                    } else {
                        count += 1;
                    }
                } else {
                    count += 1;
                    self.typed_value(item, el, choice);
                }
                self.path.pop();
            }
            if let Some(t) = twin {
                let n = doc.elements(t).len();
                if doc.kind(t) == Kind::Array && n != items.len() {
                    let message = format!("The arrays '{}' ({} items) and '_{}' ({n} items) must have the same length", el.name, items.len(), el.name);
                    self.error(IssueCode::Structure, rules::PRIMITIVE_ALIGNMENT, t, message);
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
    fn twin(&self, el: &ElementPlan, siblings: &[Member]) -> Option<NodeId> {
        let doc = self.doc;
        siblings
            .iter()
            .find(|m| doc.raw_key(m).strip_prefix('_') == Some(el.name.as_str()))
            .map(|m| m.value)
    }

    /// Walks a `_name` twin: the id and extensions of a primitive (or of each
    /// item of a primitive array). Returns the occurrences it stands for.
    fn primitive_extras(
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
                        let covered = main
                            .and_then(|m| doc.elements(m).get(i).copied())
                            .is_some_and(|v| doc.kind(v) != Kind::Null);
                        if !covered {
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

    fn twin_of_underscore(&self, el: &ElementPlan, siblings: &[Member]) -> Option<NodeId> {
        let doc = self.doc;
        siblings
            .iter()
            .find(|m| doc.raw_key(m) == el.name)
            .map(|m| m.value)
    }

    /// Walks one value of an element as the given type.
    fn typed_value(&mut self, node: NodeId, el: &'a ElementPlan, choice: usize) {
        let Some(t) = el.types.get(choice) else {
            return;
        };
        let plan = self.plans.get(t.plan);
        match plan.kind {
            TypeKind::Primitive(p) => {
                self.primitive(node, p, el, t);
                // invariants on primitive elements (`eld-3` on ElementDefinition.max)
                self.check_invariants(node, &el.constraints, t.plan);
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
                self.check_invariants(node, &el.constraints, t.plan);
                match plan.role {
                    Role::Extension => self.extension(node),
                    Role::Reference => self.reference(node, t),
                    Role::Identifier => self.national_rules(node),
                    Role::Coded => self.coded_binding(node, el, &t.code),
                    _ => {}
                }
            }
        }
    }

    fn nested_resource(&mut self, node: NodeId, el: &ElementPlan) {
        let Some(tid) = self.resource_type(node, false) else {
            return;
        };
        let is_contained = el.name == "contained";
        let id = self.doc.get(node, "id").and_then(|i| self.doc.raw(i));
        if is_contained {
            self.walking_contained.push(id.unwrap_or(""));
        }
        self.resource_body(node, tid, is_contained);
        if is_contained {
            self.walking_contained.pop();
        }
    }

    // ---- primitives --------------------------------------------------------

    fn primitive(&mut self, node: NodeId, p: Primitive, el: &'a ElementPlan, t: &ElementType) {
        let doc = self.doc;
        let kind = doc.kind(node);
        let expected = p.json_type();
        let text = match (expected, kind) {
            (_, Kind::Null) => {
                self.error(
                    IssueCode::Structure,
                    rules::NULL_VALUE,
                    node,
                    format!("{} must have a value, not null", el.path),
                );
                return;
            }
            (JsonType::Bool, Kind::Bool) => return,
            (JsonType::Number, Kind::Number) => doc.raw(node).map(std::borrow::Cow::Borrowed),
            (JsonType::String, Kind::String) => doc.str(node),
            _ => {
                let want = match expected {
                    JsonType::Bool => "a JSON boolean (true or false)",
                    JsonType::Number => "a JSON number",
                    JsonType::String => "a JSON string",
                };
                let message = format!(
                    "{} is a {}, so its value must be {want}, not {}",
                    el.path,
                    t.code,
                    article(kind)
                );
                self.error(IssueCode::Structure, rules::JSON_TYPE, node, message);
                return;
            }
        };
        let Some(text) = text else { return };
        if kind == Kind::String && text.is_empty() {
            self.error(
                IssueCode::Value,
                rules::EMPTY,
                node,
                format!("{} must not be an empty string: omit it instead", el.path),
            );
            return;
        }
        if let Err(why) = p.check(&text) {
            let rule = if p == Primitive::Xhtml {
                rules::NARRATIVE
            } else {
                rules::PRIMITIVE_FORMAT
            };
            self.error(
                IssueCode::Value,
                rule,
                node,
                format!("The value of {} {why}", el.path),
            );
            return;
        }
        if matches!(p, Primitive::Canonical | Primitive::Uri | Primitive::Url) {
            if let Some(id) = text.strip_prefix('#') {
                self.local_reference(id);
            }
        }
        let html_forbidden = match p {
            Primitive::String => self.options.security_checks,
            Primitive::Markdown => self.options.no_html_in_markdown || self.options.security_checks,
            _ => false,
        };
        if html_forbidden && looks_like_html(&text) {
            let message = format!("The value of {} contains text that looks like embedded HTML tags, which are not allowed here (they could be rendered unescaped)", el.path);
            self.error(IssueCode::Invalid, rules::EMBEDDED_HTML, node, message);
        }
        if matches!(p, Primitive::Code | Primitive::String | Primitive::Uri) {
            self.code_binding(node, el, None, &text);
        }
    }

    // ---- terminology -------------------------------------------------------

    /// Checks a code (with its system, when it has one) against a required
    /// binding. Other strengths are for profiles and are not checked here.
    fn code_binding(
        &mut self,
        node: NodeId,
        el: &ElementPlan,
        system: Option<&str>,
        code: &str,
    ) -> Option<Membership> {
        let b = el
            .binding
            .as_ref()
            .filter(|b| b.strength == Strength::Required)?;
        let set = &self.plans.code_sets[b.code_set? as usize];
        let result = match system {
            Some(s) => set.contains_coding(s, code),
            None => set.contains_code(code),
        };
        match result {
            Membership::In => {}
            Membership::NotIn => {
                let code_text = match system {
                    Some(s) => format!("'{s}#{code}'"),
                    None => format!("'{code}'"),
                };
                let message = format!(
                    "The code {code_text} is not in the value set {} required for {}",
                    set.url, el.path
                );
                self.error(
                    IssueCode::CodeInvalid,
                    rules::BINDING_REQUIRED,
                    node,
                    message,
                );
            }
            Membership::Unknown => {
                let code_text = match system {
                    Some(s) => format!("'{s}#{code}'"),
                    None => format!("'{code}'"),
                };
                let why = set
                    .unresolved
                    .clone()
                    .unwrap_or_else(|| "its code system is not in the loaded packages".to_string());
                let message = format!(
                    "The code {code_text} was not checked against the value set {} required for {}: {why}",
                    set.url, el.path
                );
                self.emit(
                    Severity::Information,
                    IssueCode::NotSupported,
                    rules::BINDING_NOT_CHECKED,
                    self.doc.offset(node),
                    None,
                    message,
                );
            }
        }
        Some(result)
    }

    fn coded_binding(&mut self, node: NodeId, el: &'a ElementPlan, code: &str) {
        if el
            .binding
            .as_ref()
            .is_none_or(|b| b.strength != Strength::Required)
        {
            return;
        }
        let doc = self.doc;
        match code {
            "Coding" | "Quantity" => {
                let Some(c) = doc.get(node, "code") else {
                    return;
                };
                let Some(value) = doc.str(c) else { return };
                let system = doc.get_str(node, "system");
                self.code_binding(c, el, system.as_deref(), &value);
            }
            _ => {
                let Some(codings) = doc.get(node, "coding") else {
                    return;
                };
                // Valid when any coding is in the set. Otherwise report
                // against the first coding we could not judge (not checked)
                // or, when we could judge them all, the first one (error).
                let set = &self.plans.code_sets
                    [el.binding.as_ref().and_then(|b| b.code_set).unwrap_or(0) as usize];
                let mut unknown: Option<usize> = None;
                let mut bad: Option<usize> = None;
                let items = doc.elements(codings);
                for (i, &c) in items.iter().enumerate() {
                    let (Some(system), Some(value)) =
                        (doc.get_str(c, "system"), doc.get_str(c, "code"))
                    else {
                        continue;
                    };
                    match set.contains_coding(&system, &value) {
                        Membership::In => return,
                        Membership::Unknown => unknown = unknown.or(Some(i)),
                        Membership::NotIn => bad = bad.or(Some(i)),
                    }
                }
                if let Some(i) = unknown.or(bad) {
                    let c = items[i];
                    let system = doc.get_str(c, "system").unwrap_or_default();
                    let value = doc.get_str(c, "code").unwrap_or_default();
                    let at = doc.get(c, "code").unwrap_or(c);
                    self.path.push(Seg::Name("coding"));
                    self.path.push(Seg::Index(i as u32));
                    self.path.push(Seg::Name("code"));
                    self.code_binding(at, el, Some(&system), &value);
                    self.path.truncate(self.path.len() - 3);
                }
            }
        }
    }

    // ---- references --------------------------------------------------------

    fn reference(&mut self, node: NodeId, t: &ElementType) {
        let doc = self.doc;
        let Some(rnode) = doc.get(node, "reference") else {
            return;
        };
        let Some(r) = doc.str(rnode) else { return };
        let target: Option<String> = match crate::reference::parse(&r) {
            Ok(Reference::Contained(id)) => {
                self.local_reference(id);
                if id.is_empty() {
                    None // the containing resource itself
                } else {
                    match self.contained.last().and_then(|c| c.ids.get(id)) {
                        Some(&(tid, _, _)) => Some(self.plans.get(tid).name.clone()),
                        None => {
                            self.path.push(Seg::Name("reference"));
                            self.error(IssueCode::NotFound, rules::CONTAINED_NOT_FOUND, rnode, format!("The reference '{r}' does not match the id of any contained resource"));
                            self.path.pop();
                            return;
                        }
                    }
                }
            }
            Ok(Reference::Urn(_)) => None,
            // an absolute URL names a type only on a FHIR base
            Ok(parsed @ Reference::Absolute { .. }) => parsed
                .resource_type()
                .filter(|t| self.plans.is_resource_type(t))
                .map(str::to_string),
            Ok(parsed) => {
                let ty = parsed.resource_type().unwrap_or_default();
                if self.plans.is_resource_type(ty) {
                    Some(ty.to_string())
                } else {
                    let why = match parsed {
                        Reference::Conditional { resource_type, .. } => {
                            ReferenceError::ConditionalType(resource_type.to_string())
                        }
                        _ => ReferenceError::NotAType(ty.to_string()),
                    };
                    self.reference_format(rnode, &r, why);
                    return;
                }
            }
            Err(why) => {
                self.reference_format(rnode, &r, why);
                return;
            }
        };
        if let Some(ty) = target {
            if !t.target_types.is_empty() && !t.target_types.contains(&ty) {
                self.path.push(Seg::Name("reference"));
                let message = format!(
                    "The reference points to a {ty}, but only {} may be referenced here",
                    t.target_types.join(", ")
                );
                self.error(
                    IssueCode::Structure,
                    rules::REFERENCE_TARGET,
                    rnode,
                    message,
                );
                self.path.pop();
            }
        }
    }

    fn reference_format(&mut self, at: NodeId, r: &str, why: ReferenceError) {
        self.path.push(Seg::Name("reference"));
        self.error(
            IssueCode::Invalid,
            rules::REFERENCE_FORMAT,
            at,
            format!("The reference '{r}' is not valid: {why}"),
        );
        self.path.pop();
    }

    // ---- extensions --------------------------------------------------------

    /// Checks an extension against its definition, found by url among the
    /// loaded profiles. The parts of a complex extension (relative urls)
    /// are checked by their parent's definition.
    fn extension(&mut self, node: NodeId) {
        let doc = self.doc;
        let Some(url_node) = doc.get(node, "url") else {
            return;
        };
        let Some(url) = doc.str(url_node) else { return };
        if !url.contains(':') {
            return;
        }
        match self.plans.profiles.get(&url) {
            Some(plan) => {
                self.extension_context(node, &url, plan);
                self.run_profile(node, plan);
            }
            None => self.unknown_extension(url_node, &url),
        }
    }

    /// The extension's definition says where it may be used; check the
    /// element holding it (by type, and by its path in the resource).
    fn extension_context(
        &mut self,
        node: NodeId,
        url: &str,
        plan: &crate::plan::profile::ProfilePlan,
    ) {
        if plan.contexts.is_empty() || plan.contexts.iter().any(|(kind, _)| kind != "element") {
            return; // no contexts, or ones (extension, fhirpath) we do not judge
        }
        let n = self.element_paths.len();
        let Some(holder_type) = self
            .element_paths
            .last()
            .and_then(|p| p.rsplit_once('.'))
            .map(|(holder, _)| holder)
        else {
            return;
        };
        let holder_path = n.checked_sub(2).map(|i| self.element_paths[i]);
        let is_resource = self.plans.is_resource_type(holder_type);
        let allowed = plan.contexts.iter().any(|(_, e)| {
            e == holder_type
                || Some(e.as_str()) == holder_path
                || matches!(e.as_str(), "Element" | "Base")
                || (is_resource
                    && matches!(
                        e.as_str(),
                        "Resource" | "DomainResource" | "CanonicalResource" | "MetadataResource"
                    ))
                || (e == "BackboneElement" && holder_type.contains('.'))
        });
        if !allowed {
            let place = holder_path.unwrap_or(holder_type);
            let list: Vec<&str> = plan.contexts.iter().map(|(_, e)| e.as_str()).collect();
            let message = format!(
                "The extension {url} is not allowed on {place} (its definition allows: {})",
                list.join(", ")
            );
            // HL7's own extensions have widened their contexts since R4
            // (the reference validator loads the newer definitions), so a
            // mismatch there is a warning; elsewhere it is an error.
            let severity = if url.starts_with("http://hl7.org/fhir/StructureDefinition/") {
                Severity::Warning
            } else {
                Severity::Error
            };
            let offset = self.doc.offset(node);
            self.emit(
                severity,
                IssueCode::Structure,
                rules::EXTENSION_CONTEXT,
                offset,
                None,
                message,
            );
        }
    }

    /// An extension url that is in no loaded package. Like the reference
    /// validator: example domains are allowed, HL7's own (whose newer
    /// extensions package we may not hold) get a warning, others an error.
    fn unknown_extension(&mut self, at: NodeId, url: &str) {
        const EXAMPLE_DOMAINS: &[&str] = &[
            "example.org",
            "example.com",
            "acme.com",
            "acme.org",
            "nema.org",
            "hl7.org/fhir/tools/",
        ];
        let example = EXAMPLE_DOMAINS.iter().any(|d| url.contains(d));
        if example && self.options.allow_example_urls {
            return;
        }
        self.path.push(Seg::Name("url"));
        if example {
            let message = format!("Example URLs are not allowed in this context ({url})");
            self.error(IssueCode::Structure, rules::EXTENSION_UNKNOWN, at, message);
        }
        if url.starts_with("http://hl7.org/fhir/") || url.starts_with("http://terminology.hl7.org/")
        {
            let message = format!("The extension {url} is not in the loaded packages, so its use could not be checked");
            self.emit(
                Severity::Warning,
                IssueCode::Structure,
                rules::EXTENSION_UNKNOWN,
                self.doc.offset(at),
                None,
                message,
            );
        } else {
            let message = format!("The extension {url} could not be found so is not allowed here (load the package that defines it with --ig)");
            self.error(IssueCode::Structure, rules::EXTENSION_UNKNOWN, at, message);
        }
        self.path.pop();
    }

    // ---- invariants --------------------------------------------------------

    /// Evaluates the invariants of an element and of its type on one value;
    /// a `false` result is a finding named by the constraint's key.
    fn check_invariants(&mut self, node: NodeId, element: &'a [u32], tid: TypeId) {
        if !self.options.invariants {
            return;
        }
        let plan = self.plans.get(tid);
        if element.is_empty() && plan.constraints.is_empty() {
            return;
        }
        let focus = conform_fhirpath::NodeRef {
            node: Some(node),
            companion: None,
            ty: Some(plan.name.as_str().into()),
        };
        let inv = self.inv;
        let ids = element.iter().chain(&plan.constraints).copied();
        let mut issues = Vec::new();
        inv.check(self.doc, focus, &self.resources, ids, |i| issues.push(i));
        let at = self.doc.offset(node);
        for i in issues {
            self.emit(i.severity, i.code, i.rule, at, None, i.message);
        }
    }

    // ---- profiles ----------------------------------------------------------

    /// Validates the resource against every profile that applies to it:
    /// `--profile` (top level only), the pack's profile for its type, and
    /// its `meta.profile` declarations.
    fn apply_profiles(&mut self, node: NodeId, tid: TypeId) {
        let doc = self.doc;
        let type_name = self.plans.get(tid).name.as_str();
        let mut wanted: Vec<(String, Option<NodeId>)> = Vec::new();
        if self.path.len() == 1 {
            wanted.extend(self.selection.explicit.iter().map(|u| (u.clone(), None)));
        }
        if let Some(u) = self.selection.per_type.get(type_name) {
            wanted.push((u.clone(), None));
        }
        if self.selection.meta_profiles {
            if let Some(list) = doc.get(node, "meta").and_then(|m| doc.get(m, "profile")) {
                for &p in doc.elements(list) {
                    if let Some(u) = doc.str(p) {
                        wanted.push((u.into_owned(), Some(p)));
                    }
                }
            }
        }
        let mut done: Vec<&str> = Vec::new();
        for (url, at) in &wanted {
            let key = url.split('|').next().unwrap_or(url);
            if done.contains(&key) {
                continue;
            }
            done.push(key);
            let at = doc.offset(at.unwrap_or(node));
            // A profile that cannot be applied, and why.
            let problem = if let Some(why) = self.plans.profiles.failed.get(key) {
                Some((Severity::Error, IssueCode::Processing, format!("The profile {url} could not be used: its snapshot could not be generated ({why})")))
            } else {
                match self.plans.profiles.get(url) {
                    None => Some((Severity::Warning, IssueCode::NotFound, format!("The profile {url} is not in the loaded packages, so the resource was checked against the base {type_name} definition only (load it with --ig)"))),
                    Some(plan) if plan.type_name != type_name => Some((Severity::Error, IssueCode::Invalid, format!("The profile {url} constrains {}, not {type_name}", plan.type_name))),
                    Some(_) => None,
                }
            };
            if let Some((severity, code, message)) = problem {
                self.emit(severity, code, rules::PROFILE_UNKNOWN, at, None, message);
                continue;
            }
            let Some(plan) = self.plans.profiles.get(url) else {
                continue;
            };
            self.run_profile(node, plan);
        }
    }

    /// Checks a value against one profile and reports what it finds,
    /// except what the walk has already said at the same place.
    fn run_profile(&mut self, node: NodeId, plan: &'a crate::plan::profile::ProfilePlan) {
        let mut ck = crate::profile::Checker::new(self.plans, self.values, self.doc, plan);
        if self.options.invariants {
            ck = ck.with_invariants(self.inv, &self.resources);
        }
        ck.check(node);
        self.emit_local(ck.issues, true);
    }

    /// Places the findings of a sub-check under the current path. With
    /// `dedupe`, drops those the walk has already reported at the same
    /// place (a minimum the base and a profile share).
    fn emit_local(&mut self, issues: Vec<LocalIssue>, dedupe: bool) {
        for issue in issues {
            let extra = (!issue.path.is_empty()).then_some(issue.path.as_str());
            if dedupe {
                let expression = self.path_string(extra);
                if self
                    .findings
                    .iter()
                    .any(|f| f.rule == issue.rule && f.expression() == expression)
                {
                    continue;
                }
            }
            let offset = self.doc.offset(issue.node);
            self.emit(
                issue.severity,
                issue.code,
                &issue.rule,
                offset,
                extra,
                issue.message,
            );
        }
    }

    // ---- national rules ----------------------------------------------------

    fn national_rules(&mut self, identifier: NodeId) {
        for hit in self.rules.check_identifier(self.doc, identifier) {
            let extra = (!hit.child.is_empty()).then_some(hit.child);
            let code = if hit.severity.is_error() {
                IssueCode::Value
            } else {
                IssueCode::BusinessRule
            };
            self.emit(
                hit.severity,
                code,
                &hit.rule,
                self.doc.offset(hit.node),
                extra,
                hit.message,
            );
        }
    }

    // ---- questionnaire responses --------------------------------------------

    fn questionnaire_response(&mut self, node: NodeId) {
        let issues = crate::questionnaire::check(self.doc, node, self.plans, self.context);
        self.emit_local(issues, false);
    }

    // ---- bundles -----------------------------------------------------------

    fn bundle(&mut self, node: NodeId) {
        let doc = self.doc;
        let Some(entries) = doc.get(node, "entry") else {
            return;
        };
        let mut seen: FxHashMap<(String, Option<String>), usize> = FxHashMap::default();
        for (i, &entry) in doc.elements(entries).iter().enumerate() {
            let Some(full_url) = doc.get_str(entry, "fullUrl") else {
                continue;
            };
            let resource = doc
                .get(entry, "resource")
                .filter(|&r| doc.kind(r) == Kind::Object);
            let at = doc.get(entry, "fullUrl").unwrap_or(entry);
            self.path.push(Seg::Name("entry"));
            self.path.push(Seg::Index(i as u32));
            if let Some(r) = resource {
                let rt = doc.get_str(r, "resourceType");
                let id = doc.get_str(r, "id");
                if let (Some(rt), Some(id)) = (rt, id.as_ref()) {
                    let is_rest =
                        full_url.starts_with("http://") || full_url.starts_with("https://");
                    if !full_url.contains(':') {
                        let message =
                            format!("The fullUrl must be an absolute URL (not '{full_url}')");
                        self.emit(
                            Severity::Error,
                            IssueCode::Invalid,
                            rules::BUNDLE_FULLURL,
                            doc.offset(at),
                            Some("fullUrl"),
                            message,
                        );
                    }
                    let suffix = format!("{rt}/{id}");
                    let matches = full_url.ends_with(&format!("/{suffix}"))
                        || full_url.contains(&format!("/{suffix}/_history/"));
                    if is_rest && !matches {
                        let message = format!("The fullUrl '{full_url}' does not match the resource it holds ({suffix}): it should end with /{suffix}");
                        self.emit(
                            Severity::Error,
                            IssueCode::Invalid,
                            rules::BUNDLE_FULLURL,
                            doc.offset(at),
                            Some("fullUrl"),
                            message,
                        );
                    }
                }
                let version = doc
                    .get(r, "meta")
                    .and_then(|m| doc.get_str(m, "versionId"))
                    .map(|v| v.into_owned());
                let key = (full_url.clone().into_owned(), version);
                if let Some(prev) = seen.get(&key) {
                    let message = format!("The fullUrl '{full_url}' is used by entry {prev} too: entries with the same fullUrl must have different meta.versionId (bdl-7)");
                    self.emit(
                        Severity::Error,
                        IssueCode::Invalid,
                        rules::BUNDLE_DUPLICATE,
                        doc.offset(at),
                        Some("fullUrl"),
                        message,
                    );
                } else {
                    seen.insert(key, i);
                }
            }
            self.path.pop();
            self.path.pop();
        }
    }
}

/// `<` directly followed by a tag name, `/` or `!`: the start of an HTML tag
/// rather than a less-than sign.
fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// The contained resources of one container: id → (type, node, index),
/// and the ids something has referred to.
struct ContainedScope<'a> {
    ids: FxHashMap<&'a str, (TypeId, NodeId, u32)>,
    referenced: rustc_hash::FxHashSet<String>,
}

fn article(k: Kind) -> &'static str {
    match k {
        Kind::Null => "null",
        Kind::Bool => "a boolean",
        Kind::Number => "a number",
        Kind::String => "a string",
        Kind::Array => "an array",
        Kind::Object => "an object",
    }
}
