//! The validation walk: one pass over a parsed resource, following the
//! compiled plans. It keeps a compact path (segments borrowed from the plans
//! and the document) and only builds strings when it emits a finding.
//!
//! This module is traversal only: resources, objects, values and their JSON
//! shape ([`values`]), and the checks that run beside the walk on a whole
//! value, profiles and QuestionnaireResponses ([`sub_checks`]). What each
//! kind of value must satisfy is decided by the rule families in
//! [`crate::rule_families`], which the walk calls where the value is.

mod sub_checks;

pub(crate) use sub_checks::walk_applies;
mod values;
mod vital_signs;

use crate::context::Context;
use crate::finding::{rules, IssueCode, Location, Outcome, Severity, Status};
use crate::invariants::Invariants;
use crate::national::RuleSet;
use crate::plan::{Plans, Role, TypeId};
use crate::rule_families::bundle::BundleIndex;
use crate::rule_families::contained::ContainedScope;
use crate::{Options, Validator};
use conform_json::{Document, Kind, LineIndex, NodeId};
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock};

/// One step of the path to the value being walked.
#[derive(Clone, Copy)]
pub(crate) enum Seg<'a> {
    Name(&'a str),
    Index(u32),
    OfType(&'a str),
}

/// A path as findings show it (`Patient.name[0].given`), with `extra`
/// after it: the walker's, and the profile checker's from where it began.
pub(crate) fn render_path<'s>(
    path: impl IntoIterator<Item = Seg<'s>>,
    extra: Option<&str>,
) -> String {
    let mut s = String::new();
    for seg in path {
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

/// One walk over one document (a file, or one NDJSON line).
pub(crate) struct Walker<'a> {
    pub(crate) plans: &'a Plans,
    pub(crate) context: &'a Context,
    pub(crate) options: &'a Options,
    pub(crate) rules: &'a RuleSet,
    pub(crate) values: &'a crate::profile::Values,
    pub(crate) inv: Invariants<'a>,
    /// The resources being walked (outermost first), for `%resource`.
    pub(crate) resources: Vec<NodeId>,
    pub(crate) selection: &'a crate::ProfileSelection,
    pub(crate) doc: &'a Document<'a>,
    /// Lines before this document in its file (NDJSON), added to every line.
    pub(crate) line_base: u32,
    /// Where the lines of the document start, built on the first finding
    /// and shared with the walkers of a Bundle's entries ([`Walker::fork`]).
    pub(crate) lines: Arc<OnceLock<LineIndex>>,
    /// Where each JSON offset came from, when the document was read from
    /// XML: findings then carry the XML line and column.
    pub(crate) positions: Option<&'a conform_xml::Positions>,
    pub(crate) path: Vec<Seg<'a>>,
    /// Per-object scratch: occurrences per element, and the first member
    /// that used each element (to tell duplicates from choice conflicts).
    pub(crate) counts: Vec<u32>,
    pub(crate) firsts: Vec<u32>,
    /// The contained resources of each enclosing resource.
    pub(crate) contained: Vec<ContainedScope<'a>>,
    /// Ids of the contained resources being walked (for `#` references to
    /// their container).
    pub(crate) walking_contained: Vec<&'a str>,
    /// Definition paths of the elements being walked (`Patient.address`,
    /// `Address.extension`), for extension contexts.
    pub(crate) element_paths: Vec<&'a str>,
    /// The Bundles being walked (innermost last), for resolving references
    /// between their entries.
    pub(crate) bundles: Vec<Arc<BundleIndex>>,
    /// The objects being walked (innermost last): when an extension is
    /// judged, the last is the element that holds it.
    pub(crate) objects: Vec<NodeId>,
    pub(crate) findings: Vec<Outcome>,
    /// Values whose invariants are still to be evaluated.
    pub(crate) deferred: crate::rule_families::invariants::DeferredInvariants<'a>,
    /// Questions for a terminology server, answered after the walk.
    pub(crate) pending: Vec<conform_outcome::terminology::PendingCode>,
    /// Must-Support population of each profile applied so far
    /// ([`crate::Options::must_support`]).
    pub(crate) must_support: Vec<conform_outcome::validate::ProfilePopulation>,
    /// The FHIR release of the definitions, for messages.
    pub(crate) release: Option<conform_packages::FhirRelease>,
    /// Asks about the codes the packages cannot judge, when set.
    pub(crate) checker: Option<&'a dyn conform_outcome::terminology::CodeChecker>,
    /// Finds the resources references name outside the document, when set.
    pub(crate) external: Option<&'a crate::fetch::External>,
    /// What the profile checks have found of values against other
    /// profiles, for the rest of the document.
    pub(crate) conformances: crate::profile::Conformances,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(v: &'a Validator, doc: &'a Document<'a>, line_base: u32) -> Self {
        Walker {
            plans: &v.plans,
            context: &v.context,
            options: &v.options,
            rules: &v.rules,
            values: &v.values,
            inv: v.invariants(),
            resources: Vec::new(),
            selection: &v.selection,
            doc,
            line_base,
            lines: Default::default(),
            positions: None,
            path: Vec::with_capacity(16),
            counts: Vec::with_capacity(256),
            firsts: Vec::with_capacity(256),
            contained: Vec::new(),
            walking_contained: Vec::new(),
            element_paths: Vec::new(),
            bundles: Vec::new(),
            objects: Vec::with_capacity(16),
            findings: Vec::new(),
            deferred: Default::default(),
            pending: Vec::new(),
            must_support: Vec::new(),
            release: v.release,
            checker: v.checker.as_deref(),
            external: v.external.as_deref(),
            conformances: Default::default(),
        }
    }

    /// A walker for part of this one's document, in the same place: it
    /// walks some entries of a large Bundle on another thread, and its
    /// findings and questions are then taken back in entry order
    /// ([`Walker::absorb`]). Entries start scopes of their own (their
    /// resources are not contained), so what it leaves behind is only what
    /// it found.
    pub(crate) fn fork(&self) -> Walker<'a> {
        Walker {
            resources: self.resources.clone(),
            lines: self.lines.clone(),
            path: self.path.clone(),
            counts: Vec::with_capacity(256),
            firsts: Vec::with_capacity(256),
            contained: Vec::new(),
            walking_contained: self.walking_contained.clone(),
            element_paths: self.element_paths.clone(),
            bundles: self.bundles.clone(),
            objects: self.objects.clone(),
            findings: Vec::new(),
            deferred: Default::default(),
            pending: Vec::new(),
            must_support: Vec::new(),
            conformances: Default::default(),
            ..*self
        }
    }

    /// Takes back what a [`fork`](Walker::fork) found.
    pub(crate) fn absorb(&mut self, fork: Walker<'a>) {
        self.findings.extend(fork.findings);
        self.pending.extend(fork.pending);
        self.must_support.extend(fork.must_support);
    }

    // ---- findings ----------------------------------------------------------

    pub(crate) fn path_string(&self, extra: Option<&str>) -> String {
        render_path(self.path.iter().copied(), extra)
    }

    /// The line of `offset`, without the index [`Walker::line_col`] builds
    /// when nothing has built it yet: a resource's line is asked for
    /// whether or not it has findings.
    pub(crate) fn line_of(&self, offset: usize) -> u32 {
        if let Some(p) = self.positions {
            return p.line_col(offset).0;
        }
        let line = match self.lines.get() {
            Some(index) => index.line(offset),
            None => conform_json::line_of(self.doc.source(), offset),
        };
        line + self.line_base
    }

    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        if let Some(p) = self.positions {
            return p.line_col(offset);
        }
        let src = self.doc.source();
        let (l, c) = self
            .lines
            .get_or_init(|| LineIndex::new(src))
            .line_col(src, offset);
        (l + self.line_base, c)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn emit(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &str,
        offset: usize,
        extra: Option<&str>,
        message: String,
    ) {
        self.emit_at(
            |w| w.path_string(extra),
            severity,
            code,
            rule,
            offset,
            message,
        );
    }

    /// [`Walker::emit`] at the path `expression` renders (only for a
    /// finding an option keeps): a value's deferred invariants report at
    /// the path it had when walked.
    pub(crate) fn emit_at(
        &mut self,
        expression: impl FnOnce(&Self) -> String,
        severity: Severity,
        code: IssueCode,
        rule: &str,
        offset: usize,
        message: String,
    ) {
        // Options that change how a rule reports, applied where every
        // finding passes (the walk's, the profiles', the Questionnaires').
        let severity = match rule {
            rules::BINDING_EXTENSIBLE if !self.options.extensible_binding_warnings => return,
            rules::QUESTIONNAIRE_DISPLAY if self.options.display_issues_are_warnings => {
                Severity::Warning
            }
            _ => severity,
        };
        let (line, column) = self.line_col(offset);
        let expression = expression(self);
        let mut outcome = Outcome::finding(
            severity,
            code,
            rule,
            Location::payload(expression, line, column),
            message,
        );
        if rules::NOT_CHECKED.contains(&rule) {
            outcome.status = Status::Skip;
        }
        self.findings.push(outcome);
    }

    /// Records a question for a terminology server where `offset` (and
    /// `extra` below the current path) is, reporting its placeholder
    /// finding meanwhile.
    pub(crate) fn leave_question(
        &mut self,
        offset: usize,
        extra: Option<&str>,
        ask: crate::finding::Ask,
        placeholder: Option<crate::rule_families::Placeholder<'_>>,
    ) {
        let placeholder = placeholder.and_then(|(severity, code, rule, message)| {
            let before = self.findings.len();
            self.emit(severity, code, rule, offset, extra, message);
            // (An option may have dropped it.)
            self.findings[before..].last().cloned()
        });
        // Where the placeholder stands, or else where it would.
        let location = match &placeholder {
            Some(finding) => finding.location.clone(),
            None => {
                let (line, column) = self.line_col(offset);
                Location::payload(self.path_string(extra), line, column)
            }
        };
        self.pending
            .push(conform_outcome::terminology::PendingCode {
                questions: ask.questions,
                strength: ask.strength,
                label: ask.label,
                not_in_rule: ask.not_in_rule,
                location,
                placeholder,
            });
    }

    /// A Coding of a system the packages do not hold whole (SNOMED CT,
    /// LOINC...): asks the terminology server whether its code exists, its
    /// display is one of the concept's and the concept is active. Nothing
    /// is reported unless the server decides.
    pub(crate) fn ask_code_system(&mut self, node: NodeId, label: &str) {
        let Some(checker) = self.checker else { return };
        let doc = self.doc;
        let (Some(system), Some(at)) = (doc.get_str(node, "system"), doc.get(node, "code")) else {
            return;
        };
        let Some(code) = doc.str(at) else { return };
        // (the held codes, not the CodeSystem's JSON: parsing DICOM's
        // took 20 M instructions)
        let held_whole = self
            .context
            .system_codes(&system)
            .is_some_and(|codes| !codes.fragment);
        if held_whole || !checker.asks_about(&system) {
            return;
        }
        let question = conform_outcome::terminology::CodeQuestion {
            value_set: None,
            system: system.into_owned(),
            version: doc.get_str(node, "version").map(|v| v.into_owned()),
            code: code.into_owned(),
            display: doc.get_str(node, "display").map(|d| d.into_owned()),
        };
        let ask = crate::finding::Ask {
            questions: vec![question],
            strength: None,
            label: label.to_string(),
            not_in_rule: None,
            reported: false,
        };
        self.leave_question(doc.offset(at), Some("code"), ask, None);
    }

    /// One defect, one finding: a code its held CodeSystem lacks
    /// (`code-invalid`, judged on every Coding) is not also reported where
    /// a required or extensible binding (of the value or of a profile)
    /// already says that code is not in its value set. Both stand at the
    /// code, told by where it is in the file: a profile's findings write
    /// the path in another form.
    fn drop_codes_a_binding_judged(&mut self) {
        let bound: Vec<(u32, u32)> = self
            .findings
            .iter()
            .filter(|f| f.rule == rules::BINDING_REQUIRED || f.rule == rules::BINDING_EXTENSIBLE)
            .map(|f| (f.line(), f.location.column.unwrap_or(0)))
            .collect();
        if bound.is_empty() {
            return;
        }
        self.findings.retain(|f| {
            f.rule != rules::CODE_INVALID
                || !bound.contains(&(f.line(), f.location.column.unwrap_or(0)))
        });
    }

    pub(crate) fn error(&mut self, code: IssueCode, rule: &str, node: NodeId, message: String) {
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
        self.evaluate_deferred();
        self.drop_codes_a_binding_judged();
        let id = self.doc.get_str(node, "id").map(|s| s.into_owned());
        (Some(name), id)
    }

    /// Reads and checks `resourceType`.
    pub(crate) fn resource_type(&mut self, node: NodeId, root: bool) -> Option<TypeId> {
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

    pub(crate) fn resource_body(&mut self, node: NodeId, tid: TypeId, is_contained: bool) {
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
                    let Some(t) = self.plans.resource(&rt) else {
                        continue;
                    };
                    // The first resource keeps the id: a reference to it
                    // cannot tell which was meant, so the second is wrong.
                    if ids.contains_key(id) {
                        let at = doc.get(r, "id").unwrap_or(r);
                        self.path
                            .extend([Seg::Name("contained"), Seg::Index(i as u32)]);
                        self.path.push(Seg::Name("id"));
                        let message = format!("Another contained resource already has the id '{id}': ids of contained resources must be unique within their container");
                        self.error(IssueCode::BusinessRule, rules::DUPLICATE_ID, at, message);
                        self.path.truncate(self.path.len() - 3);
                    } else {
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
        let plan = self.plans.get(tid);
        let role = plan.role;
        if role == Role::Bundle {
            // Indexed before the entries are walked, so references between
            // them resolve as they are met.
            let index = BundleIndex::new(doc, node, self.resources.len());
            self.bundles.push(Arc::new(index));
        }
        self.object(node, tid);
        self.security_labels(node);
        self.narrative_language(node);
        self.experimental_content(node);
        self.check_invariants(node, &[], tid, plan);
        self.resources.pop();
        match role {
            Role::Bundle => {
                // Its own profiles first, while its index stands: what they
                // ask of its entries' references (a document profile's
                // Composition slice, of its subject) resolves in it.
                self.apply_profiles(node, tid);
                if let Some(index) = self.bundles.pop() {
                    self.bundle(node, &index);
                }
            }
            Role::QuestionnaireResponse => self.questionnaire_response(node),
            Role::SearchParameter => self.search_parameter(node),
            Role::CapabilityStatement => self.capability_statement(node),
            Role::OperationDefinition => self.operation_definition(node),
            Role::CodeSystem => self.code_system(node),
            Role::ValueSet => self.value_set(node),
            Role::ConceptMap => self.concept_map(node),
            Role::Questionnaire => self.questionnaire(node),
            Role::StructureDefinition => self.structure_definition(node),
            Role::MeasureReport => self.measure_report(node),
            Role::Measure => self.measure(node),
            _ => {}
        }
        if role != Role::Bundle {
            self.apply_profiles(node, tid);
        }
        if scope {
            if let Some(done) = self.contained.pop() {
                self.unreferenced_contained(done);
            }
        }
    }
}

pub(crate) fn article(k: Kind) -> &'static str {
    match k {
        Kind::Null => "null",
        Kind::Bool => "a boolean",
        Kind::Number => "a number",
        Kind::String => "a string",
        Kind::Array => "an array",
        Kind::Object => "an object",
    }
}
