//! Validation of an instance against a profile (a compiled constraint
//! tree, see [`crate::plan::profile`]), after the base walk has checked its
//! structure: cardinality and types the profile tightens, fixed and pattern
//! values, bindings of every strength, limits, slicing, and the profiles of
//! element types (extensions, data type profiles).

mod invariants;
pub(crate) use invariants::focus_types;
mod limits;
mod matching;
mod slicing;

use crate::finding::{rules, IssueCode, Severity};
use crate::invariants::Invariants;
use crate::plan::profile::{NodeIdx, ProfileNode, ProfilePlan, ProfileSet};
use crate::plan::{ElementPlan, ElementType, Plans, TypeId};
use crate::rule_families::{bindings, cardinality, references, Report};
use crate::walk::{render_path, Seg};
use crate::ProfileSelection;
use conform_json::{Document, Kind, NodeId};
use conform_outcome::validate::{ElementPopulation, ProfilePopulation};
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

    pub(crate) fn get(&self, i: u32) -> &Value {
        &self.0[i as usize]
    }
}

/// A finding of this check, placed by the walker (paths relative to the
/// value the check started at).
pub(crate) type Issue = crate::finding::LocalIssue;

/// How deep profiles may nest (a type profile inside a slice inside...),
/// against definitions that refer to themselves.
const MAX_DEPTH: usize = 24;

/// Whether a value conforms to a profile, as a trial found, kept for the
/// document: a resource many references lead to (a Bundle's Patient) is
/// tried against a profile once, and a cycle of references ends where it
/// began (a value being tried is taken to conform meanwhile, as the
/// reference returns the findings it has so far).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conformance {
    Trying,
    Conforms,
    Fails,
}

/// [`Conformance`] by value and profile (the plan's address).
pub(crate) type Conformances = rustc_hash::FxHashMap<(NodeId, usize), Conformance>;

pub(crate) struct Checker<'a> {
    plans: &'a Plans,
    values: &'a Values,
    doc: &'a Document<'a>,
    /// The profile whose constraints are being applied, for messages.
    profile: &'a ProfilePlan,
    /// Where the check is, from the value it started at; rendered only
    /// when a finding is reported (formatting each step as it was entered
    /// took 2% of a run over conformance resources).
    path: Vec<Step<'a>>,
    depth: usize,
    /// Evaluates the profile's own invariants; `None` skips them.
    inv: Option<Invariants<'a>>,
    /// The enclosing resources, outermost first, for the invariants:
    /// inline, as a checker is made for each extension the walk meets.
    resources: smallvec::SmallVec<[NodeId; 4]>,
    /// Set when this check runs beside the base walk (which profiles it
    /// applies itself): what the walk decides is left to it. Unset when a
    /// profile is checked on its own (`conformsTo()`, slice matching by
    /// profile), where every constraint counts.
    beside_walk: Option<&'a ProfileSelection>,
    /// Check the type a literal reference names when it resolves nowhere
    /// here ([`crate::Options::assume_valid_rest_references`]).
    rest_reference_types: bool,
    /// The Bundle the value is in, and the entry it is in, for where a
    /// reference resolves (aggregation modes).
    bundle: Option<(&'a crate::rule_families::bundle::BundleIndex, Option<usize>)>,
    /// Report elements present that the profile does not mark mustSupport
    /// ([`crate::Options::must_support_hints`]).
    must_support_hints: bool,
    /// The resource this check was started on, for `#id` references to
    /// its contained resources.
    root_resource: Option<NodeId>,
    /// Inside an element already reported as not mustSupport: its parts
    /// are not reported again.
    unsupported_depth: u32,
    /// The mustSupport elements (profile nodes) this instance populates,
    /// when asked to record them ([`Checker::record_must_support`]);
    /// trials of other profiles never record.
    must_support_seen: Option<rustc_hash::FxHashSet<NodeIdx>>,
    /// What trials of this document found so far: lent to each trial and
    /// taken back, and kept by the walk between checks.
    pub(crate) conformances: Conformances,
    /// Fetches the resources references name outside the document, to try
    /// target profiles on them (the `check-valid` reference policy).
    external: Option<&'a crate::fetch::External>,
    /// The fetched resources being tried against profiles, outermost
    /// first (reference, profile plan's address): met again, a cycle of
    /// references is taken to conform where it closes, as [`Conformance::Trying`].
    fetch_trail: Vec<(String, usize)>,
    /// How fetched resources are parsed (the run's limits).
    fetch_limits: conform_json::Limits,
    /// Some answer of this check took a fetched resource on the trail to
    /// conform: what it found holds only while that check runs, so it is
    /// not kept beyond it.
    assumed: bool,
    /// `bundled` aggregation holds outside a Bundle too
    /// ([`crate::Options::enforce_aggregation_outside_bundles`]).
    bundled_outside_bundles: bool,
    pub(crate) issues: Vec<Issue>,
}

/// Where a value sits in the base definitions, as the walk saw it.
#[derive(Clone, Copy)]
pub(crate) enum Base<'a> {
    /// The value the profile is applied to: of the profile's type.
    Root,
    /// A value of this element, as the type of this index.
    Element(&'a ElementPlan, u8),
    /// Not followed (a path the base plans do not have).
    Unknown,
}

impl<'a> Base<'a> {
    fn element(self) -> Option<&'a ElementPlan> {
        match self {
            Base::Element(el, _) => Some(el),
            _ => None,
        }
    }

    fn element_type(self) -> Option<&'a ElementType> {
        match self {
            Base::Element(el, choice) => el.types.get(choice as usize),
            _ => None,
        }
    }
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
            // the depth of most profiled values, so the path grows once
            path: Vec::with_capacity(8),
            depth: 0,
            inv: None,
            resources: smallvec::SmallVec::new(),
            beside_walk: None,
            rest_reference_types: true,
            bundle: None,
            must_support_hints: false,
            root_resource: None,
            unsupported_depth: 0,
            must_support_seen: None,
            conformances: Conformances::default(),
            external: None,
            fetch_trail: Vec::new(),
            fetch_limits: conform_json::Limits::default(),
            assumed: false,
            bundled_outside_bundles: true,
            issues: Vec::new(),
        }
    }

    /// Records which mustSupport elements the instance populates, for
    /// [`Checker::must_support_population`].
    pub(crate) fn record_must_support(mut self, on: bool) -> Self {
        self.must_support_seen = on.then(Default::default);
        self
    }

    /// After [`Checker::check`], when recording: for every element of the
    /// profile's snapshot marked mustSupport (slices and their parts
    /// included, in snapshot order), whether this instance populated it.
    /// An element is populated when the instance has a value for it at
    /// the place the profile defines it, so a mustSupport element under an
    /// absent optional parent (or in a slice no value matched) is not.
    pub(crate) fn must_support_population(&self) -> Option<ProfilePopulation> {
        let seen = self.must_support_seen.as_ref()?;
        let profile = self.profile;
        let elements = must_support_nodes(profile)
            .into_iter()
            .map(|i| ElementPopulation {
                id: profile.node(i).id.clone(),
                populated: usize::from(seen.contains(&i)),
            })
            .collect();
        Some(ProfilePopulation {
            profile: self.profile.url.clone(),
            name: self.profile.name.clone(),
            instances: 1,
            elements,
        })
    }

    /// The value is inside entry `entry` of this Bundle.
    pub(crate) fn in_bundle(
        mut self,
        bundle: Option<(&'a crate::rule_families::bundle::BundleIndex, Option<usize>)>,
    ) -> Self {
        self.bundle = bundle;
        self
    }

    /// Tries target profiles on the resources `external` fetches for the
    /// references that resolve nowhere here.
    pub(crate) fn fetching(
        mut self,
        external: Option<&'a crate::fetch::External>,
        limits: conform_json::Limits,
    ) -> Self {
        self.external = external;
        self.fetch_limits = limits;
        self
    }

    /// Whether a profile's `bundled` aggregation holds for a value outside
    /// any Bundle.
    pub(crate) fn bundled_outside_bundles(mut self, enforce: bool) -> Self {
        self.bundled_outside_bundles = enforce;
        self
    }

    /// The value being checked is the document's own resource, which a
    /// fetched resource may name (`Type/id`) again: met there while this
    /// check runs, it is taken to conform, as the reference seeds its
    /// fetch cache with the resource it validates.
    pub(crate) fn document_resource(mut self, node: NodeId) -> Self {
        let doc = self.doc;
        if let (Some(ty), Some(id)) = (doc.get_str(node, "resourceType"), doc.get_str(node, "id")) {
            let key = (
                format!("{ty}/{id}"),
                std::ptr::from_ref(self.profile) as usize,
            );
            self.fetch_trail.push(key);
        }
        self
    }

    /// Whether the type a literal reference names is checked when the
    /// reference resolves nowhere here.
    pub(crate) fn rest_reference_types(mut self, check: bool) -> Self {
        self.rest_reference_types = check;
        self
    }

    /// Reports (as information) the elements present that the profile
    /// does not mark mustSupport.
    pub(crate) fn must_support_hints(mut self, on: bool) -> Self {
        self.must_support_hints = on;
        self
    }

    /// Runs beside the base walk, which applies the profiles of
    /// `selection` to each resource itself.
    pub(crate) fn beside_walk(mut self, selection: &'a ProfileSelection) -> Self {
        self.beside_walk = Some(selection);
        self
    }

    /// Also evaluates the invariants the profiles add, for a value inside
    /// `resources` (outermost first).
    pub(crate) fn with_invariants(mut self, inv: Invariants<'a>, resources: &[NodeId]) -> Self {
        self.inv = Some(inv);
        self.resources = smallvec::SmallVec::from_slice(resources);
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
        let steps = self.path.iter().flat_map(|step| {
            std::iter::once(Seg::Name(step.key))
                .chain(step.of_type.map(Seg::OfType))
                .chain(step.index.map(Seg::Index))
        });
        let message = format!("{message} (profile {})", self.profile.name);
        self.issues.push(Issue {
            node,
            path: render_path(steps, extra),
            severity,
            code,
            rule: rule.into(),
            message,
            ask: None,
        });
    }

    /// Checks a resource (or any value) against the profile's root element.
    pub(crate) fn check(&mut self, node: NodeId) {
        // A resource profile applied to another resource type (a slice
        // tried against the wrong entry) does not conform at all.
        let actual = self.doc.get_str(node, "resourceType");
        let is_resource = actual.is_some();
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
        if is_resource {
            self.root_resource = Some(node);
        }
        let root = self.profile.root;
        self.item(node, root, Base::Root);
    }

    /// The base type of a value: a resource's own type, the profile's type
    /// at the root, else the type of the element holding it.
    fn base_type(&self, node: NodeId, base: Base<'_>) -> Option<TypeId> {
        if let Some(rt) = self.doc.get_str(node, "resourceType") {
            return self.plans.resource(&rt);
        }
        match base {
            Base::Root => self.plans.by_name.get(&self.profile.type_name).copied(),
            Base::Element(..) => base.element_type().map(|t| t.plan),
            Base::Unknown => None,
        }
    }

    /// Applies one profile element to one value.
    fn item(&mut self, node: NodeId, idx: NodeIdx, base: Base<'a>) {
        let set = self.profile;
        let p = set.node(idx);
        let doc = self.doc;
        if p.must_support {
            if let Some(seen) = &mut self.must_support_seen {
                seen.insert(idx);
            }
        }
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
            self.binding(node, p, base);
            self.reference_target(node, p, base);
            self.reference_target_profiles(node, p);
            self.reference_aggregation(node, p);
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
            let base_type = self.base_type(node, base);
            self.children(node, p, base_type);
            if nested {
                self.resources.pop();
            }
        }
        if !p.constraints.is_empty() {
            self.invariants(node, p);
        }
    }

    /// Walks the constrained children of an object.
    fn children(&mut self, obj: NodeId, p: &'a ProfileNode, base_type: Option<TypeId>) {
        let profile = self.profile;
        for &ci in &p.children {
            let c = profile.node(ci);
            let items = self.gather(obj, c, base_type);
            let base = base_type.and_then(|t| base_element(self.plans, t, &c.name));
            self.element(obj, ci, &items, base);
        }
    }

    /// The values of element `c` in `obj`: (node, JSON key, array index,
    /// place in the base type `base_type` of `obj`).
    fn gather(&self, obj: NodeId, c: &ProfileNode, base_type: Option<TypeId>) -> Items<'a> {
        let doc = self.doc;
        let plans = self.plans;
        let mut out = Items::new();
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
            let base = base_type
                .and_then(|t| {
                    let plan = plans.get(t);
                    let k = plan.keys.get(key)?;
                    Some(Base::Element(&plan.elements[k.element as usize], k.choice))
                })
                .unwrap_or(Base::Unknown);
            match doc.kind(m.value) {
                Kind::Array => {
                    for (i, &v) in doc.elements(m.value).iter().enumerate() {
                        if doc.kind(v) != Kind::Null {
                            out.push(Item {
                                node: v,
                                key,
                                index: Some(i as u32),
                                base,
                            });
                        }
                    }
                }
                _ => out.push(Item {
                    node: m.value,
                    key,
                    index: None,
                    base,
                }),
            }
        }
        out
    }

    /// Cardinality, types and slicing of one element, then each value.
    fn element(
        &mut self,
        parent: NodeId,
        idx: NodeIdx,
        items: &[Item<'a>],
        base: Option<&'a ElementPlan>,
    ) {
        let set = self.profile;
        let c = set.node(idx);
        if c.constrained {
            self.cardinality(parent, c, items.len() as u32, base);
            self.choice_types(c, items);
        }
        if let Some(sl) = &c.slicing {
            slicing::check(self, parent, c, sl, items);
        }
        // As the reference's -hintAboutNonMustSupport: every element
        // present that is not mustSupport, fixed or patterned, except the
        // resource's own id and text, and nothing inside one reported.
        let unsupported = self.must_support_hints
            && self.unsupported_depth == 0
            && !c.must_support
            && c.fixed.is_none()
            && c.pattern.is_none()
            && !(self.path.is_empty() && matches!(c.name.as_str(), "id" | "text"));
        if unsupported {
            for it in items {
                self.enter(it);
                let message = format!(
                    "The element {} is not marked mustSupport: receivers may ignore it",
                    it.key
                );
                self.report(
                    Severity::Information,
                    IssueCode::Informational,
                    rules::MUST_SUPPORT,
                    it.node,
                    None,
                    message,
                );
                self.leave();
            }
            self.unsupported_depth += 1;
        }
        for it in items {
            self.enter(it);
            self.item(it.node, idx, it.base);
            self.leave();
        }
        if unsupported {
            self.unsupported_depth -= 1;
        }
    }

    fn enter(&mut self, it: &Item<'a>) {
        // A choice value is written as the walk writes it, in FHIRPath:
        // `value.ofType(Quantity)`, not `valueQuantity`.
        let (key, of_type) = match it.base {
            Base::Element(el, choice) if el.choice => (
                el.name.as_str(),
                el.types.get(choice as usize).map(|t| t.code.as_str()),
            ),
            _ => (it.key, None),
        };
        self.path.push(Step {
            key,
            of_type,
            index: it.index,
        });
    }

    fn leave(&mut self) {
        self.path.pop();
    }

    /// The profile's bounds on an element, where they say more than the
    /// base walk has already said about them.
    fn cardinality(
        &mut self,
        parent: NodeId,
        c: &ProfileNode,
        count: u32,
        base: Option<&ElementPlan>,
    ) {
        let beside_walk = self.beside_walk.is_some();
        let name = Some(c.name.as_str());
        let twin = || {
            self.doc.members(parent).iter().any(|m| {
                let key = self.doc.raw_key(m);
                key.strip_prefix('_')
                    .and_then(|k| k.strip_prefix(c.name.as_str()))
                    .is_some_and(|rest| {
                        rest.is_empty()
                            || (c.choice && rest.starts_with(|ch: char| ch.is_ascii_uppercase()))
                    })
            })
        };
        if count < c.min {
            if !(beside_walk && cardinality::base_decides_min(base, count, twin())) {
                cardinality::min(
                    self,
                    rules::CARDINALITY_MIN,
                    parent,
                    name,
                    &c.id,
                    count,
                    c.min,
                );
            }
        } else if !(beside_walk && cardinality::base_decides_max(base, count)) {
            cardinality::max(
                self,
                rules::CARDINALITY_MAX,
                parent,
                name,
                &c.id,
                count,
                c.max,
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
        // Most elements name no type profile: nothing to gather then.
        if self.depth >= MAX_DEPTH || p.types.iter().all(|t| t.profiles.is_empty()) {
            return;
        }
        let set = self.set();
        let urls: Vec<&'a String> = p.types.iter().flat_map(|t| t.profiles.iter()).collect();
        // The walk checks an extension against its own definition, and a
        // nested resource against the profiles it declares: one of these
        // decided there already.
        if let Some(selection) = self.beside_walk {
            if urls
                .iter()
                .any(|u| crate::walk::walk_applies(selection, self.doc, node, u))
            {
                return;
            }
        }
        // A data type profile the profile names must be loaded, as in the
        // reference (`Validation_VAL_Unknown_Profile`): the value cannot be
        // judged without it. Extensions are the walk's to judge, by url.
        for t in p.types.iter().filter(|t| t.code != "Extension") {
            for url in t.profiles.iter() {
                if set.get(url).is_some() || !self.is_undefined(url) {
                    continue;
                }
                self.report(
                Severity::Error,
                IssueCode::Structure,
                rules::PROFILE_UNKNOWN,
                node,
                None,
                format!("Unknown profile {url}: the profile names it as this element's type profile, and no loaded package defines it"),
            );
            }
        }
        let plans: Vec<&'a ProfilePlan> = urls.iter().filter_map(|u| set.get(u)).collect();
        if let [plan] = plans[..] {
            let issues = self.trial(node, plan);
            self.issues.extend(issues);
            return;
        }
        // Several: the value must conform to one (the first that does
        // speaks for it); conforming to none, that is an error of its own
        // (`Validation_VAL_Profile_NoMatch`), and each profile's findings
        // say why it failed, as in the reference.
        let mut failed = Vec::new();
        for &plan in &plans {
            let issues = self.trial(node, plan);
            if issues.iter().all(|i| !i.severity.is_error()) {
                self.issues.extend(issues);
                return;
            }
            failed.push(issues);
        }
        if failed.is_empty() {
            return;
        }
        let mut names: Vec<&str> = plans.iter().map(|p| p.url.as_str()).collect();
        names.sort_unstable();
        let message = format!(
            "The value conforms to none of the profiles allowed for it here ({})",
            names.join(", ")
        );
        self.report(
            Severity::Error,
            IssueCode::Structure,
            rules::PROFILE_NO_MATCH,
            node,
            None,
            message,
        );
        self.issues.extend(failed.into_iter().flatten());
    }

    /// Whether no loaded package defines `url` (a profile that failed to
    /// compile is defined, and reported where it is asked for).
    fn is_undefined(&self, url: &str) -> bool {
        let bare = url.split('|').next().unwrap_or(url);
        !self.plans.defined.contains(bare) && !self.plans.profiles.failed.contains_key(bare)
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
            beside_walk: self.beside_walk,
            rest_reference_types: self.rest_reference_types,
            bundle: self.bundle,
            // a trial decides conformance; its hints are not the reader's
            must_support_hints: false,
            root_resource: None,
            unsupported_depth: 0,
            must_support_seen: None,
            conformances: std::mem::take(&mut self.conformances),
            external: self.external,
            fetch_trail: self.fetch_trail.clone(),
            fetch_limits: self.fetch_limits,
            assumed: false,
            bundled_outside_bundles: self.bundled_outside_bundles,
            issues: Vec::new(),
        };
        sub.check(node);
        self.assumed |= sub.assumed;
        self.conformances = std::mem::take(&mut sub.conformances);
        sub.issues
    }

    /// Whether `node` conforms to another profile, on its own (every
    /// constraint counts, whatever the walk reports): for slicing by profile.
    pub(crate) fn conforms(&mut self, node: NodeId, plan: &'a ProfilePlan) -> bool {
        let key = (node, std::ptr::from_ref(plan) as usize);
        match self.conformances.get(&key) {
            Some(Conformance::Trying) => return true,
            Some(known) => return *known == Conformance::Conforms,
            None => {}
        }
        self.conformances.insert(key, Conformance::Trying);
        let beside_walk = self.beside_walk.take();
        let issues = self.trial(node, plan);
        self.beside_walk = beside_walk;
        let conforms = issues.iter().all(|i| !i.severity.is_error());
        let found = if conforms {
            Conformance::Conforms
        } else {
            Conformance::Fails
        };
        self.conformances.insert(key, found);
        conforms
    }

    // ---- terminology, limits, references -----------------------------------

    /// The profile's binding of an element, unless it is the required
    /// binding the base walk has already judged.
    fn binding(&mut self, node: NodeId, p: &ProfileNode, base: Base<'_>) {
        let Some(b) = &p.binding else { return };
        if self.beside_walk.is_some() && bindings::base_decides(base.element(), b) {
            return;
        }
        let (plans, doc) = (self.plans, self.doc);
        bindings::check(self, plans, doc, node, b, &p.id);
    }

    /// `type.aggregation`: a reference must lead where the profile says the
    /// resource is kept: inside the resource (`contained`), in the same
    /// Bundle (`bundled`), or anywhere else (`referenced`). A reference that
    /// resolves nowhere here counts as `referenced`.
    fn reference_aggregation(&mut self, node: NodeId, p: &ProfileNode) {
        let Some(modes) = p
            .types
            .iter()
            .find(|t| t.code == "Reference" && !t.aggregation.is_empty())
            .map(|t| &t.aggregation)
        else {
            return;
        };
        let Some(r) = self.doc.get_str(node, "reference") else {
            return;
        };
        let (kind, allowed) = if r.starts_with('#') {
            ("contained", modes.iter().any(|m| m == "contained"))
        } else {
            let bundled = self.bundle.is_some_and(|(index, from)| {
                matches!(
                    index.resolve(&r, from),
                    crate::rule_families::bundle::Resolution::Entry(_)
                )
            });
            if bundled {
                (
                    "bundled",
                    modes.iter().any(|m| m == "bundled" || m == "referenced"),
                )
            } else {
                // outside a Bundle, `bundled` can be waived: there is no
                // Bundle to hold the resource
                let waived = self.bundle.is_none() && !self.bundled_outside_bundles;
                (
                    "referenced",
                    modes
                        .iter()
                        .any(|m| m == "referenced" || (waived && m == "bundled")),
                )
            }
        };
        if allowed {
            return;
        }
        let message = format!(
            "The reference '{r}' is {}, but {} says the resource must be {}",
            match kind {
                "contained" => "to a contained resource",
                "bundled" => "to an entry of the Bundle",
                _ => "not to a contained resource or an entry of the Bundle",
            },
            self.profile.name,
            modes.join(" or ")
        );
        let at = self.doc.get(node, "reference").unwrap_or(node);
        self.report(
            Severity::Error,
            IssueCode::Structure,
            rules::REFERENCE_AGGREGATION,
            at,
            Some("reference"),
            message,
        );
    }

    /// A reference that resolves here (to a contained resource or a Bundle
    /// entry), or that the fetcher finds ([`crate::fetch`]), leads to a
    /// resource that must conform to one of the target profiles of its
    /// type, as the reference checks a resolved reference
    /// (`Reference_REF_CantMatchChoice`). A target profile that is the base
    /// definition of that type asks nothing more; one that is not loaded
    /// leaves the question open. Trials ask too (a slice by profile whose
    /// profile asks its subject's profile, as a document's Composition
    /// does), each value against each profile once ([`Conformance`]).
    fn reference_target_profiles(&mut self, node: NodeId, p: &ProfileNode) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        let has_targets = p
            .types
            .iter()
            .any(|t| t.code == "Reference" && !t.target_profiles.is_empty());
        if !has_targets {
            return;
        }
        // Most references lead outside the resource: settle that first.
        let Some(r) = self.doc.get_str(node, "reference") else {
            return;
        };
        let (conforms, actual, profiles) = if let Some(target) = self.resolve_here(&r, node) {
            let Some(actual) = self.doc.get_str(target, "resourceType") else {
                return;
            };
            let Some(profiles) = self.target_profiles(p, &actual) else {
                return;
            };
            let conforms = profiles.iter().any(|plan| self.conforms(target, plan));
            (conforms, actual.into_owned(), profiles)
        } else if let Some(external) = self.external {
            // what cannot be fetched the walk has reported
            let Ok(Some(fetched)) = external.fetch(&r, self.fetch_limits) else {
                return;
            };
            let Some(profiles) = self.target_profiles(p, &fetched.resource_type) else {
                return;
            };
            let conforms = profiles
                .iter()
                .any(|plan| self.fetched_conforms(external, &r, &fetched.text, plan));
            (conforms, fetched.resource_type.clone(), profiles)
        } else {
            return;
        };
        if conforms {
            return;
        }
        let names: Vec<&str> = profiles.iter().map(|p| p.url.as_str()).collect();
        let message = format!(
            "The reference '{r}' leads to a {actual} that conforms to none of the target profiles allowed here ({})",
            names.join(", ")
        );
        let at = self.doc.get(node, "reference").unwrap_or(node);
        self.report(
            Severity::Error,
            IssueCode::Structure,
            rules::REFERENCE_TARGET_PROFILE,
            at,
            Some("reference"),
            message,
        );
    }

    /// The loaded target profiles of `p`'s Reference types that constrain
    /// `actual`, the type a reference leads to; `None` when one of them is
    /// the base definition of that type (or of any resource) or is not
    /// loaded, so that nothing more can be demanded, or when none
    /// constrains that type.
    fn target_profiles(&self, p: &ProfileNode, actual: &str) -> Option<Vec<&'a ProfilePlan>> {
        let set = self.set();
        let mut profiles = Vec::new();
        let urls = p
            .types
            .iter()
            .filter(|t| t.code == "Reference")
            .flat_map(|t| t.target_profiles.iter());
        for url in urls {
            match set.get(url) {
                Some(plan) if plan.type_name == actual => profiles.push(plan),
                Some(_) => {}
                None => {
                    let core = url.strip_prefix("http://hl7.org/fhir/StructureDefinition/");
                    if core.is_none_or(|t| t == actual || t == "Resource" || t == "DomainResource")
                    {
                        return None;
                    }
                }
            }
        }
        (!profiles.is_empty()).then_some(profiles)
    }

    /// Whether a fetched resource (`text`, which `reference` names)
    /// conforms to `plan`, judged on its own: it has no container or Bundle
    /// here. Answers are kept by the fetcher for the validator's life,
    /// unless they rest on a resource of the trail being taken to conform.
    fn fetched_conforms(
        &mut self,
        external: &'a crate::fetch::External,
        reference: &str,
        text: &str,
        plan: &'a ProfilePlan,
    ) -> bool {
        let key = (reference.to_string(), std::ptr::from_ref(plan) as usize);
        if self.fetch_trail.contains(&key) {
            self.assumed = true;
            return true;
        }
        if let Some(known) = external.known(&key) {
            return known;
        }
        let Ok(doc) = conform_json::parse_with_limits(text.as_bytes(), self.fetch_limits) else {
            return false;
        };
        let root = doc.root();
        let mut sub = Checker::new(self.plans, self.values, &doc, plan)
            .rest_reference_types(self.rest_reference_types)
            .fetching(Some(external), self.fetch_limits)
            .bundled_outside_bundles(self.bundled_outside_bundles);
        if let Some(inv) = self.inv {
            sub = sub.with_invariants(inv, &[root]);
        }
        sub.depth = self.depth + 1;
        sub.fetch_trail = self.fetch_trail.clone();
        sub.fetch_trail.push(key.clone());
        sub.check(root);
        let conforms = sub.issues.iter().all(|i| !i.severity.is_error());
        // Taking a resource on the trail to conform can only have made
        // this one conform: a failure holds whatever the trail.
        if sub.assumed && conforms {
            self.assumed = true;
        } else {
            external.remember(key, conforms);
        }
        conforms
    }

    /// The resource a reference (`r`, at `at`) leads to here: a contained
    /// resource of the resource being checked, or an entry of the enclosing
    /// Bundle, read from the entry the reference is in (found by where it
    /// is, when the check is of the whole Bundle).
    fn resolve_here(&self, r: &str, at: NodeId) -> Option<NodeId> {
        let doc = self.doc;
        if let Some(id) = r.strip_prefix('#') {
            let root = self.root_resource?;
            return doc
                .get(root, "contained")
                .map(|c| doc.elements(c))?
                .iter()
                .copied()
                .find(|&c| doc.get_str(c, "id").as_deref() == Some(id));
        }
        let (index, from) = self.bundle?;
        let from = from.or_else(|| index.entry_at(doc, doc.offset(at)));
        match index.resolve(r, from) {
            crate::rule_families::bundle::Resolution::Entry(i) => index.resource_of(i),
            _ => None,
        }
    }

    /// A literal reference to a resource type the profile does not allow
    /// (and the base definition does: otherwise the walk has said so).
    fn reference_target(&mut self, node: NodeId, p: &ProfileNode, base: Base<'_>) {
        let targets = || p.reference_target_types();
        // Decided before the target names are copied (every reference a
        // profile constrains comes here).
        if targets().next().is_none() || !self.rest_reference_types {
            return;
        }
        let Some(ty) = references::literal_type(self.doc, node, self.plans) else {
            return;
        };
        if self.beside_walk.is_some() && references::base_decides_target(base.element_type(), &ty) {
            return;
        }
        let allowed: Vec<String> = targets().cloned().collect();
        let at = self.doc.get(node, "reference").unwrap_or(node);
        references::target_type(self, at, &ty, &allowed);
    }
}

impl Report for Checker<'_> {
    fn report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &'static str,
        node: NodeId,
        extra: Option<&str>,
        message: String,
    ) {
        Checker::report(self, severity, code, rule, node, extra, message);
    }

    fn ask(
        &mut self,
        node: NodeId,
        extra: Option<&str>,
        mut ask: crate::finding::Ask,
        placeholder: Option<crate::rule_families::Placeholder<'static>>,
    ) {
        // The issue carries the question to the walker; without a
        // placeholder it is not reported, only located.
        ask.reported = placeholder.is_some();
        let (severity, code, rule, message) = placeholder.unwrap_or((
            Severity::Information,
            IssueCode::NotSupported,
            rules::BINDING_NOT_CHECKED,
            String::new(),
        ));
        Checker::report(self, severity, code, rule, node, extra, message);
        if let Some(last) = self.issues.last_mut() {
            last.ask = Some(Box::new(ask));
        }
    }
}

/// One value of an element.
/// One step of [`Checker::path`]: a JSON key, and the index in its array.
#[derive(Clone, Copy)]
struct Step<'a> {
    key: &'a str,
    /// The type of a choice value (`Quantity` of `valueQuantity`).
    of_type: Option<&'a str>,
    index: Option<u32>,
}

/// The values of one element in an object: most elements have one or none.
type Items<'a> = smallvec::SmallVec<[Item<'a>; 2]>;

#[derive(Clone, Copy)]
pub(crate) struct Item<'a> {
    pub node: NodeId,
    pub key: &'a str,
    pub index: Option<u32>,
    pub base: Base<'a>,
}

/// The nodes of a profile marked mustSupport (children, then slices, as
/// the snapshot lists them), its root included.
fn must_support_nodes(profile: &ProfilePlan) -> Vec<NodeIdx> {
    let mut out = Vec::new();
    let mut stack = vec![profile.root];
    while let Some(i) = stack.pop() {
        let n = profile.node(i);
        if n.must_support {
            out.push(i);
        }
        let slices = n.slicing.iter().flat_map(|s| s.slices.iter());
        let mut next: Vec<NodeIdx> = n.children.iter().chain(slices).copied().collect();
        next.reverse();
        stack.extend(next);
    }
    // Node indices follow the snapshot's element order.
    out.sort_unstable();
    out
}

/// The element `name` (without `[x]`) of base type `tid`.
fn base_element<'p>(plans: &'p Plans, tid: TypeId, name: &str) -> Option<&'p ElementPlan> {
    let plan = plans.get(tid);
    match plan.keys.get(name) {
        Some(k) if !k.underscore => Some(&plan.elements[k.element as usize]),
        _ => plan.elements.iter().find(|e| e.name == name),
    }
}

pub(super) fn short(v: &Value) -> String {
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
