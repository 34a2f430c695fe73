//! Telling a payload of the other FHIR release. An STU3 resource validated
//! as R4 (or the reverse) fails on every element the releases shape apart —
//! `assertedDate`, a `code` where R4 has a CodeableConcept — and dozens of
//! such findings hide the one thing the user needs to hear: wrong release.
//!
//! So when a resource has shape findings (unknown elements, wrong JSON
//! types, arrays, an unknown resource type), it is validated again, for
//! shape only, against the other release's core definitions (loaded on
//! first need, from the same package sources). When it fits that release
//! clearly better, its findings are replaced by one that says so. Without
//! the other release's definitions, profile URLs marked for the other
//! release (`/STU3/`) are the evidence instead.

use crate::finding::{rules, IssueCode, Location, Outcome, Severity};
use crate::{Options, ProfileSelection, ResourceResult, Validator};
use conform_json::Document;
use conform_packages::FhirRelease;
use std::sync::{Arc, OnceLock};

/// The rules whose findings say "this element is not shaped like this
/// release says": what differs between releases, unlike profile or
/// invariant findings.
const SHAPE_RULES: [&str; 5] = [
    rules::UNKNOWN_ELEMENT,
    rules::JSON_TYPE,
    rules::ARRAY_EXPECTED,
    rules::ARRAY_UNEXPECTED,
    rules::RESOURCE_TYPE,
];

/// The definitions of another release, loaded when first needed.
pub struct OtherRelease {
    pub release: FhirRelease,
    load: Box<dyn Fn() -> Option<Validator> + Send + Sync>,
    loaded: OnceLock<Option<Validator>>,
}

impl OtherRelease {
    /// `load` gives the other release's core definitions, or `None` when
    /// they cannot be had (offline, not in any package source).
    pub fn new(
        release: FhirRelease,
        load: impl Fn() -> Option<Validator> + Send + Sync + 'static,
    ) -> Arc<OtherRelease> {
        Arc::new(OtherRelease {
            release,
            load: Box::new(load),
            loaded: OnceLock::new(),
        })
    }

    /// Shape only: no invariants, profiles, national rules or references.
    fn validator(&self) -> Option<&Validator> {
        self.loaded
            .get_or_init(|| {
                (self.load)().map(|v| {
                    v.with_profiles(ProfileSelection::default())
                        .with_options(Options {
                            invariants: false,
                            ..Default::default()
                        })
                })
            })
            .as_ref()
    }
}

impl std::fmt::Debug for OtherRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OtherRelease({})", self.release)
    }
}

fn shape_findings(findings: &[Outcome]) -> usize {
    findings
        .iter()
        .filter(|f| f.severity.is_error() && SHAPE_RULES.contains(&f.rule.as_str()))
        .count()
}

/// The profile URLs the resource and, for a Bundle, its entries claim in
/// `meta.profile` (a search result Bundle often claims none itself) that
/// `keep` accepts. Runs for every resource, so only kept URLs (rare: those
/// of the other release) are copied.
fn claimed_profiles(doc: &Document<'_>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let root = doc.root();
    let entries = doc.get(root, "entry").map_or(&[][..], |e| doc.elements(e));
    let resources = std::iter::once(root).chain(
        entries
            .iter()
            .filter_map(|&entry| doc.get(entry, "resource")),
    );
    let mut out = Vec::new();
    for resource in resources {
        let profiles = doc
            .get(resource, "meta")
            .and_then(|meta| doc.get(meta, "profile"));
        for p in profiles.map_or(&[][..], |p| doc.elements(p)) {
            if let Some(url) = doc.str(*p).filter(|u| keep(u)) {
                out.push(url.into_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Replaces `result`'s findings with one when the resource was written for
/// another release than `validator`'s.
pub(crate) fn check(validator: &Validator, doc: &Document<'_>, result: &mut ResourceResult) {
    let (Some(this), Some(other)) = (validator.release, validator.other_release.as_deref()) else {
        return;
    };
    let here = shape_findings(&result.findings);
    // Profiles of the other release that are not loaded here: nothing in
    // this run can check the resource against them.
    let marked = claimed_profiles(doc, |p| {
        other.release.marks_profile(p) && !validator.has_profile(p)
    });
    if here == 0 && marked.is_empty() {
        return;
    }
    let there = other
        .validator()
        .map(|v| shape_findings(&v.validate_document(doc, 0).findings));
    let elements = |n: usize| match n {
        1 => "1 element".to_string(),
        n => format!("{n} elements"),
    };
    let mut evidence = Vec::new();
    // Clearly better: under half the shape findings (a payload of this
    // release with a typo is as wrong in the other).
    let fits_better = match there {
        Some(there) if there * 2 < here => {
            evidence.push(format!(
                "{} unknown or wrongly shaped in {this}, {there} in {}",
                elements(here),
                other.release
            ));
            true
        }
        _ => false,
    };
    if !marked.is_empty() && there.is_none_or(|there| there <= here) {
        evidence.push(format!(
            "it claims {} profile{} {}",
            other.release,
            if marked.len() == 1 { "" } else { "s" },
            marked.join(", ")
        ));
    } else if !fits_better {
        return;
    }
    let evidence = evidence.join("; ");
    result.findings.clear();
    result.pending.clear();
    let mut finding = Outcome::finding(
        Severity::Error,
        IssueCode::Structure,
        rules::FHIR_RELEASE,
        Location::payload(
            result.resource_type.clone().unwrap_or_default(),
            result.line,
            1,
        ),
        format!(
            "This looks like FHIR {}, not {} which this run validates: {evidence}. Findings against {this} would only restate that; {}",
            other.release.describe(),
            this.describe(),
            other.release.advice()
        ),
    );
    finding.fix = Some(format!(
        "{} (or, if it is meant to be {this}, convert it)",
        other.release.advice()
    ));
    result.findings.push(finding);
}
