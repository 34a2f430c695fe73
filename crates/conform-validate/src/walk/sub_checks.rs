//! Checks that run beside the walk on a whole value: the profiles that
//! apply to a resource (and extension definitions, applied the same way),
//! and a QuestionnaireResponse against its Questionnaire. Their findings are
//! placed under the walk's current path.

use super::Walker;
use crate::finding::{rules, IssueCode, LocalIssue, Severity};
use crate::plan::TypeId;
use crate::ProfileSelection;
use conform_json::{Document, NodeId};

impl<'a> Walker<'a> {
    /// Validates the resource against every profile that applies to it:
    /// `--profile` (top level only), the pack's profile for its type, and
    /// its `meta.profile` declarations.
    pub(crate) fn apply_profiles(&mut self, node: NodeId, tid: TypeId) {
        let doc = self.doc;
        let type_name = self.plans.get(tid).name.as_str();
        let entry = self.entry_place(node, type_name);
        let wanted = wanted_profiles(
            self.selection,
            doc,
            node,
            type_name,
            self.path.len() == 1,
            entry,
        );
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
        self.apply_vital_signs_profile(node, type_name, &done);
    }

    /// An Observation of a vital sign is validated against that sign's
    /// profile too, claimed or not (FHIR R4 requires it; the HL7 validator
    /// does it from R4 on), when the loaded packages define the profile.
    fn apply_vital_signs_profile(&mut self, node: NodeId, type_name: &str, done: &[&str]) {
        if !self.options.vital_signs_profiles
            || type_name != "Observation"
            || self.release == Some(conform_packages::FhirRelease::Stu3)
        {
            return;
        }
        let Some(implied) = super::vital_signs::implied_profile(self.doc, node) else {
            return;
        };
        let Some(plan) = self.plans.profiles.get(&implied.url) else {
            return;
        };
        let message = format!(
            "Validated against the {} profile ({}), which FHIR requires of an Observation with the {} code {}",
            implied.name, implied.url, implied.system, implied.code
        );
        let at = self.doc.offset(node);
        self.emit(
            Severity::Information,
            IssueCode::Informational,
            rules::PROFILE_VITAL_SIGNS,
            at,
            None,
            message,
        );
        if !done.contains(&implied.url.as_str()) {
            self.run_profile(node, plan);
        }
    }

    /// Checks a value against one profile and reports what it finds; the
    /// checker leaves to the walk what the walk decides itself.
    pub(crate) fn run_profile(
        &mut self,
        node: NodeId,
        plan: &'a crate::plan::profile::ProfilePlan,
    ) {
        let mut ck = crate::profile::Checker::new(self.plans, self.values, self.doc, plan)
            .beside_walk(self.selection)
            .rest_reference_types(self.options.types_unresolved_references())
            .fetching(
                self.external
                    .filter(|_| self.options.references == crate::ReferencePolicy::CheckValid),
                self.options.json_limits(),
            )
            .bundled_outside_bundles(self.options.enforce_aggregation_outside_bundles)
            .must_support_hints(self.options.must_support_hints)
            .record_must_support(self.options.must_support)
            .in_bundle(self.bundles.last().map(|b| {
                // The entry's resource, or `node` itself when the profile is
                // applied to that resource once it has been walked.
                let resource = self.resources.get(b.depth).copied().unwrap_or(node);
                let from = b.entry_of(resource);
                (b.as_ref(), from)
            }));
        if self.options.invariants {
            ck = ck.with_invariants(self.inv, &self.resources);
        }
        if node == self.doc.root() && self.external.is_some() {
            ck = ck.document_resource(node);
        }
        ck.conformances = std::mem::take(&mut self.conformances);
        ck.check(node);
        self.conformances = std::mem::take(&mut ck.conformances);
        if let Some(population) = ck.must_support_population() {
            self.must_support.push(population);
        }
        self.emit_local(ck.issues);
    }

    /// Places the findings of a sub-check under the current path.
    pub(crate) fn emit_local(&mut self, issues: Vec<LocalIssue>) {
        for issue in issues {
            let extra = (!issue.path.is_empty()).then_some(issue.path.as_str());
            let offset = self.doc.offset(issue.node);
            if let Some(ask) = issue.ask {
                let placeholder = ask.reported.then_some((
                    issue.severity,
                    issue.code,
                    &*issue.rule,
                    issue.message,
                ));
                self.leave_question(offset, extra, *ask, placeholder);
                continue;
            }
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

    pub(crate) fn questionnaire_response(&mut self, node: NodeId) {
        let issues = crate::questionnaire::check(self.doc, node, self.plans, self.context);
        self.emit_local(issues);
    }
}

impl Walker<'_> {
    /// Where `node` (of `type_name`) sits as an entry's resource of the
    /// innermost Bundle: its entry's place among all entries, and how many
    /// entries before it hold a resource of its type; asked only when
    /// bundle rules could take it.
    fn entry_place(&self, node: NodeId, type_name: &str) -> Option<(usize, usize)> {
        if self.selection.bundle_rules.is_empty() {
            return None;
        }
        let bundle = self.bundles.last()?;
        let position = bundle.entry_of(node)?;
        let rank = (0..position)
            .filter(|&i| bundle.type_of(i) == Some(type_name))
            .count();
        Some((position, rank))
    }
}

/// The profiles the walk applies to a resource of `type_name` (with the
/// `meta.profile` entry naming each, if one does): `--profile` for the
/// top-level resource, the pack's profile for the type, the bundle rules'
/// for an entry's resource (at `entry`: its place and rank, as
/// [`Walker::entry_place`] gives them), and `meta.profile`.
fn wanted_profiles(
    selection: &ProfileSelection,
    doc: &Document<'_>,
    node: NodeId,
    type_name: &str,
    top: bool,
    entry: Option<(usize, usize)>,
) -> Vec<(String, Option<NodeId>)> {
    let mut wanted: Vec<(String, Option<NodeId>)> = Vec::new();
    if top {
        wanted.extend(selection.explicit.iter().map(|u| (u.clone(), None)));
    }
    if let Some((position, rank)) = entry {
        let rules = selection.bundle_rules.iter();
        wanted.extend(
            rules
                .filter(|r| r.takes(type_name, position, rank))
                .map(|r| (r.profile.clone(), None)),
        );
    }
    if let Some(u) = selection.per_type.get(type_name) {
        wanted.push((u.clone(), None));
    }
    if selection.meta_profiles {
        if let Some(list) = doc.get(node, "meta").and_then(|m| doc.get(m, "profile")) {
            for &p in doc.elements(list) {
                if let Some(u) = doc.str(p) {
                    wanted.push((u.into_owned(), Some(p)));
                }
            }
        }
    }
    wanted
}

/// Whether the walk applies the definition `url` to `node` itself: an
/// extension's definition (named by its `url`), or a profile of a nested
/// resource (the pack's for its type, or one of its `meta.profile`). A
/// profile that names it as a type profile leaves it to the walk.
pub(crate) fn walk_applies(
    selection: &ProfileSelection,
    doc: &Document<'_>,
    node: NodeId,
    url: &str,
) -> bool {
    let unversioned = |u: &str| u.split('|').next().unwrap_or(u).to_string();
    let url = unversioned(url);
    if let Some(rt) = doc.get_str(node, "resourceType") {
        return wanted_profiles(selection, doc, node, &rt, false, None)
            .iter()
            .any(|(u, _)| unversioned(u) == url);
    }
    doc.get_str(node, "url")
        .is_some_and(|u| unversioned(&u) == url)
}
