//! Evaluating invariants (FHIRPath constraints) with the validator's
//! services behind the FHIR functions: `resolve()` across the Bundle being
//! validated, `memberOf()` against locally expanded value sets,
//! `conformsTo()` against the compiled profiles and `htmlChecks()` with the
//! narrative checker. The base walk and the profile checker both evaluate
//! through here, so an invariant means the same wherever it is attached.

use crate::context::Context;
use crate::fhirpath_model::PlansModel;
use crate::finding::{rules, IssueCode, Severity};
use crate::plan::profile::ProfileSet;
use crate::plan::{Constraint, Plans, Ready, TypeId};
use crate::profile::{Checker, Values};
use crate::reference::Reference;
use crate::terminology::{CodeSet, Membership};
use conform_fhirpath::{Compiled, Expr, Focus, Guard, Item, Model, NodeRef, Value};
use conform_json::{Document, Kind, NodeId};
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Value sets expanded for `memberOf()`, shared by every thread.
pub(crate) type ValueSetCache = RwLock<FxHashMap<String, Arc<CodeSet>>>;

/// One constraint, prepared on first use: `None` when its expression does
/// not parse.
pub(crate) type Slot = OnceLock<Option<Prepared>>;

/// A constraint as one run uses it: its parsed expression and, for each
/// focus type it has met, its compiled check when it has one of the shapes
/// [`conform_fhirpath::compile`] handles, both taken from what the plans
/// made ready ([`make_ready`]). Most constraints meet one type; one on a
/// base type meets all of its descendants (`dom-2` every resource type).
pub(crate) struct Prepared {
    /// Its index in [`Plans::constraints`].
    ci: u32,
    /// What its failure says, worked out on the first one: a Bundle of
    /// resources without narrative fails `dom-6` on most of them.
    failed: OnceLock<String>,
    /// For the first focus type met.
    first: OnceLock<ForType>,
    /// For any other, made when a second type is met.
    others: OnceLock<ByType>,
}

/// Compiled checks by focus type, read without a lock (a lock's count,
/// written by every read from both cores, cost `dom-2` more than its
/// check): an open-addressing table of slots each set once, probed from
/// the type name's hash. Past [`ByType::SLOTS`] types, checks are
/// compiled and not kept.
struct ByType {
    slots: Box<[OnceLock<Box<ForType>>]>,
}

/// A focus type and its compiled check (`None`: it has none), shared with
/// the type's [`TypeChecks`].
type ForType = (Arc<str>, Option<Arc<Compiled>>);

/// The checks of one type's own constraints (its plan lists its bases'
/// too: `dom-*` on each resource type, `ele-1` on each data type), in
/// order, made on the type's first value: the walk reads them in one pass
/// over a short array. An ElementDefinition meets twenty of them, most
/// decided by a member it lacks; each check's guard is kept beside it, so
/// such a check costs a test of the value's key summary, without the
/// look-ups by constraint and by focus type, or reading the check.
pub(crate) type TypeChecks = OnceLock<Box<[TypeCheck]>>;

pub(crate) struct TypeCheck {
    ci: u32,
    guard: Option<Guard>,
    /// `None`: always evaluated.
    compiled: Option<Arc<Compiled>>,
}

impl ByType {
    /// More than the resource types of a release, which `dom-*` meet.
    const SLOTS: usize = 512;

    fn new() -> ByType {
        ByType {
            slots: (0..Self::SLOTS).map(|_| OnceLock::new()).collect(),
        }
    }

    /// `f` of the check compiled for `ty` (by `compile`, once).
    fn with<T>(
        &self,
        ty: &Arc<str>,
        compile: impl Fn() -> Option<Arc<Compiled>>,
        f: impl FnOnce(&Option<Arc<Compiled>>) -> T,
    ) -> T {
        use std::hash::BuildHasher;
        let start = rustc_hash::FxBuildHasher.hash_one(&**ty) as usize;
        for i in 0..Self::SLOTS {
            let slot = &self.slots[(start + i) % Self::SLOTS];
            let (name, compiled) = match slot.get() {
                Some(entry) => &**entry,
                // another thread may fill it first: then read what it put
                None => &**slot.get_or_init(|| Box::new((ty.clone(), compile()))),
            };
            if Arc::ptr_eq(name, ty) || **name == **ty {
                return f(compiled);
            }
        }
        f(&compile())
    }
}

/// Each constraint on a value with its compiled answer, if it has one:
/// in a release build only those that say something (a `false`) or must
/// be evaluated (no answer), as nothing is done with a `true`; a debug
/// build keeps every answer, to compare each with the evaluator's.
#[derive(Default)]
struct Answers(smallvec::SmallVec<[(u32, Option<Option<bool>>); 32]>);

impl Answers {
    fn push(&mut self, ci: u32, answer: Option<Option<bool>>) {
        if cfg!(debug_assertions) || answer != Some(Some(true)) {
            self.0.push((ci, answer));
        }
    }
}

/// What an invariant that did not hold says about one value: a failed
/// constraint, named by its key (error, warning, or information for best
/// practice), or one whose expression could not be evaluated there
/// (information). The walk and the profile checker report these as they are.
pub(crate) struct InvariantIssue<'a> {
    pub(crate) severity: Severity,
    pub(crate) code: IssueCode,
    pub(crate) rule: &'a str,
    pub(crate) message: String,
}

/// Everything needed to evaluate invariants, borrowed from the validator.
#[derive(Clone, Copy)]
pub(crate) struct Invariants<'a> {
    pub(crate) plans: &'a Plans,
    /// Parsed and compiled on first use, from [`Plans::constraints`].
    pub(crate) prepared: &'a [Slot],
    /// Each type's checks, by [`crate::plan::TypeId`], made on first use.
    pub(crate) type_checks: &'a [TypeChecks],
    /// Each type's entry built on first use, so runs without invariants
    /// never pay.
    pub(crate) model: &'a PlansModel,
    pub(crate) context: &'a Context,
    pub(crate) values: &'a Values,
    pub(crate) value_sets: &'a ValueSetCache,
    /// How a failed best-practice constraint is reported.
    pub(crate) best_practice: crate::Level,
    /// Checks compiled during the run, for focus types the plans did not
    /// make ready ([`crate::Validator::checks_compiled_at_run_time`]).
    pub(crate) compiled_at_run_time: &'a AtomicU64,
    /// Steps one evaluation may take ([`Options::max_fhirpath_steps`]).
    ///
    /// [`Options::max_fhirpath_steps`]: crate::Options::max_fhirpath_steps
    pub(crate) max_steps: u64,
}

impl<'a> Invariants<'a> {
    /// Constraint `ci` as this run uses it, set up the first time it is
    /// asked for (`None`: its expression does not parse).
    fn prepared(&self, ci: u32) -> Option<&'a Prepared> {
        self.prepared
            .get(ci as usize)?
            .get_or_init(|| {
                self.ready(ci).expr.as_ref()?;
                Some(Prepared {
                    ci,
                    failed: OnceLock::new(),
                    first: OnceLock::new(),
                    others: OnceLock::new(),
                })
            })
            .as_ref()
    }

    /// What the plans made ready of constraint `ci`.
    fn ready(&self, ci: u32) -> &'a Ready {
        self.plans.constraints[ci as usize].ready.get()
    }

    fn expr(&self, ci: u32) -> Option<&'a Expr> {
        self.ready(ci).expr.as_ref()
    }

    /// FHIRPath type information from the plans.
    pub(crate) fn model(&self) -> &'a PlansModel {
        self.model
    }

    /// The compiled check's answer for constraint `p` on `focus`, of type
    /// `focus_type`: `None` when the expression must be evaluated (no
    /// compiled form for the focus type, or a case the check leaves to the
    /// evaluator).
    fn compiled_truth(
        &self,
        doc: &Document<'_>,
        p: &Prepared,
        focus: &Focus,
        focus_type: &Arc<str>,
        resource: Option<NodeId>,
        root: Option<NodeId>,
    ) -> Option<Option<bool>> {
        self.compiled_for(p, focus_type, |compiled| {
            compiled
                .as_ref()?
                .holds(doc, focus, resource, root, self.max_steps)
                .ok()
        })
    }

    /// `f` of constraint `p`'s check compiled for `focus_type` (`None`: it
    /// has none), compiled on the first use.
    fn compiled_for<T>(
        &self,
        p: &Prepared,
        focus_type: &Arc<str>,
        f: impl FnOnce(&Option<Arc<Compiled>>) -> T,
    ) -> T {
        let ty = &**focus_type;
        let ready = self.ready(p.ci);
        // a focus type the plans did not foresee (a resource inside
        // another, typed by its data) is compiled here, once
        let compile = || match ready.checks.iter().find(|(t, _)| **t == *ty) {
            Some((_, compiled)) => compiled.clone(),
            None => {
                self.compiled_at_run_time.fetch_add(1, Ordering::Relaxed);
                let expr = ready.expr.as_ref().expect("a prepared constraint parses");
                conform_fhirpath::compile(expr, ty, self.model).map(Arc::new)
            }
        };
        let (first_type, compiled) = p.first.get_or_init(|| (focus_type.clone(), compile()));
        // the model hands out one name per type, so this is mostly a
        // pointer compared
        if Arc::ptr_eq(first_type, focus_type) || **first_type == *ty {
            return f(compiled);
        }
        p.others
            .get_or_init(ByType::new)
            .with(focus_type, compile, f)
    }

    /// The checks of type `tid`'s own constraints, made on first use.
    fn type_checks(&self, tid: TypeId) -> &'a [TypeCheck] {
        self.type_checks[tid as usize].get_or_init(|| {
            let ty = self.model.type_name(tid);
            self.plans
                .get(tid)
                .constraints
                .iter()
                .filter_map(|&ci| {
                    let p = self.prepared(ci)?;
                    let compiled = self.compiled_for(p, ty, Clone::clone);
                    Some(TypeCheck {
                        ci,
                        guard: compiled.as_ref().and_then(|c| c.guard()),
                        compiled,
                    })
                })
                .collect()
        })
    }

    /// The walk's invariants on one value, `node` of type `tid`: those of
    /// its element (`element`), then its type's own, as [`Invariants::check`]
    /// evaluates them. `root` is [`root_resource`] of `resources`, which
    /// the caller works out once for the values that share them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_value(
        &self,
        doc: &Document<'_>,
        node: NodeId,
        element: &[u32],
        tid: TypeId,
        resources: &[NodeId],
        root: Option<NodeId>,
        issue: impl FnMut(InvariantIssue<'a>),
    ) {
        let focus_type = self.model.type_name(tid);
        let focus = Focus::new(node);
        let resource = resources.last().copied();
        let mut answers = Answers::default();
        for &ci in element {
            if let Some(p) = self.prepared(ci) {
                let answer = self.compiled_truth(doc, p, &focus, focus_type, resource, root);
                answers.push(ci, answer);
            }
        }
        for check in self.type_checks(tid) {
            let answer = match (&check.guard, &check.compiled) {
                (_, None) => None,
                (Some(guard), _) if let Some(answer) = guard.answer(doc, node, self.max_steps) => {
                    Some(answer)
                }
                // (`holds` tests the guard again: one bit, when its member
                // is there)
                (_, Some(compiled)) => compiled
                    .holds(doc, &focus, resource, root, self.max_steps)
                    .ok(),
            };
            answers.push(check.ci, answer);
        }
        self.settle(doc, node, Some(focus_type), resources, &answers, issue);
    }

    /// Evaluates the constraints `ids` on one value, `node` of type
    /// `focus_type`, and passes on what each one that does not hold says.
    /// `resources` are the enclosing resources, outermost first (for
    /// `%resource`, `%rootResource` and Bundle references). Compiled checks
    /// answer first, sharing what they learn of the value; a FHIRPath
    /// context is set up only when some constraint needs the evaluator.
    /// The type is borrowed: a name cloned for every value is a count both
    /// cores write.
    pub(crate) fn check(
        &self,
        doc: &Document<'_>,
        node: NodeId,
        focus_type: Option<&Arc<str>>,
        resources: &[NodeId],
        ids: impl IntoIterator<Item = u32>,
        issue: impl FnMut(InvariantIssue<'a>),
    ) {
        let mut answers = Answers::default();
        let resource = resources.last().copied();
        let root = root_resource(doc, resources);
        let focus = Focus::new(node);
        for ci in ids {
            let Some(p) = self.prepared(ci) else {
                continue;
            };
            let answer =
                focus_type.and_then(|ty| self.compiled_truth(doc, p, &focus, ty, resource, root));
            answers.push(ci, answer);
        }
        self.settle(doc, node, focus_type, resources, &answers, issue);
    }

    /// Reports what `answers` say of the constraints on `node`, evaluating
    /// those without a compiled answer (all of them in a debug build, to
    /// compare): a FHIRPath context is set up only then.
    fn settle(
        &self,
        doc: &Document<'_>,
        node: NodeId,
        focus_type: Option<&Arc<str>>,
        resources: &[NodeId],
        answers: &Answers,
        mut issue: impl FnMut(InvariantIssue<'a>),
    ) {
        let evaluate = cfg!(debug_assertions) || answers.0.iter().any(|(_, a)| a.is_none());
        let report = |ci: u32,
                      result: Result<Option<bool>, conform_fhirpath::EvalError>,
                      issue: &mut dyn FnMut(InvariantIssue<'a>)| {
            let c = &self.plans.constraints[ci as usize];
            match result {
                Ok(truth) => {
                    if let Some(failure) = (truth == Some(false))
                        .then(|| failure(c, self.best_practice, self.prepared(ci)))
                        .flatten()
                    {
                        issue(failure);
                    }
                }
                Err(e) => issue(not_evaluated(c, &e)),
            }
        };
        if !evaluate {
            // only a `false` says anything
            for &(ci, answer) in &answers.0 {
                if answer == Some(Some(false)) {
                    report(ci, Ok(Some(false)), &mut issue);
                }
            }
            return;
        }
        self.with_context(doc, resources, |ctx| {
            let focus = Item::Node(NodeRef {
                node: Some(node),
                companion: None,
                ty: focus_type.cloned(),
            });
            for &(ci, answer) in &answers.0 {
                let evaluated = || -> Result<Option<bool>, conform_fhirpath::EvalError> {
                    let expr = self.expr(ci).expect("prepared above");
                    let items = conform_fhirpath::evaluate_item(expr, doc, &focus, ctx)?;
                    // what fails is exactly one `false`; anything else is
                    // read as holding
                    Ok(match items.as_slice() {
                        [i] => match conform_fhirpath::item_value(doc, i, ctx) {
                            Some(Value::Boolean(b)) => Some(b),
                            _ => Some(true),
                        },
                        _ => None,
                    })
                };
                let result = match answer {
                    Some(truth) => {
                        if cfg!(debug_assertions) {
                            cross_check(self.plans, ci, truth, evaluated());
                        }
                        Ok(truth)
                    }
                    None => evaluated(),
                };
                report(ci, result, &mut issue);
            }
        })
    }

    /// Whether the constraint `ci` holds on `focus` with `%extension` bound
    /// to `extension` (an extension's context invariant, evaluated on the
    /// element holding it); `None` when it cannot be evaluated.
    pub(crate) fn holds_for_extension(
        &self,
        doc: &Document<'_>,
        focus: NodeRef,
        resources: &[NodeId],
        ci: u32,
        extension: NodeId,
    ) -> Option<bool> {
        let expr = self.expr(ci)?;
        let ext = NodeRef {
            node: Some(extension),
            companion: None,
            ty: Some("Extension".into()),
        };
        let vars = [(
            "extension",
            conform_fhirpath::Items::from_elem(Item::Node(ext), 1),
        )];
        self.with_context_and(doc, resources, vars, |ctx| {
            let items = conform_fhirpath::evaluate_item(expr, doc, &Item::Node(focus), ctx).ok()?;
            match items.as_slice() {
                [i] => match conform_fhirpath::item_value(doc, i, ctx) {
                    Some(Value::Boolean(b)) => Some(b),
                    _ => None,
                },
                [] => Some(false),
                _ => None,
            }
        })
    }

    /// Whether an extension's `fhirpath` context (`Patient.address.where(use
    /// = 'home')`), evaluated on the resource, selects `holder`, the element
    /// holding the extension (a primitive by its value or its `_name`
    /// twin); `None` when the expression cannot be evaluated.
    pub(crate) fn context_selects(
        &self,
        doc: &Document<'_>,
        resources: &[NodeId],
        expression: &str,
        holder: NodeId,
    ) -> Option<bool> {
        let expr = conform_fhirpath::parse(expression).ok()?;
        let &resource = resources.last()?;
        let focus = Item::Node(NodeRef {
            node: Some(resource),
            companion: None,
            ty: doc
                .get_str(resource, "resourceType")
                .map(|t| t.as_ref().into()),
        });
        self.with_context(doc, resources, |ctx| {
            let items = conform_fhirpath::evaluate_item(&expr, doc, &focus, ctx).ok()?;
            Some(items.iter().any(|i| {
                matches!(i, Item::Node(n) if n.node == Some(holder) || n.companion == Some(holder))
            }))
        })
    }

    /// Runs `f` with a FHIRPath context whose FHIR functions are answered
    /// by this validator, inside `resources` (outermost first).
    pub(crate) fn with_context<R>(
        &self,
        doc: &Document<'_>,
        resources: &[NodeId],
        f: impl FnOnce(&conform_fhirpath::Context) -> R,
    ) -> R {
        self.with_context_and(doc, resources, [], f)
    }

    /// As [`Self::with_context`], with `%name` variables.
    fn with_context_and<R, const N: usize>(
        &self,
        doc: &Document<'_>,
        resources: &[NodeId],
        variables: [(&str, conform_fhirpath::Items); N],
        f: impl FnOnce(&conform_fhirpath::Context) -> R,
    ) -> R {
        let resolver = |d: &Document, r: &str| resolve_in_bundles(d, resources, r);
        let member_of = |d: &Document, i: &Item, url: &str| self.member_of(d, i, url);
        let conforms_to = |d: &Document, i: &Item, url: &str| self.conforms_to(d, i, url);
        let html_checks = |d: &Document, i: &Item| html_checks(d, i);
        let mut ctx = conform_fhirpath::Context::with_model(self.model());
        ctx.lenient_as = true; // R4's dom-3 applies as() to many items
        ctx.max_steps = self.max_steps;
        ctx.resource = resources.last().copied();
        ctx.root_resource = root_resource(doc, resources);
        ctx.resolver = Some(&resolver);
        ctx.member_of = Some(&member_of);
        ctx.conforms_to = Some(&conforms_to);
        ctx.html_checks = Some(&html_checks);
        for (name, items) in variables {
            ctx.variables.insert(name.to_string(), items);
        }
        f(&ctx)
    }

    /// `memberOf()`: `None` (empty) when the value set or a code's system
    /// cannot be expanded offline.
    fn member_of(&self, doc: &Document, item: &Item, url: &str) -> Option<bool> {
        let codes = match item {
            Item::Node(NodeRef { node: Some(n), .. }) => codes_of(doc, *n),
            Item::Value(Value::String(s)) => vec![(None, s.clone())],
            _ => return None,
        };
        if codes.is_empty() {
            return None;
        }
        let set = self.value_set(url);
        let mut unknown = false;
        for (system, code) in &codes {
            let m = match system {
                Some(s) => set.contains_coding(s, code),
                None => set.contains_code(code),
            };
            match m {
                Membership::In => return Some(true),
                Membership::Unknown => unknown = true,
                Membership::NotIn => {}
            }
        }
        (!unknown).then_some(false)
    }

    fn value_set(&self, url: &str) -> Arc<CodeSet> {
        if let Some(s) = self
            .value_sets
            .read()
            .ok()
            .and_then(|m| m.get(url).cloned())
        {
            return s;
        }
        let set = Arc::new(self.context.value_set(self.plans, url));
        if let Ok(mut m) = self.value_sets.write() {
            m.insert(url.to_string(), set.clone());
        }
        set
    }

    /// `conformsTo()`: the value against a compiled profile (its structural
    /// constraints, without evaluating that profile's own invariants, so
    /// the question cannot recurse); core type URLs by type.
    fn conforms_to(&self, doc: &Document, item: &Item, url: &str) -> Option<bool> {
        let Item::Node(n) = item else {
            return Some(false);
        };
        let profiles: &ProfileSet = &self.plans.profiles;
        if let Some(plan) = profiles.get(url) {
            let node = n.node?;
            let mut ck = Checker::new(self.plans, self.values, doc, plan);
            ck.check(node);
            return Some(!ck.issues.iter().any(|i| i.severity.is_error()));
        }
        let t = url.strip_prefix("http://hl7.org/fhir/StructureDefinition/")?;
        let ty = n.ty.as_deref()?;
        Some(ty == t || self.model().is_subtype(ty, t))
    }
}

/// Makes every constraint of freshly compiled plans ready to run
/// ([`Ready`]): each expression parsed once, and its check compiled for each
/// focus type the plans give it — the type carrying it (its descendants'
/// plans list it too), each type of an element carrying it, and the type of
/// a profile element's values ([`crate::profile::focus_types`]). This is
/// done with the plans, so a warm run reads the results from the cache and
/// compiles only for a type the plans cannot foresee.
pub(crate) fn make_ready(plans: Plans) -> Plans {
    let plans = Arc::new(plans);
    let model = PlansModel::new(plans.clone());
    let mut focus_types: Vec<Vec<Arc<str>>> = vec![Vec::new(); plans.constraints.len()];
    let mut meet = |ids: &[u32], ty: &Arc<str>| {
        for &ci in ids {
            let types = &mut focus_types[ci as usize];
            if !types.iter().any(|t| t == ty) {
                types.push(ty.clone());
            }
        }
    };
    for (tid, t) in plans.types.iter().enumerate() {
        meet(&t.constraints, model.type_name(tid as TypeId));
        for e in &t.elements {
            for ty in &e.types {
                meet(&e.constraints, model.type_name(ty.plan));
            }
        }
    }
    for profile in &plans.profiles.profiles {
        for (i, node) in profile.nodes.get().iter().enumerate() {
            if node.constraints.is_empty() {
                continue;
            }
            for ty in crate::profile::focus_types(profile, i as u32) {
                meet(&node.constraints, &Arc::from(ty));
            }
        }
    }
    let ready: Vec<Ready> = plans
        .constraints
        .iter()
        .zip(focus_types)
        .map(|(c, types)| {
            let expr = conform_fhirpath::parse(&c.expression).ok();
            let checks = match &expr {
                Some(expr) => types
                    .into_iter()
                    .map(|ty| {
                        let compiled = conform_fhirpath::compile(expr, &ty, &model).map(Arc::new);
                        (ty, compiled)
                    })
                    .collect(),
                None => Vec::new(),
            };
            Ready { expr, checks }
        })
        .collect();
    drop(model);
    let mut plans =
        Arc::into_inner(plans).expect("the model, the plans' only other owner, is gone");
    for (c, ready) in plans.constraints.iter_mut().zip(ready) {
        c.ready = crate::plan::lazy::Lazy::new(ready);
    }
    plans
}

/// An invariant the evaluator could not evaluate: information, or a
/// warning when a resource limit stopped it (the data may be hostile or
/// the limit too low).
fn not_evaluated<'c>(c: &'c Constraint, e: &conform_fhirpath::EvalError) -> InvariantIssue<'c> {
    InvariantIssue {
        severity: if e.limit {
            Severity::Warning
        } else {
            Severity::Information
        },
        code: IssueCode::Processing,
        rule: rules::INVARIANT_NOT_EVALUATED,
        message: if e.limit {
            format!(
                "The invariant {} could not be evaluated here: {e}; raise it with \
                 --max-fhirpath-steps or conform.toml's [validate] max-fhirpath-steps",
                c.key
            )
        } else {
            format!("The invariant {} could not be evaluated here: {e}", c.key)
        },
    }
}

/// Debug builds answer each compiled check with the evaluator too: the two
/// must agree, except where the evaluator stops at its step limit (the
/// two count steps differently, so one may stop where the other does not;
/// a compiled check past its own limit defers and is not compared).
fn cross_check(
    plans: &Plans,
    ci: u32,
    compiled: Option<bool>,
    evaluated: Result<Option<bool>, conform_fhirpath::EvalError>,
) {
    let c = &plans.constraints[ci as usize];
    match evaluated {
        Err(e) if e.limit => {}
        Err(e) => panic!("{}: compiled {compiled:?}, evaluator failed: {e}", c.key),
        Ok(t) => {
            // the evaluator's result is read as the validator reads it: a
            // single `false` fails; so an empty result and `true` agree
            let fails = |t: Option<bool>| t == Some(false);
            assert_eq!(
                fails(compiled),
                fails(t),
                "{} ({}): compiled {compiled:?}, evaluated {t:?}",
                c.key,
                c.expression
            );
        }
    }
}

/// A failed constraint: `error` constraints are errors, `warning` ones
/// warnings, best-practice ones at the level asked for (none when ignored).
fn failure<'c>(
    c: &'c Constraint,
    best_practice: crate::Level,
    prepared: Option<&Prepared>,
) -> Option<InvariantIssue<'c>> {
    use crate::Level;
    let severity = if c.best_practice {
        match best_practice {
            Level::Ignore => return None,
            Level::Hint => Severity::Information,
            Level::Warning => Severity::Warning,
            Level::Error => Severity::Error,
        }
    } else if c.error {
        Severity::Error
    } else {
        Severity::Warning
    };
    Some(InvariantIssue {
        severity,
        code: IssueCode::Invariant,
        rule: &c.key,
        message: {
            let say = || format!("Constraint failed: {}: '{}'", c.key, c.human);
            match prepared {
                Some(p) => p.failed.get_or_init(say).clone(),
                None => say(),
            }
        },
    })
}

/// `htmlChecks()`: the narrative rules on a `div`.
fn html_checks(doc: &Document, item: &Item) -> Option<bool> {
    let Item::Node(NodeRef { node: Some(n), .. }) = item else {
        return None;
    };
    let text = doc.str(*n)?;
    Some(crate::xhtml::check(&text).is_ok())
}

/// `resolve()` of a reference to an entry of an enclosing Bundle: by
/// `fullUrl`, or a relative `Type/id` (optionally with `_history`) by the
/// entry resource's type and id.
fn resolve_in_bundles(doc: &Document, resources: &[NodeId], reference: &str) -> Option<NodeId> {
    let relative = match crate::reference::parse(reference) {
        Ok(Reference::Relative(r)) => Some(r),
        _ => None,
    };
    for &res in resources.iter().rev() {
        if doc.get_str(res, "resourceType").as_deref() != Some("Bundle") {
            continue;
        }
        let Some(entries) = doc
            .get(res, "entry")
            .filter(|e| doc.kind(*e) == Kind::Array)
        else {
            continue;
        };
        for &entry in doc.elements(entries) {
            let Some(resource) = doc.get(entry, "resource") else {
                continue;
            };
            if doc.get_str(entry, "fullUrl").as_deref() == Some(reference) {
                return Some(resource);
            }
            if let Some(r) = &relative {
                if doc.get_str(resource, "resourceType").as_deref() == Some(&r.resource_type)
                    && doc.get_str(resource, "id").as_deref() == Some(&r.id)
                {
                    return Some(resource);
                }
            }
        }
    }
    None
}

/// The (system, code) pairs of a coded value: a code, Coding, Quantity or
/// CodeableConcept.
fn codes_of(doc: &Document<'_>, node: NodeId) -> Vec<(Option<String>, String)> {
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

/// `%rootResource`: the resource that contains `%resource` when that one is
/// contained, else `%resource` itself (FHIR R4 FHIRPath variables). A
/// Bundle's entries are not contained: each is its own root.
pub(crate) fn root_resource(doc: &Document<'_>, resources: &[NodeId]) -> Option<NodeId> {
    let mut i = resources.len().checked_sub(1)?;
    while i > 0 {
        let is_contained = doc
            .get(resources[i - 1], "contained")
            .is_some_and(|c| doc.elements(c).contains(&resources[i]));
        if !is_contained {
            break;
        }
        i -= 1;
    }
    Some(resources[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A check for each type, compiled once while the table has room and
    /// every time past it, always the one of the type asked for.
    #[test]
    fn checks_by_type_are_compiled_once_a_type_and_found_by_name() {
        // compiles for any focus type
        let expr = conform_fhirpath::parse("$this.exists()").expect("parses");
        let model = conform_fhirpath::BuiltinModel;
        let table = ByType::new();
        let compiled = AtomicUsize::new(0);
        let names: Vec<Arc<str>> = (0..ByType::SLOTS + 50)
            .map(|i| Arc::from(format!("T{i}").as_str()))
            .collect();
        for round in 0..2 {
            for name in &names {
                let compile = || {
                    compiled.fetch_add(1, Ordering::Relaxed);
                    conform_fhirpath::compile(&expr, name, &model).map(Arc::new)
                };
                // an equal name in another allocation finds the same slot
                let asked: Arc<str> = if round == 0 {
                    name.clone()
                } else {
                    Arc::from(&**name)
                };
                let ty = table.with(&asked, compile, |c| {
                    c.as_ref().map(|c| c.focus_type().to_string())
                });
                assert_eq!(ty.as_deref(), Some(&**name));
            }
        }
        // the first round compiles each; the second only those past the table
        assert_eq!(compiled.load(Ordering::Relaxed), names.len() + 50);
    }
}
