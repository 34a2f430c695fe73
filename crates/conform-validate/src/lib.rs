//! FHIR R4 validation: compile the loaded packages' StructureDefinitions into
//! plans ([`plan`]), then validate JSON against them in one pass (`walk`),
//! which calls the rule families (`rules`, one module each) where a value
//! is; the profile checker (`profile`) calls the same rules for what a
//! profile tightens. Literal references are read by one parser,
//! [`reference`].
//!
//! The validator never renders anything: it reports [`Finding`]s for each
//! resource into a [`Sink`], and renderers elsewhere turn those into text,
//! JSON, OperationOutcome or JUnit.

pub mod context;
mod describe;
pub mod fetch;
mod fhirpath_model;
pub mod finding;
mod input;
mod invariants;
mod load;
pub mod national;
mod options;
pub mod pack;
pub mod plan;
pub mod primitive;
mod profile;
mod questionnaire;
pub mod reference;
pub mod release;
mod rule_families;
mod run;
mod settle;
pub mod terminology;
mod walk;
mod xhtml;
pub mod xml;

pub use conform_outcome::terminology::CodeChecker;
pub use conform_outcome::validate::{Collector, FileReport, ValidationReport};
pub use describe::describe_rule;
pub use fetch::{ResourceFetcher, ResourceFolder};
pub use finding::{rules, IssueCode, Location, Outcome, Severity, Status};
pub use input::{collect_inputs, Input, InputError};
pub use load::{definitions, LoadError, LoadStats};
pub use options::{
    ContainedPolicy, Level, Options, ReferencePolicy, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FINDINGS,
    DEFAULT_MAX_LINE_BYTES,
};
pub use run::{
    validate_inputs, validate_shard, FileFailure, ResourceResult, Shard, Sink, Summary, SHARD_LINES,
};
/// The narrative XHTML checks (`Narrative.div`, txt-1 and txt-2) on one
/// text: `Err` says what is wrong. Public for the fuzz targets.
pub use xhtml::check as check_narrative;

use conform_json::Document;
use context::Context;
use plan::Plans;
use std::sync::Arc;

/// A validator over one set of compiled plans. Cheap to clone and share
/// across threads.
#[derive(Clone)]
pub struct Validator {
    plans: Arc<Plans>,
    context: Arc<Context>,
    options: Options,
    rules: Arc<national::RuleSet>,
    values: Arc<profile::Values>,
    selection: Arc<ProfileSelection>,
    /// The plans' invariants, each parsed and compiled when first
    /// evaluated: a run over a few resource types prepares few of them.
    invariants: Arc<[invariants::Slot]>,
    /// Each type's invariant checks, made on first use.
    type_checks: Arc<[invariants::TypeChecks]>,
    /// FHIRPath type information from the plans (each type's built on
    /// first need).
    model: Arc<fhirpath_model::PlansModel>,
    /// Value sets expanded for FHIRPath's `memberOf()`.
    value_sets: Arc<invariants::ValueSetCache>,
    /// How many invariant checks were compiled during runs, for focus
    /// types the plans did not make them ready for.
    compiled_at_run_time: Arc<std::sync::atomic::AtomicU64>,
    /// The FHIR release of the definitions (`None`: no package declares one).
    release: Option<conform_packages::FhirRelease>,
    /// Another release's definitions, to tell a payload written for it.
    other_release: Option<Arc<release::OtherRelease>>,
    /// Answers what the loaded packages cannot about codes (a terminology
    /// server with its cache); `None`: such codes stay not checked.
    checker: Option<Arc<dyn CodeChecker>>,
    /// Finds the resources references name outside the document
    /// ([`fetch`]), with what it learned of them; `None`: nothing is
    /// fetched.
    external: Option<Arc<fetch::External>>,
}

/// Which profiles each resource is validated against, on top of the base
/// definition: `--profile` (the top-level resource), the pack's profile for
/// the resource's type, and the profiles it declares in `meta.profile`.
#[derive(Clone, Debug)]
pub struct ProfileSelection {
    /// Profiles for the top-level resource of each input (`--profile`).
    pub explicit: Vec<String>,
    /// Resource type → profile, from the profile pack.
    pub per_type: std::collections::BTreeMap<String, String>,
    /// Validate against the profiles in `meta.profile` too.
    pub meta_profiles: bool,
    /// Profiles for the entries of Bundles, chosen by type and place
    /// (`--bundle-profile`, the HL7 validator's `-bundle`).
    pub bundle_rules: Vec<BundleRule>,
}

/// A profile for some entries of every Bundle validated: those whose
/// resource is of `resource_type`, the `index`-th of them (from 0), or, with
/// no type, the `index`-th entry; the HL7 validator's bundle validation
/// rule (`-bundle RULE PROFILE`, RULE `Type`, `Type:n` or `n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleRule {
    pub resource_type: Option<String>,
    pub index: Option<usize>,
    pub profile: String,
}

impl BundleRule {
    /// Reads a rule (`Patient`, `Composition:0`, `2`) for `profile`. Whether
    /// the type is a resource type is the caller's to ask
    /// ([`Validator::is_resource_type`]).
    pub fn parse(rule: &str, profile: &str) -> Result<BundleRule, String> {
        let (ty, index) = match rule.split_once(':') {
            Some((ty, index)) => (ty, Some(index)),
            None if !rule.is_empty() && rule.bytes().all(|b| b.is_ascii_digit()) => {
                ("", Some(rule))
            }
            None => (rule, None),
        };
        let index = index
            .filter(|i| !i.is_empty())
            .map(|i| {
                i.parse::<usize>().map_err(|_| {
                    format!("the bundle rule '{rule}' has '{i}' where an entry number belongs")
                })
            })
            .transpose()?;
        if ty.is_empty() && index.is_none() {
            return Err(format!(
                "the bundle rule '{rule}' names neither a resource type nor an entry number"
            ));
        }
        Ok(BundleRule {
            resource_type: (!ty.is_empty()).then(|| ty.to_string()),
            index,
            profile: profile.to_string(),
        })
    }

    /// Whether the rule takes the entry at `position` (among all entries)
    /// whose resource is the `rank`-th of its type `ty`.
    pub fn takes(&self, ty: &str, position: usize, rank: usize) -> bool {
        match (&self.resource_type, self.index) {
            (Some(t), Some(i)) => t == ty && i == rank,
            (Some(t), None) => t == ty,
            (None, Some(i)) => i == position,
            (None, None) => false,
        }
    }
}

impl Default for ProfileSelection {
    fn default() -> Self {
        ProfileSelection {
            explicit: Vec::new(),
            per_type: Default::default(),
            meta_profiles: true,
            bundle_rules: Vec::new(),
        }
    }
}

impl Validator {
    pub fn new(plans: Plans) -> Self {
        let plans = Arc::new(plans);
        let context = Context::new(Some(plans.clone()), std::iter::empty(), None);
        let values = Arc::new(profile::Values::new(&plans.profiles));
        let invariants = plans
            .constraints
            .iter()
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let type_checks = (0..plans.types.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let model = Arc::new(fhirpath_model::PlansModel::new(plans.clone()));
        Validator {
            plans,
            context: Arc::new(context),
            options: Options::default(),
            rules: Arc::new(national::RuleSet::default()),
            values,
            invariants,
            type_checks,
            model,
            value_sets: Default::default(),
            compiled_at_run_time: Default::default(),
            selection: Arc::new(ProfileSelection::default()),
            release: None,
            other_release: None,
            checker: None,
            external: None,
        }
    }

    /// A copy to change: what the fetcher learned under this validator's
    /// options and definitions is not carried over.
    fn derived(&self) -> Validator {
        Validator {
            external: self.external.as_ref().map(|e| Arc::new(e.fresh())),
            ..self.clone()
        }
    }

    /// The same validator, asking `fetcher` for the resources references
    /// name that resolve nowhere in the document, when the reference
    /// policy checks existence ([`fetch`]).
    pub fn with_resource_fetcher(&self, fetcher: Option<Arc<dyn ResourceFetcher>>) -> Validator {
        Validator {
            external: fetcher.map(|f| Arc::new(fetch::External::new(f))),
            ..self.clone()
        }
    }

    /// The same validator, asking `checker` about the codes the loaded
    /// packages cannot judge (docs/terminology.md).
    pub fn with_code_checker(&self, checker: Option<Arc<dyn CodeChecker>>) -> Validator {
        Validator {
            checker,
            ..self.derived()
        }
    }

    /// The code checker, when there is one.
    pub fn code_checker(&self) -> Option<&Arc<dyn CodeChecker>> {
        self.checker.as_ref()
    }

    /// Answers the terminology questions the walk left in `results` (all
    /// together), turning them into findings; run by every public entry
    /// point, and by [`validate_inputs`] once per batch of files.
    pub fn settle(&self, results: &mut [ResourceResult]) {
        settle::settle(
            self.checker.as_deref(),
            &self.options,
            self.context.as_ref(),
            results,
        );
        for r in results {
            run::truncate_findings(r, self.options.max_findings);
        }
    }

    /// The FHIR release of the loaded definitions.
    pub fn release(&self) -> Option<conform_packages::FhirRelease> {
        self.release
    }

    /// The same validator, told which release its definitions are.
    pub fn with_release(&self, release: Option<conform_packages::FhirRelease>) -> Validator {
        Validator {
            release,
            ..self.derived()
        }
    }

    /// The same validator, able to tell a payload of `other`'s release (see
    /// [`release`]).
    pub fn with_other_release(&self, other: Arc<release::OtherRelease>) -> Validator {
        Validator {
            other_release: Some(other),
            ..self.derived()
        }
    }

    /// Lets validation-time lookups that miss the context fall back to all
    /// definitions of these packages, loaded on first need.
    pub fn with_package_fallback(
        &self,
        packages: Vec<conform_packages::ResolvedPackage>,
    ) -> Validator {
        let defined = self.plans.defined.clone();
        let fallback = Some(Arc::new(context::LazyDefinitions::new(
            packages,
            defined,
            self.plans.clone(),
        )));
        Validator {
            context: Arc::new(self.context.with_fallback(fallback)),
            ..self.derived()
        }
    }

    /// The packages the plans were loaded from, as resolved (with the
    /// substitutions and missing dependencies resolution recorded); empty
    /// for a validator built from plans alone.
    pub fn resolved_packages(&self) -> &[conform_packages::ResolvedPackage] {
        self.context.packages()
    }

    /// The same validator with this choice of profiles.
    pub fn with_profiles(&self, selection: ProfileSelection) -> Validator {
        Validator {
            selection: Arc::new(selection),
            ..self.derived()
        }
    }

    /// Canonicals the loaded definitions refer to that no loaded package
    /// defines, each with the first definition referring to it.
    pub fn unresolved_canonicals(&self) -> &[(String, String)] {
        &self.plans.unresolved
    }

    /// Whether a type of the loaded definitions is a resource type.
    pub fn is_resource_type(&self, name: &str) -> bool {
        self.plans.is_resource_type(name)
    }

    /// Whether a profile is loaded (compiled), by canonical URL.
    pub fn has_profile(&self, canonical: &str) -> bool {
        self.plans.profiles.get(canonical).is_some()
    }

    /// The same validator with these national rules.
    pub fn with_rules(&self, rules: national::RuleSet) -> Validator {
        Validator {
            rules: Arc::new(rules),
            ..self.derived()
        }
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The same validator with other options.
    pub fn with_options(&self, options: Options) -> Validator {
        Validator {
            options,
            ..self.derived()
        }
    }

    /// The same plans with extra context resources (Questionnaires,
    /// ValueSets, CodeSystems) on top of those from the packages.
    pub fn with_resources(&self, resources: Vec<serde_json::Value>) -> Validator {
        let plans = Some(self.plans.clone());
        Validator {
            plans: self.plans.clone(),
            context: Arc::new(Context::new(plans, resources, self.context.fallback())),
            ..self.derived()
        }
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    pub fn plans(&self) -> &Plans {
        &self.plans
    }

    /// How many invariant checks this validator (and its clones) compiled
    /// while validating: only those for a focus type the plans could not
    /// foresee, the rest being compiled with the plans and read from the
    /// plan cache.
    pub fn checks_compiled_at_run_time(&self) -> u64 {
        self.compiled_at_run_time
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The invariant evaluator over this validator's definitions.
    pub(crate) fn invariants(&self) -> invariants::Invariants<'_> {
        invariants::Invariants {
            plans: &self.plans,
            prepared: &self.invariants,
            type_checks: &self.type_checks,
            model: &self.model,
            context: &self.context,
            values: &self.values,
            value_sets: &self.value_sets,
            best_practice: self.options.best_practice,
            max_steps: self.options.max_fhirpath_steps,
            compiled_at_run_time: &self.compiled_at_run_time,
        }
    }

    /// Runs `f` with a FHIRPath context for `doc` whose types come from the
    /// loaded definitions and whose FHIR functions (`resolve()` within the
    /// resource, its contained resources and its Bundle entries,
    /// `memberOf()`, `conformsTo()`, `htmlChecks()`) are answered by this
    /// validator. For `conform fhirpath` and scenario assertions.
    pub fn with_fhirpath_context<R>(
        &self,
        doc: &Document<'_>,
        f: impl FnOnce(&conform_fhirpath::Context) -> R,
    ) -> R {
        self.invariants().with_context(doc, &[doc.root()], f)
    }

    /// FHIRPath type information from the loaded definitions.
    pub fn fhirpath_model(&self) -> &dyn conform_fhirpath::Model {
        self.invariants().model()
    }

    /// Validates one JSON text holding one resource. `line_base` is the
    /// number of lines before it in its file (for NDJSON).
    pub fn validate_bytes(&self, bytes: &[u8], line_base: u32) -> ResourceResult {
        self.settled(self.bytes_unsettled(bytes, line_base))
    }

    /// [`Self::validate_bytes`] with its terminology questions left for
    /// the caller to settle (with others of its batch).
    pub(crate) fn bytes_unsettled(&self, bytes: &[u8], line_base: u32) -> ResourceResult {
        match conform_json::parse_with_limits(bytes, self.options.json_limits()) {
            Ok(doc) => self.validate_document_at(&doc, line_base, None),
            Err(e) => run::parse_failure(bytes, &e, line_base),
        }
    }

    /// Validates a parsed document whose root is a resource.
    pub fn validate_document(&self, doc: &Document<'_>, line_base: u32) -> ResourceResult {
        self.settled(self.validate_document_at(doc, line_base, None))
    }

    fn settled(&self, mut result: ResourceResult) -> ResourceResult {
        self.settle(std::slice::from_mut(&mut result));
        result
    }

    /// [`Self::validate_document`], lines and columns taken from
    /// `positions` when the document was read from XML.
    fn validate_document_at(
        &self,
        doc: &Document<'_>,
        line_base: u32,
        positions: Option<&conform_xml::Positions>,
    ) -> ResourceResult {
        let mut w = walk::Walker::new(self, doc, line_base);
        w.positions = positions;
        let (resource_type, id) = w.root(doc.root());
        let line = w.line_of(doc.offset(doc.root()));
        let mut result = ResourceResult {
            resource_type: resource_type.map(str::to_string),
            id,
            line,
            findings: w.findings,
            codes_verified: 0,
            pending: w.pending,
            must_support: w.must_support,
        };
        release::check(self, doc, &mut result);
        result
    }
}
