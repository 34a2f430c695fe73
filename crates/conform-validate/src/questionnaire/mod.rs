//! QuestionnaireResponse against its Questionnaire: what the reference
//! validator checks beyond structure (items exist, required answers,
//! answer types, options, limits).
//!
//! The response is walked in the arena [`Document`]; the Questionnaire is a
//! `serde_json::Value` from the context (or converted from a contained
//! resource). This module resolves the Questionnaire and checks the
//! response as a whole; [`items`] matches response items to questionnaire
//! items, [`answers`], [`limits`] and [`quantity`] check answers, and
//! [`enable_when`] evaluates `enableWhen`.

mod answers;
mod enable_when;
mod items;
mod limits;
mod quantity;
#[cfg(test)]
mod tests;
mod values;

use crate::context::Context;
use crate::finding::{rules, IssueCode, Severity};
use crate::plan::Plans;
use crate::terminology::Definitions;
use conform_json::{Document, NodeId};
use serde_json::Value;
use std::cmp::Ordering;
use values::{compare_dates, q_items};

/// A finding of this check, placed by the walker (paths relative to the
/// value the check started at).
pub(crate) type Issue = crate::finding::LocalIssue;

/// Checks the response at `qr` against the Questionnaire it names.
pub(crate) fn check(
    doc: &Document<'_>,
    qr: NodeId,
    plans: &Plans,
    context: &Context,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(q_node) = doc.get(qr, "questionnaire") else {
        return issues;
    };
    let Some(canonical) = doc.str(q_node) else {
        return issues;
    };
    let contained;
    let questionnaire = if let Some(id) = canonical.strip_prefix('#') {
        contained = crate::context::contained_value(doc, qr, id, "Questionnaire");
        contained.as_ref()
    } else {
        context.questionnaire(&canonical)
    };
    let Some(questionnaire) = questionnaire else {
        unresolved(&mut issues, context, q_node, &canonical);
        return issues;
    };
    let mut checker = Checker {
        doc,
        plans,
        context,
        questionnaire,
        in_progress: doc.get_str(qr, "status").as_deref() == Some("in-progress"),
        scope: vec![qr],
        issues,
    };
    checker.effective_period(qr);
    checker.items(qr, q_items(questionnaire), "");
    checker.issues
}

/// Reports a Questionnaire that cannot be found. Like the reference, this
/// is a warning (a hint for example.org URLs), since the response itself
/// may be fine; a canonical naming some other kind of resource is an error.
fn unresolved(issues: &mut Vec<Issue>, context: &Context, q_node: NodeId, canonical: &str) {
    let other = context
        .resource(canonical)
        .and_then(|r| r["resourceType"].as_str())
        .filter(|&t| t != "Questionnaire");
    if let Some(found) = other {
        issues.push(Issue {
            node: q_node,
            path: "questionnaire".into(),
            severity: Severity::Error,
            code: IssueCode::Invalid,
            rule: rules::QUESTIONNAIRE_CANONICAL_TYPE.into(),
            message: format!("The canonical URL '{canonical}' refers to a {found}, but QuestionnaireResponse.questionnaire must refer to a Questionnaire"),
            ask: None,
        });
    }
    let example =
        canonical.starts_with("http://example.org") || canonical.starts_with("https://example.org");
    issues.push(Issue {
        node: q_node,
        path: "questionnaire".into(),
        severity: if example { Severity::Information } else { Severity::Warning },
        code: IssueCode::Required,
        rule: rules::QUESTIONNAIRE_NOT_FOUND.into(),
        message: format!("The questionnaire '{canonical}' could not be resolved, so the answers cannot be checked against it"),
        ask: None,
    });
}

/// One check of one response against one Questionnaire.
/// A question about an answer's code in the item's answer value set,
/// reported under the answer rule if the server says it is not in it.
fn answer_ask(
    question: conform_outcome::terminology::CodeQuestion,
    reported: bool,
) -> crate::finding::Ask {
    crate::finding::Ask {
        questions: vec![question],
        strength: Some(conform_outcome::terminology::BindingStrength::Required),
        label: "this questionnaire item's answers".to_string(),
        not_in_rule: Some(rules::QUESTIONNAIRE_ANSWER_VALUE_SET),
        reported,
    }
}

struct Checker<'a, 'd> {
    doc: &'a Document<'d>,
    plans: &'a Plans,
    context: &'a Context,
    questionnaire: &'a Value,
    /// Missing required answers are only warnings while the response is in
    /// progress, as in the reference validator.
    in_progress: bool,
    /// The response objects (the response, items, answers) enclosing the
    /// current position, outermost first: `enableWhen` looks for its
    /// question in the nearest of them first.
    scope: Vec<NodeId>,
    issues: Vec<Issue>,
}

impl<'a> Checker<'a, '_> {
    /// Records a finding.
    fn report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &'static str,
        node: NodeId,
        path: &str,
        message: String,
    ) {
        self.issues.push(Issue {
            node,
            path: path.to_string(),
            severity,
            code,
            rule: rule.into(),
            message,
            ask: None,
        });
    }

    /// Leaves a question about an answer's code for a terminology server:
    /// reported (as not in the answer value set) only if it says so.
    fn ask(
        &mut self,
        node: NodeId,
        path: &str,
        question: conform_outcome::terminology::CodeQuestion,
    ) {
        self.issues.push(Issue {
            node,
            path: path.to_string(),
            severity: Severity::Information,
            code: IssueCode::NotSupported,
            rule: rules::BINDING_NOT_CHECKED.into(),
            message: String::new(),
            ask: Some(Box::new(answer_ask(question, false))),
        });
    }

    fn error(
        &mut self,
        code: IssueCode,
        rule: &'static str,
        node: NodeId,
        path: &str,
        message: String,
    ) {
        self.report(Severity::Error, code, rule, node, path, message);
    }

    /// An error, or a warning while the response is still in progress.
    fn unless_in_progress(&self) -> Severity {
        if self.in_progress {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    // ---- the questionnaire as a whole ---------------------------------------

    /// Warns when the response was authored outside the Questionnaire's
    /// effective period (a warning, as in the reference: the answers may
    /// still be right).
    fn effective_period(&mut self, qr: NodeId) {
        let doc = self.doc;
        let Some(node) = doc.get(qr, "authored") else {
            return;
        };
        let Some(authored) = doc.str(node) else {
            return;
        };
        let period = &self.questionnaire["effectivePeriod"];
        let before = period["start"]
            .as_str()
            .filter(|start| compare_dates(&authored, start) == Ordering::Less)
            .map(|start| format!("The response was authored on '{authored}', before the questionnaire's effective period starts ('{start}')"));
        let after = period["end"]
            .as_str()
            .filter(|end| compare_dates(&authored, end) == Ordering::Greater)
            .map(|end| format!("The response was authored on '{authored}', after the questionnaire's effective period ended ('{end}')"));
        for message in before.into_iter().chain(after) {
            let rule = rules::QUESTIONNAIRE_STATUS;
            self.report(
                Severity::Warning,
                IssueCode::Processing,
                rule,
                node,
                "authored",
                message,
            );
        }
    }
}

/// The linkId of a questionnaire item (empty when missing).
fn link_id(q_item: &Value) -> &str {
    q_item["linkId"].as_str().unwrap_or_default()
}
