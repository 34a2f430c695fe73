//! Validation of an instance against a profile (a compiled constraint
//! tree, see [`crate::plan::profile`]), after the base walk has checked its
//! structure: cardinality and types the profile tightens, fixed and pattern
//! values, bindings of every strength, limits, slicing, and the profiles of
//! element types (extensions, data type profiles).

mod matching;
mod slicing;

use crate::finding::{rules, IssueCode, Severity};
use crate::invariants::Invariants;
use crate::plan::profile::{NodeIdx, ProfileNode, ProfilePlan, ProfileSet};
use crate::plan::{Plans, Strength, UNBOUNDED};
use crate::terminology::Membership;
use conform_json::{Document, Kind, NodeId};
use serde_json::Value;

/// The fixed, pattern and limit values of the profiles, parsed once.
#[derive(Default)]
pub struct Values(Vec<Value>);

impl Values {
    pub fn new(profiles: &ProfileSet) -> Values {
        Values(
            profiles
                .values
                .iter()
                .map(|s| serde_json::from_str(s).unwrap_or(Value::Null))
                .collect(),
        )
    }

    fn get(&self, i: u32) -> &Value {
        &self.0[i as usize]
    }
}

/// A finding of this check, placed by the walker (paths relative to the
/// value the check started at).
pub(crate) type Issue = crate::finding::LocalIssue;

/// How deep profiles may nest (a type profile inside a slice inside...),
/// against definitions that refer to themselves.
const MAX_DEPTH: usize = 24;

pub(crate) struct Checker<'a> {
    plans: &'a Plans,
    values: &'a Values,
    doc: &'a Document<'a>,
    /// The profile whose constraints are being applied, for messages.
    profile: &'a ProfilePlan,
    path: Vec<String>,
    depth: usize,
    /// Evaluates the profile's own invariants; `None` skips them.
    inv: Option<Invariants<'a>>,
    /// The enclosing resources, outermost first, for the invariants.
    resources: Vec<NodeId>,
    pub(crate) issues: Vec<Issue>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(
        plans: &'a Plans,
        values: &'a Values,
        doc: &'a Document<'a>,
        profile: &'a ProfilePlan,
    ) -> Self {
        Checker {
            plans,
            values,
            doc,
            profile,
            path: Vec::new(),
            depth: 0,
            inv: None,
            resources: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// Also evaluates the invariants the profiles add, for a value inside
    /// `resources` (outermost first).
    pub(crate) fn with_invariants(mut self, inv: Invariants<'a>, resources: &[NodeId]) -> Self {
        self.inv = Some(inv);
        self.resources = resources.to_vec();
        self
    }

    fn set(&self) -> &'a ProfileSet {
        &self.plans.profiles
    }

    fn report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: impl Into<std::borrow::Cow<'static, str>>,
        node: NodeId,
        extra: Option<&str>,
        message: String,
    ) {
        let mut path = self.path.join("");
        if let Some(e) = extra {
            path.push('.');
            path.push_str(e);
        }
        let message = format!("{message} (profile {})", self.profile.name);
        self.issues.push(Issue {
            node,
            path: path.trim_start_matches('.').to_string(),
            severity,
            code,
            rule: rule.into(),
            message,
        });
    }

    /// Checks a resource (or any value) against the profile's root element.
    pub(crate) fn check(&mut self, node: NodeId) {
        // A resource profile applied to another resource type (a slice
        // tried against the wrong entry) does not conform at all.
        let actual = self.doc.get_str(node, "resourceType");
        if let Some(actual) = actual.filter(|a| *a != self.profile.type_name.as_str()) {
            let message = format!(
                "This is a {actual}, but the profile constrains {}",
                self.profile.type_name
            );
            self.report(
                Severity::Error,
                IssueCode::Structure,
                rules::PROFILE_TYPE,
                node,
                None,
                message,
            );
            return;
        }
        let root = self.profile.root;
        self.item(node, root);
    }

    /// Applies one profile element to one value.
    fn item(&mut self, node: NodeId, idx: NodeIdx) {
        let set = self.set();
        let p = set.node(idx);
        let doc = self.doc;
        if let Some(i) = p.fixed {
            let v = self.values.get(i);
            if !matching::equals(doc, node, v) {
                let message = format!("{}: the value must be exactly {}", p.id, short(v));
                self.report(
                    Severity::Error,
                    IssueCode::Value,
                    rules::PROFILE_FIXED,
                    node,
                    None,
                    message,
                );
            }
        }
        if let Some(i) = p.pattern {
            let v = self.values.get(i);
            if !matching::contains(doc, node, v) {
                let message = format!("{}: the value must match the pattern {}", p.id, short(v));
                self.report(
                    Severity::Error,
                    IssueCode::Value,
                    rules::PROFILE_PATTERN,
                    node,
                    None,
                    message,
                );
            }
        }
        // Limits are never inherited from a base type, so they always apply;
        // bindings and targets only where the profile chain sets them.
        self.limits(node, p);
        if p.constrained {
            self.binding(node, p);
            self.reference_target(node, p);
        }
        self.type_profiles(node, p);
        if doc.kind(node) == Kind::Object {
            // inside a nested resource (contained, a Bundle entry) it is
            // `%resource`; its own element's invariants still see the outer one
            let nested = self.inv.is_some()
                && self.resources.last() != Some(&node)
                && doc.get(node, "resourceType").is_some();
            if nested {
                self.resources.push(node);
            }
            self.children(node, p);
            if nested {
                self.resources.pop();
            }
        }
        if !p.constraints.is_empty() {
            self.invariants(node, p);
        }
    }

    /// The invariants the profile adds to this element, on one value.
    fn invariants(&mut self, node: NodeId, p: &ProfileNode) {
        let Some(inv) = self.inv else { return };
        let focus = conform_fhirpath::NodeRef {
            node: Some(node),
            companion: None,
            ty: self.value_type(node, p).map(Into::into),
        };
        let mut issues = Vec::new();
        inv.check(
            self.doc,
            focus,
            &self.resources,
            p.constraints.iter().copied(),
            |i| issues.push(i),
        );
        for i in issues {
            self.report(
                i.severity,
                i.code,
                i.rule.to_string(),
                node,
                None,
                i.message,
            );
        }
    }

    /// The FHIR type of a value for FHIRPath: the profiled resource or
    /// type at the root, the element's one type, the backbone's base path,
    /// or a choice's type from its JSON key.
    fn value_type(&self, node: NodeId, p: &ProfileNode) -> Option<String> {
        if let Some(t) = self.doc.get_str(node, "resourceType") {
            return Some(t.into_owned());
        }
        if self.path.is_empty() {
            return Some(self.profile.type_name.clone());
        }
        match p.types.as_slice() {
            [t] if matches!(t.code.as_str(), "BackboneElement" | "Element") => {
                // `Composition.section:problems` is a `Composition.section`
                let path: Vec<&str> =
                    p.id.split('.')
                        .map(|seg| seg.split(':').next().unwrap_or(seg))
                        .collect();
                Some(path.join("."))
            }
            [t] => Some(t.code.clone()),
            _ if p.choice => {
                let last = self.path.last()?;
                let key = last.trim_start_matches('.').split('[').next()?;
                let suffix = key.strip_prefix(p.name.as_str())?;
                let mut ty = suffix.to_string();
                if conform_fhirpath::system_type_of(&lower_first(suffix)).is_some() {
                    ty = lower_first(suffix);
                }
                Some(ty)
            }
            _ => None,
        }
    }

    /// Walks the constrained children of an object.
    fn children(&mut self, obj: NodeId, p: &'a ProfileNode) {
        let set = self.set();
        for &ci in &p.children {
            let c = set.node(ci);
            let items = self.gather(obj, c);
            self.element(obj, ci, &items);
        }
    }

    /// The values of element `c` in `obj`: (node, JSON key, array index).
    fn gather(&self, obj: NodeId, c: &ProfileNode) -> Vec<Item<'a>> {
        let doc = self.doc;
        let mut out = Vec::new();
        for m in doc.members(obj) {
            let key = doc.raw_key(m);
            let hit = key == c.name
                || (c.choice
                    && key
                        .strip_prefix(c.name.as_str())
                        .is_some_and(|rest| rest.starts_with(|ch: char| ch.is_ascii_uppercase())));
            if !hit {
                continue;
            }
            match doc.kind(m.value) {
                Kind::Array => {
                    for (i, &v) in doc.elements(m.value).iter().enumerate() {
                        if doc.kind(v) != Kind::Null {
                            out.push(Item {
                                node: v,
                                key,
                                index: Some(i as u32),
                            });
                        }
                    }
                }
                _ => out.push(Item {
                    node: m.value,
                    key,
                    index: None,
                }),
            }
        }
        out
    }

    /// Cardinality, types and slicing of one element, then each value.
    fn element(&mut self, parent: NodeId, idx: NodeIdx, items: &[Item<'a>]) {
        let set = self.set();
        let c = set.node(idx);
        if c.constrained {
            self.cardinality(parent, c, items.len() as u32, &c.name);
            self.choice_types(c, items);
        }
        if let Some(sl) = &c.slicing {
            slicing::check(self, parent, c, sl, items);
        }
        for it in items {
            self.enter(it);
            self.item(it.node, idx);
            self.leave();
        }
    }

    fn enter(&mut self, it: &Item<'_>) {
        let seg = match it.index {
            Some(i) => format!(".{}[{i}]", it.key),
            None => format!(".{}", it.key),
        };
        self.path.push(seg);
    }

    fn leave(&mut self) {
        self.path.pop();
    }

    fn cardinality(&mut self, parent: NodeId, c: &ProfileNode, count: u32, name: &str) {
        if count < c.min {
            let message = format!(
                "{}: minimum required = {}, but only found {count}",
                c.id, c.min
            );
            self.report(
                Severity::Error,
                IssueCode::Required,
                rules::CARDINALITY_MIN,
                parent,
                Some(name),
                message,
            );
        } else if c.max != UNBOUNDED && count > c.max {
            let message = format!("{}: at most {} allowed, but found {count}", c.id, c.max);
            self.report(
                Severity::Error,
                IssueCode::Structure,
                rules::CARDINALITY_MAX,
                parent,
                Some(name),
                message,
            );
        }
    }

    /// A choice element the profile restricts to fewer types.
    fn choice_types(&mut self, c: &ProfileNode, items: &[Item<'_>]) {
        if !c.choice || c.types.is_empty() {
            return;
        }
        for it in items {
            let suffix = &it.key[c.name.len()..];
            if !c.types.iter().any(|t| upper_first_eq(&t.code, suffix)) {
                let allowed: Vec<&str> = c.types.iter().map(|t| t.code.as_str()).collect();
                let message = format!(
                    "{}: the type {suffix} is not allowed here (allowed: {})",
                    c.id,
                    allowed.join(", ")
                );
                self.report(
                    Severity::Error,
                    IssueCode::Structure,
                    rules::PROFILE_TYPE,
                    it.node,
                    Some(it.key),
                    message,
                );
            }
        }
    }

    /// The value must conform to the profile of its type (extensions, data
    /// type profiles); with several, to at least one.
    fn type_profiles(&mut self, node: NodeId, p: &'a ProfileNode) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        let set = self.set();
        let urls: Vec<&'a String> = p.types.iter().flat_map(|t| t.profiles.iter()).collect();
        let plans: Vec<&'a ProfilePlan> = urls.iter().filter_map(|u| set.get(u)).collect();
        if plans.is_empty() {
            return;
        }
        let mut best: Option<Vec<Issue>> = None;
        for plan in plans {
            let issues = self.trial(node, plan);
            let errors = issues.iter().filter(|i| i.severity.is_error()).count();
            if errors == 0 {
                best = Some(issues);
                break;
            }
            if best.is_none() {
                best = Some(issues);
            }
        }
        self.issues.extend(best.unwrap_or_default());
    }

    /// Checks `node` against another profile, returning what it found.
    pub(crate) fn trial(&mut self, node: NodeId, plan: &'a ProfilePlan) -> Vec<Issue> {
        let mut sub = Checker {
            plans: self.plans,
            values: self.values,
            doc: self.doc,
            profile: plan,
            path: self.path.clone(),
            depth: self.depth + 1,
            inv: self.inv,
            resources: self.resources.clone(),
            issues: Vec::new(),
        };
        sub.check(node);
        sub.issues
    }

    // ---- terminology, limits, references -----------------------------------

    fn binding(&mut self, node: NodeId, p: &ProfileNode) {
        let Some(b) = &p.binding else { return };
        let Some(set) = b.code_set.map(|i| &self.plans.code_sets[i as usize]) else {
            return;
        };
        let codes = codes_of(self.doc, node);
        if codes.is_empty() {
            return;
        }
        let mut any_in = false;
        let mut any_unknown = false;
        for (system, code) in &codes {
            match system {
                Some(s) => match set.contains_coding(s, code) {
                    Membership::In => any_in = true,
                    Membership::Unknown => any_unknown = true,
                    Membership::NotIn => {}
                },
                None => match set.contains_code(code) {
                    Membership::In => any_in = true,
                    Membership::Unknown => any_unknown = true,
                    Membership::NotIn => {}
                },
            }
        }
        if any_in || any_unknown {
            return;
        }
        let shown: Vec<String> = codes
            .iter()
            .map(|(s, c)| match s {
                Some(s) => format!("{s}#{c}"),
                None => c.clone(),
            })
            .collect();
        let (severity, rule, how) = match b.strength {
            Strength::Required => (Severity::Error, rules::BINDING_REQUIRED, "required"),
            Strength::Extensible => (Severity::Warning, rules::BINDING_EXTENSIBLE, "extensible"),
            Strength::Preferred => (Severity::Information, rules::BINDING_PREFERRED, "preferred"),
            Strength::Example => (Severity::Information, rules::BINDING_PREFERRED, "example"),
        };
        let message = format!(
            "{}: {} is not in the value set {} ({how} binding)",
            p.id,
            shown.join(", "),
            b.value_set
        );
        self.report(severity, IssueCode::CodeInvalid, rule, node, None, message);
    }

    fn limits(&mut self, node: NodeId, p: &ProfileNode) {
        let doc = self.doc;
        if let (Some(max), Some(s)) = (p.max_length, doc.str(node)) {
            let len = s.chars().count() as u32;
            if len > max {
                let message = format!(
                    "{}: the value is {len} characters long, more than the {max} allowed",
                    p.id
                );
                self.report(
                    Severity::Error,
                    IssueCode::Value,
                    rules::PROFILE_MAX_LENGTH,
                    node,
                    None,
                    message,
                );
            }
        }
        for (limit, below) in [(p.min_value, true), (p.max_value, false)] {
            let Some(i) = limit else { continue };
            let bound = self.values.get(i);
            if let Some(ord) = compare(doc, node, bound) {
                let bad = if below { ord.is_lt() } else { ord.is_gt() };
                if bad {
                    let word = if below {
                        "less than the minimum"
                    } else {
                        "more than the maximum"
                    };
                    let message = format!("{}: the value is {word} {}", p.id, short(bound));
                    self.report(
                        Severity::Error,
                        IssueCode::Value,
                        rules::PROFILE_VALUE_LIMIT,
                        node,
                        None,
                        message,
                    );
                }
            }
        }
    }

    /// A literal reference to a resource type the profile does not allow.
    fn reference_target(&mut self, node: NodeId, p: &ProfileNode) {
        let allowed: Vec<&String> = p
            .types
            .iter()
            .filter(|t| t.code == "Reference")
            .flat_map(|t| t.target_types.iter())
            .collect();
        if allowed.is_empty() {
            return;
        }
        let Some(r) = self.doc.get_str(node, "reference") else {
            return;
        };
        let Some(ty) = literal_type(&r, self.plans) else {
            return;
        };
        if !allowed.iter().any(|a| **a == ty) {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            let message = format!(
                "{}: the reference points to a {ty}, but this profile allows only {}",
                p.id,
                names.join(", ")
            );
            let at = self.doc.get(node, "reference").unwrap_or(node);
            self.report(
                Severity::Error,
                IssueCode::Structure,
                rules::REFERENCE_TARGET,
                at,
                Some("reference"),
                message,
            );
        }
    }
}

/// One value of an element.
#[derive(Clone, Copy)]
pub(crate) struct Item<'a> {
    pub node: NodeId,
    pub key: &'a str,
    pub index: Option<u32>,
}

/// The (system, code) pairs of a coded value: a code, Coding, Quantity or
/// CodeableConcept.
pub(crate) fn codes_of(doc: &Document<'_>, node: NodeId) -> Vec<(Option<String>, String)> {
    match doc.kind(node) {
        Kind::String => doc
            .str(node)
            .map(|c| vec![(None, c.into_owned())])
            .unwrap_or_default(),
        Kind::Object => {
            if let Some(codings) = doc.get(node, "coding") {
                return doc
                    .elements(codings)
                    .iter()
                    .flat_map(|&c| codes_of(doc, c))
                    .collect();
            }
            match doc.get_str(node, "code") {
                Some(code) => vec![(
                    doc.get_str(node, "system").map(|s| s.into_owned()),
                    code.into_owned(),
                )],
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// Orders a number or a date-like string against a bound of the same kind.
fn compare(doc: &Document<'_>, node: NodeId, bound: &Value) -> Option<std::cmp::Ordering> {
    match (doc.kind(node), bound) {
        (Kind::Number, Value::Number(b)) => doc
            .raw(node)?
            .parse::<f64>()
            .ok()?
            .partial_cmp(&b.as_f64()?),
        (Kind::String, Value::String(b)) => {
            let v = doc.str(node)?;
            // Dates and times of the same precision compare as text.
            (v.len() == b.len()).then(|| v.as_ref().cmp(b.as_str()))
        }
        (Kind::Object, Value::Object(_)) => {
            let v = doc.get(node, "value")?;
            compare(doc, v, bound.get("value")?)
        }
        _ => None,
    }
}

/// The resource type of a relative or absolute literal reference.
fn literal_type(r: &str, plans: &Plans) -> Option<String> {
    let parsed = crate::reference::parse(r).ok()?;
    let ty = parsed.resource()?.resource_type.as_ref();
    plans.is_resource_type(ty).then(|| ty.to_string())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

/// `dateTime` matches `DateTime`: a type code against a JSON name suffix.
pub(crate) fn upper_first_eq(code: &str, suffix: &str) -> bool {
    let (mut c, mut s) = (code.chars(), suffix.chars());
    match (c.next(), s.next()) {
        (Some(a), Some(b)) => a.to_ascii_uppercase() == b && c.as_str() == s.as_str(),
        _ => false,
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
