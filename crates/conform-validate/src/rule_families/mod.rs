//! The rule families: what a value must satisfy, one module a family, each
//! the only place that decides its rules and words their messages. The
//! base walk ([`crate::walk`]) calls them where a value is; the profile
//! checker ([`crate::profile`]) calls the same functions for what a profile
//! tightens, and asks the family whether the base walk has already decided
//! a rule at that place (`base_decides…`), so a rule is reported once, by
//! one implementation, with one message.
//!
//! | module | rules |
//! |---|---|
//! | [`cardinality`] | `cardinality-min`, `cardinality-max` (and slice cardinality) |
//! | [`primitives`] | JSON types of primitives, `primitive-format`, `empty`, `null-value`, `embedded-html`, `narrative` |
//! | [`bindings`] | `binding-required`, `binding-extensible`, `binding-preferred`, `binding-not-checked` |
//! | [`references`] | `reference-format`, `reference-target`, `contained-not-found` (and `reference-aggregation`, which only profiles state, in the profile checker) |
//! | [`extensions`] | `extension-unknown`, `extension-context`, `extension-modifier`, `extension-url`, extension definitions |
//! | [`contained`] | `dom-3` (natively); `duplicate-id` is found where the walk indexes a container's contained resources |
//! | [`bundle`] | `bundle-link`, `bundle-entry`, `bundle-fullurl`, `bundle-duplicate`, `bundle-reference`, `bundle-orphan`, `bundle-search` |
//! | [`invariants`] | FHIRPath constraints, by key; `invariant-not-evaluated` |
//! | [`meta`] | `security-label-duplicate`, `narrative-language`, `experimental-content` |
//! | [`national`] | identifier rules of a [`crate::national::RuleSet`] |
//! | [`canonical`] | `search-parameter-derivation`, `search-parameter-expression`, `search-parameter-code`, `search-parameter-components`, `operation-definition-profile`, `operation-definition-base`, `capability-search-param`, `code-system-supplement` |
//! | [`types`] | type-specific rules: text of primitives, Attachment, Identifier, Coding and Quantity systems, UCUM |
//!
//! **Adding a rule family**: add its ids to [`crate::finding::rules`], add a
//! module here with the check (a function taking a [`Report`], or an
//! `impl Walker` block when it needs the walk's state, as [`primitives`]
//! does) and call it from the walk's value dispatch
//! (`walk::values::typed_value`) or the resource hook
//! (`Walker::resource_body`); if profiles can tighten it, call it from
//! `profile::Checker::item` too, with a `base_decides…` test so the base
//! and the profile do not both report the same violation.

pub(crate) mod bindings;
pub(crate) mod bundle;
pub(crate) mod canonical;
pub(crate) mod cardinality;
pub(crate) mod contained;
pub(crate) mod extensions;
pub(crate) mod invariants;
pub(crate) mod measure;
pub(crate) mod measure_report;
pub(crate) mod meta;
pub(crate) mod national;
pub(crate) mod primitives;
pub(crate) mod references;
pub(crate) mod types;

use crate::finding::{Ask, IssueCode, Severity};
use conform_json::NodeId;

/// The "not checked" finding that stands for a question to a terminology
/// server until it is answered: severity, code, rule and message.
pub(crate) type Placeholder<'r> = (Severity, IssueCode, &'r str, String);

/// Where a rule reports: the base walk places a finding under the path it
/// is at, the profile checker under its own path and with the profile's
/// name. `extra` is a path below that place (`code`, `coding[0].code`).
pub(crate) trait Report {
    fn report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &'static str,
        node: NodeId,
        extra: Option<&str>,
        message: String,
    );

    /// Leaves a question about the coded value at `node` for a terminology
    /// server (answered after the walk), reporting `placeholder` meanwhile.
    fn ask(
        &mut self,
        node: NodeId,
        extra: Option<&str>,
        ask: Ask,
        placeholder: Option<Placeholder<'static>>,
    );
}

impl Report for crate::walk::Walker<'_> {
    fn report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &'static str,
        node: NodeId,
        extra: Option<&str>,
        message: String,
    ) {
        let offset = self.doc.offset(node);
        self.emit(severity, code, rule, offset, extra, message);
    }

    fn ask(
        &mut self,
        node: NodeId,
        extra: Option<&str>,
        ask: Ask,
        placeholder: Option<Placeholder<'static>>,
    ) {
        let offset = self.doc.offset(node);
        self.leave_question(offset, extra, ask, placeholder);
    }
}

/// The canonical resources of R4, whose `url` identifies them (and which
/// a `canonical` element's target profiles may name).
pub(crate) const CANONICAL_RESOURCES: [&str; 29] = [
    "ActivityDefinition",
    "CapabilityStatement",
    "ChargeItemDefinition",
    "CodeSystem",
    "CompartmentDefinition",
    "ConceptMap",
    "EffectEvidenceSynthesis",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "GraphDefinition",
    "ImplementationGuide",
    "Library",
    "Measure",
    "MessageDefinition",
    "NamingSystem",
    "OperationDefinition",
    "PlanDefinition",
    "Questionnaire",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "RiskEvidenceSynthesis",
    "SearchParameter",
    "StructureDefinition",
    "StructureMap",
    "TerminologyCapabilities",
    "TestScript",
    "ValueSet",
];
