//! A terminology server's answers turned into findings. The walk leaves a
//! question wherever the loaded packages cannot judge a code (a binding to
//! a value set with SNOMED CT, a Coding in a system nobody loads); once a
//! batch of resources has been walked, its distinct questions go to the
//! [`CodeChecker`] together, and each answer replaces the question's
//! "not checked" placeholder with a verdict — or, when the server could not
//! decide, keeps it with the server's reason. A question is never decided
//! by a failure: an outage leaves codes unverified, it never fails them.

use crate::finding::{rules, IssueCode, Outcome, Severity};
use crate::Options;
use conform_outcome::terminology::{
    BindingStrength, CodeAnswer, CodeChecker, CodeQuestion, PendingCode, Verdict,
};
use conform_outcome::validate::ResourceResult;
use rustc_hash::FxHashMap;

/// Answers the pending questions of `results` (all at once) and reports
/// the answers; without a checker the placeholders stay as they are.
pub(crate) fn settle(
    checker: Option<&dyn CodeChecker>,
    options: &Options,
    definitions: &(dyn crate::terminology::Definitions + Sync),
    results: &mut [ResourceResult],
) {
    let Some(checker) = checker else {
        results.iter_mut().for_each(|r| r.pending.clear());
        return;
    };
    let mut index: FxHashMap<CodeQuestion, usize> = FxHashMap::default();
    let mut questions = Vec::new();
    for q in results
        .iter()
        .flat_map(|r| &r.pending)
        .flat_map(|p| &p.questions)
    {
        index.entry(q.clone()).or_insert_with(|| {
            questions.push(q.clone());
            questions.len() - 1
        });
    }
    if questions.is_empty() {
        return;
    }
    // A value set the server may not hold goes with the question.
    let value_set = |canonical: &str| {
        definitions
            .resource(canonical)
            .or_else(|| definitions.resource(canonical.split('|').next().unwrap_or_default()))
            .filter(|vs| vs["resourceType"] == "ValueSet")
            .cloned()
    };
    let mut answers = checker.check_with(&questions, &value_set);
    // A checker that answers short leaves the rest undecided, never passed.
    answers.resize_with(questions.len(), || {
        CodeAnswer::not_checked("the terminology checker gave no answer")
    });
    for r in results.iter_mut() {
        for p in std::mem::take(&mut r.pending) {
            let answered: Vec<&CodeAnswer> =
                p.questions.iter().map(|q| &answers[index[q]]).collect();
            report(r, p, &answered, options);
        }
    }
}

/// What one question's answers come to.
enum Settled {
    /// Decided; these findings (none when the code passed).
    Decided(Vec<Outcome>),
    /// Not decided, for this reason.
    Open(String),
}

fn report(r: &mut ResourceResult, p: PendingCode, answers: &[&CodeAnswer], options: &Options) {
    let settled = match p.strength {
        None => code_in_system(&p, answers[0], options),
        Some(strength) => in_value_set(&p, answers, strength, options),
    };
    r.findings.extend(unknown_versions(&p, answers));
    let at = p
        .placeholder
        .as_ref()
        .and_then(|ph| r.findings.iter().position(|f| f == ph));
    match settled {
        Settled::Decided(found) => {
            r.codes_verified += 1;
            match at {
                Some(i) => {
                    r.findings.splice(i..=i, found);
                }
                None => r.findings.extend(found),
            }
        }
        Settled::Open(why) => {
            if let Some(i) = at {
                let f = &mut r.findings[i];
                f.message = format!(
                    "{} (the terminology server could not decide: {why})",
                    f.message
                );
            }
        }
    }
}

/// A Coding in a system the packages do not hold: does the code exist,
/// is its display one of the concept's, is it active?
fn code_in_system(p: &PendingCode, a: &CodeAnswer, options: &Options) -> Settled {
    let q = &p.questions[0];
    let finding = |severity, rule, message: String| {
        Outcome::finding(
            severity,
            IssueCode::CodeInvalid,
            rule,
            p.location.clone(),
            message,
        )
    };
    match a.verdict {
        Verdict::NotChecked => Settled::Open(reason(a)),
        Verdict::InvalidCode => Settled::Decided(vec![finding(
            Severity::Error,
            rules::CODE_INVALID,
            format!(
                "Unknown code '{}' in the code system {}{}",
                q.code,
                system_label(q, a),
                server_says(a)
            ),
        )]),
        Verdict::Valid | Verdict::NotInValueSet => {
            let mut found = Vec::new();
            if a.display_valid == Some(false) {
                let severity = if options.display_issues_are_warnings {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                let expected = a
                    .display
                    .as_deref()
                    .map(|d| format!(": the display is '{d}'"))
                    .unwrap_or_default();
                found.push(finding(
                    severity,
                    rules::CODE_DISPLAY,
                    format!(
                        "Wrong display '{}' for {}{expected}",
                        q.display.as_deref().unwrap_or_default(),
                        q.coding_label()
                    ),
                ));
            }
            if a.inactive {
                found.push(finding(
                    Severity::Warning,
                    rules::CODE_INACTIVE,
                    format!(
                        "The concept {} is inactive in {}: its use should be reviewed",
                        q.coding_label(),
                        system_label(q, a)
                    ),
                ));
            }
            Settled::Decided(found)
        }
    }
}

/// A value bound to a value set the packages cannot expand: in when any of
/// its codings is, out when the server says none is.
fn in_value_set(
    p: &PendingCode,
    answers: &[&CodeAnswer],
    strength: BindingStrength,
    options: &Options,
) -> Settled {
    if answers.iter().any(|a| a.verdict == Verdict::Valid) {
        return Settled::Decided(Vec::new());
    }
    if let Some(open) = answers.iter().find(|a| a.verdict == Verdict::NotChecked) {
        return Settled::Open(reason(open));
    }
    let (severity, rule, bound) = match strength {
        BindingStrength::Required => (Severity::Error, rules::BINDING_REQUIRED, "required for"),
        BindingStrength::Extensible if options.extensible_binding_warnings => (
            Severity::Warning,
            rules::BINDING_EXTENSIBLE,
            "bound (extensible) to",
        ),
        BindingStrength::Extensible => return Settled::Decided(Vec::new()),
    };
    let (q, a) = (&p.questions[0], answers[0]);
    let value_set = q.value_set.as_deref().unwrap_or_default();
    Settled::Decided(vec![Outcome::finding(
        severity,
        IssueCode::CodeInvalid,
        p.not_in_rule.unwrap_or(rule),
        p.location.clone(),
        format!(
            "The code '{}' is not in the value set {value_set} {bound} {}{}",
            q.coding_label(),
            p.label,
            server_says(a)
        ),
    )])
}

/// A coding that names a version of its code system the server does not
/// know (it knows the system): the code could not be checked, and the
/// version named may be wrong. Only the payload's own versions: one the
/// configuration chose (a SNOMED CT edition) is the configuration's
/// problem, said by `conform doctor`.
fn unknown_versions(p: &PendingCode, answers: &[&CodeAnswer]) -> Vec<Outcome> {
    p.questions
        .iter()
        .zip(answers)
        .filter(|(q, a)| {
            q.version.is_some()
                && a.verdict == Verdict::NotChecked
                && a.unknown_system.as_deref().is_some_and(|s| s.contains('|'))
        })
        .map(|(q, a)| {
            Outcome::finding(
                Severity::Warning,
                IssueCode::NotFound,
                rules::CODE_SYSTEM_VERSION,
                p.location.clone(),
                format!(
                    "The terminology server does not know version {} of the code system {}, so the code '{}' was not checked against it{}",
                    q.version.as_deref().unwrap_or_default(),
                    q.system,
                    q.code,
                    server_says(a)
                ),
            )
        })
        .collect()
}

fn reason(a: &CodeAnswer) -> String {
    a.message
        .clone()
        .unwrap_or_else(|| "no reason given".to_string())
}

fn server_says(a: &CodeAnswer) -> String {
    a.message
        .as_deref()
        .map(|m| format!(" (terminology server: {m})"))
        .unwrap_or_default()
}

fn system_label(q: &CodeQuestion, a: &CodeAnswer) -> String {
    match a.system_version.as_deref().or(q.version.as_deref()) {
        Some(v) => format!("{} version {v}", q.system),
        None => q.system.clone(),
    }
}
