//! Bindings: a coded value against the value set its element is bound to.
//! The base walk judges required bindings; a profile may bind an element
//! anew at any strength. Either way one judgement: a value is in the set
//! when any of its codes is; otherwise the first code that could not be
//! judged (its code system is not loaded) is reported as not checked, or,
//! when every code was judged, the first one as not in the set.

use super::Report;
use crate::finding::{rules, Ask, IssueCode, Severity};
use crate::plan::{Binding, ElementPlan, Plans, Strength};
use crate::terminology::{CodeSet, Membership};
use conform_json::{Document, Kind, NodeId};
use conform_outcome::terminology::{BindingStrength, CodeQuestion};
use std::borrow::Cow;

/// One code of a coded value, and where it is.
struct CodeAt<'d> {
    node: NodeId,
    /// For a CodeableConcept's codings, the coding's index: the path from
    /// the coded value to the code is written only for a finding.
    coding: Option<usize>,
    system: Option<Cow<'d, str>>,
    /// The code system version the coding names, if any.
    version: Option<Cow<'d, str>>,
    code: Cow<'d, str>,
}

/// The codes a binding judges: a code (the value itself), a Coding or
/// Quantity (its code, with its system), or a CodeableConcept (each coding
/// with both a system and a code).
fn codes_at<'d>(doc: &'d Document<'_>, node: NodeId) -> Codes<'d> {
    match doc.kind(node) {
        Kind::String => doc
            .str(node)
            .map(|code| CodeAt {
                node,
                coding: None,
                system: None,
                version: None,
                code,
            })
            .into_iter()
            .collect(),
        Kind::Object => {
            if let Some(codings) = doc.get(node, "coding") {
                let mut out = Codes::new();
                for (i, &c) in doc.elements(codings).iter().enumerate() {
                    let (Some(system), Some(at)) = (doc.get_str(c, "system"), doc.get(c, "code"))
                    else {
                        continue;
                    };
                    let Some(code) = doc.str(at) else { continue };
                    out.push(CodeAt {
                        node: at,
                        coding: Some(i),
                        system: Some(system),
                        version: doc.get_str(c, "version"),
                        code,
                    });
                }
                return out;
            }
            let Some(at) = doc.get(node, "code") else {
                return Codes::new();
            };
            doc.str(at)
                .map(|code| CodeAt {
                    node: at,
                    coding: None,
                    system: doc.get_str(node, "system"),
                    version: doc.get_str(node, "version"),
                    code,
                })
                .into_iter()
                .collect()
        }
        _ => Codes::new(),
    }
}

/// Checks the value of an element of the base definition against its
/// binding, when that is required (other strengths are for profiles).
pub(crate) fn check_required(
    r: &mut impl Report,
    plans: &Plans,
    doc: &Document<'_>,
    node: NodeId,
    el: &ElementPlan,
) {
    let Some(b) = el
        .binding
        .as_ref()
        .filter(|b| b.strength == Strength::Required)
    else {
        return;
    };
    check(r, plans, doc, node, b, &el.path);
}

impl CodeAt<'_> {
    /// Path from the coded value to the code (`coding[1].code`).
    fn extra(&self) -> Option<String> {
        self.coding.map(|i| format!("coding[{i}].code"))
    }
}

/// The codes of one coded value: most have one.
type Codes<'d> = smallvec::SmallVec<[CodeAt<'d>; 2]>;

/// Whether a coded value is in a bound value set: `Some(true)` when one of
/// its codes is, `Some(false)` when every code is known not to be, `None`
/// when it cannot be told offline (for slices discriminated by binding).
pub(crate) fn in_value_set(
    plans: &Plans,
    doc: &Document<'_>,
    node: NodeId,
    b: &Binding,
) -> Option<bool> {
    let set = b.code_set.map(|i| &plans.code_sets[i as usize])?;
    let mut unknown = false;
    for c in codes_at(doc, node) {
        let membership = match &c.system {
            Some(s) => set.contains_coding(s, &c.code),
            None => set.contains_code(&c.code),
        };
        match membership {
            Membership::In => return Some(true),
            Membership::Unknown => unknown = true,
            Membership::NotIn => {}
        }
    }
    (!unknown).then_some(false)
}

/// Checks a coded value against a binding; `label` names the element in
/// the message.
pub(crate) fn check(
    r: &mut impl Report,
    plans: &Plans,
    doc: &Document<'_>,
    node: NodeId,
    b: &Binding,
    label: &str,
) {
    let Some(set) = b.code_set.map(|i| &plans.code_sets[i as usize]) else {
        return;
    };
    let codes = codes_at(doc, node);
    let mut unknown = Vec::new();
    let mut bad = None;
    for (i, c) in codes.iter().enumerate() {
        let membership = match &c.system {
            Some(s) => set.contains_coding(s, &c.code),
            None => set.contains_code(&c.code),
        };
        match membership {
            Membership::In => return,
            Membership::Unknown => unknown.push(i),
            Membership::NotIn => bad = bad.or(Some(i)),
        }
    }
    if !unknown.is_empty() {
        ask_server(r, &codes, &unknown, set, b.strength, label);
    } else if let Some(c) = bad.map(|i| &codes[i]) {
        not_in(r, c, set, b.strength, label);
    }
}

/// Codes of a required or extensible binding that the loaded packages
/// cannot judge go to the terminology server, if there is one; a required
/// binding reports "not checked" until it answers.
fn ask_server(
    r: &mut impl Report,
    codes: &[CodeAt<'_>],
    unknown: &[usize],
    set: &CodeSet,
    strength: Strength,
    label: &str,
) {
    let strength = match strength {
        Strength::Required => BindingStrength::Required,
        Strength::Extensible => BindingStrength::Extensible,
        Strength::Preferred | Strength::Example => return,
    };
    let first = &codes[unknown[0]];
    let placeholder = (strength == BindingStrength::Required).then(|| {
        (
            Severity::Information,
            IssueCode::NotSupported,
            rules::BINDING_NOT_CHECKED,
            not_checked_message(first, set, label),
        )
    });
    // A bare code (a `code` element) is asked in the one system of the
    // set that could hold it, as the HL7 validator infers it; with more
    // than one, there is nothing to ask.
    let inferred = set.only_unknown_system();
    let questions: Vec<CodeQuestion> = unknown
        .iter()
        .map(|&i| &codes[i])
        .filter_map(|c| {
            Some(CodeQuestion {
                value_set: Some(set.url.clone()),
                system: c.system.as_deref().or(inferred)?.to_string(),
                version: c.version.as_deref().map(str::to_string),
                code: c.code.to_string(),
                display: None,
            })
        })
        .collect();
    if questions.is_empty() {
        if let Some((severity, code, rule, message)) = placeholder {
            r.report(
                severity,
                code,
                rule,
                first.node,
                first.extra().as_deref(),
                message,
            );
        }
        return;
    }
    let ask = Ask {
        questions,
        strength: Some(strength),
        label: label.to_string(),
        not_in_rule: None,
        reported: placeholder.is_some(),
    };
    r.ask(first.node, first.extra().as_deref(), ask, placeholder);
}

/// Whether the base walk has already judged a profile's binding: the base
/// element is bound, required, to the same value set.
pub(crate) fn base_decides(base: Option<&ElementPlan>, b: &Binding) -> bool {
    let unversioned = |vs: &str| vs.split('|').next().unwrap_or_default().to_string();
    base.and_then(|e| e.binding.as_ref()).is_some_and(|base| {
        base.strength == Strength::Required
            && base.code_set.is_some()
            && unversioned(&base.value_set) == unversioned(&b.value_set)
    })
}

fn shown(c: &CodeAt<'_>) -> String {
    match &c.system {
        Some(s) => format!("'{s}#{}'", c.code),
        None => format!("'{}'", c.code),
    }
}

fn not_in(r: &mut impl Report, c: &CodeAt<'_>, set: &CodeSet, strength: Strength, label: &str) {
    let (severity, rule, bound) = match strength {
        Strength::Required => (Severity::Error, rules::BINDING_REQUIRED, "required for"),
        Strength::Extensible => (
            Severity::Warning,
            rules::BINDING_EXTENSIBLE,
            "bound (extensible) to",
        ),
        Strength::Preferred => (
            Severity::Information,
            rules::BINDING_PREFERRED,
            "bound (preferred) to",
        ),
        Strength::Example => (
            Severity::Information,
            rules::BINDING_PREFERRED,
            "bound (example) to",
        ),
    };
    let message = format!(
        "The code {} is not in the value set {} {bound} {label}",
        shown(c),
        set.url
    );
    r.report(
        severity,
        IssueCode::CodeInvalid,
        rule,
        c.node,
        c.extra().as_deref(),
        message,
    );
}

fn not_checked_message(c: &CodeAt<'_>, set: &CodeSet, label: &str) -> String {
    let why = set
        .unresolved
        .as_deref()
        .unwrap_or("its code system is not in the loaded packages");
    format!(
        "The code {} was not checked against the value set {} required for {label}: {why}",
        shown(c),
        set.url
    )
}
