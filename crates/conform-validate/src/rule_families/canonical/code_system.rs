//! A CodeSystem as the reference validator's CodeSystem checks judge it:
//!
//! - a supplement (R4 CodeSystem.supplements and content `supplement`)
//!   adds designations and properties to the concepts of the code system
//!   it names, so it must say which one, say it is a supplement, and leave
//!   case sensitivity to that system;
//! - `count` is the number of concepts, at any depth, when the content is
//!   `complete`, and more than a fragment or example holds; content
//!   `not-present` has no concepts, and `complete` content some;
//! - a designation with no use in the system's language is another display,
//!   so it should be the display;
//! - its properties ([`super::code_system_properties`]).

use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::{Document, NodeId};
use rustc_hash::FxHashSet as HashSet;

impl Walker<'_> {
    pub(crate) fn code_system(&mut self, node: NodeId) {
        let doc = self.doc;
        let supplements = doc.get_str(node, "supplements");
        let content = doc.get(node, "content");
        let is_supplement_content =
            content.and_then(|c| doc.str(c)).as_deref() == Some("supplement");
        let mut found: Vec<(NodeId, &str, String)> = Vec::new();
        match (&supplements, is_supplement_content) {
            (Some(base), false) => {
                if let Some(c) = content {
                    found.push((c, "content", format!("This CodeSystem supplements {base}, so its content must be 'supplement'")));
                }
            }
            (None, true) => {
                let c = content.unwrap_or(node);
                found.push((c, "content", "This CodeSystem's content is 'supplement', but it does not say which code system it supplements (supplements)".to_string()));
            }
            _ => {}
        }
        if supplements.is_some() {
            if let Some(cs) = doc.get(node, "caseSensitive") {
                found.push((cs, "caseSensitive", "A supplement takes its case sensitivity from the code system it supplements, so it should not state caseSensitive".to_string()));
            }
        }
        for (at, element, message) in found {
            self.report(
                Severity::Error,
                IssueCode::BusinessRule,
                rules::CODE_SYSTEM_SUPPLEMENT,
                at,
                Some(element),
                message,
            );
        }
        // one pass for what needs each concept once: codes, the count,
        // designations
        let mut codes = HashSet::default();
        let mut count = 0;
        let language = doc.get_str(node, "language");
        let mut clashes = Vec::new();
        super::code_system_properties::for_each_concept(doc, node, &mut |c, at| {
            count += 1;
            if let Some(code) = doc.get_str(c, "code") {
                codes.insert(code);
            }
            designations(doc, c, language.as_deref(), |d, i, message| {
                let path = super::code_system_properties::concept_path(at);
                clashes.push((d, format!("{path}.designation[{i}]"), message));
            });
        });
        let content = content.and_then(|c| doc.str(c));
        self.code_system_count(node, content.as_deref(), count);
        for (designation, path, message) in clashes {
            self.report(
                Severity::Warning,
                IssueCode::BusinessRule,
                rules::CODE_SYSTEM_DESIGNATION,
                designation,
                Some(&path),
                message,
            );
        }
        self.code_system_properties(node, &codes, supplements.is_some() || is_supplement_content);
    }

    /// `count` against the `concepts` counted at any depth, and content
    /// that says whether there are any.
    fn code_system_count(&mut self, node: NodeId, content: Option<&str>, concepts: usize) {
        let doc = self.doc;
        let mut found: Vec<(Severity, NodeId, Option<&str>, String)> = Vec::new();
        if concepts == 0 && content == Some("complete") {
            found.push((
                Severity::Warning,
                node,
                None,
                "This CodeSystem says its content is complete, but it has no concepts".to_string(),
            ));
        }
        let stated = doc.get(node, "count");
        if let (Some(at), Some(content)) = (stated, content) {
            if let Some(stated) = doc.raw(at).and_then(|r| r.parse::<u64>().ok()) {
                let actual = concepts as u64;
                match content {
                    "complete" if actual != stated => found.push((Severity::Error, at, Some("count"), format!(
                        "The content is complete, so count should be the number of concepts, {actual}, not {stated}"))),
                    "example" | "fragment" if actual >= stated => found.push((Severity::Warning, at, Some("count"), format!(
                        "The content is a {content}, so count ({stated}) should be more than the {actual} concepts it holds"))),
                    _ => {}
                }
            }
        }
        if content == Some("not-present") {
            if let Some(first) = super::items(doc, node, "concept").next() {
                found.push((
                    Severity::Error,
                    first,
                    Some("concept[0]"),
                    "The content is not-present, so the CodeSystem should hold no concepts"
                        .to_string(),
                ));
            }
        }
        for (severity, at, element, message) in found {
            self.report(
                severity,
                IssueCode::Invalid,
                rules::CODE_SYSTEM_COUNT,
                at,
                element,
                message,
            );
        }
    }
}

/// The designations of `concept` with no use, in the system's language
/// (`language`; or with neither language stated), whose value is not the
/// concept's display: such a designation reads as the display itself,
/// given twice and differently. `found` takes each one's node, its index
/// and the message.
fn designations(
    doc: &Document<'_>,
    concept: NodeId,
    language: Option<&str>,
    mut found: impl FnMut(NodeId, usize, String),
) {
    let Some(display) = doc.get_str(concept, "display") else {
        return;
    };
    for (i, d) in super::items(doc, concept, "designation").enumerate() {
        if doc.get(d, "use").is_some() {
            continue;
        }
        let own = doc.get_str(d, "language");
        let same_language = match (language, own.as_deref()) {
            (None, None) => true,
            (Some(system), own) => own.is_none_or(|own| own == system),
            (None, Some(_)) => false,
        };
        let Some(value) = doc.get_str(d, "value") else {
            continue;
        };
        if same_language && value != display {
            let language = language.map_or(String::new(), |l| format!(" ('{l}')"));
            found(d, i, format!(
                "The designation '{value}' has no use and is in the CodeSystem's own language{language}, so it reads as a second display, but it differs from the display '{display}'"));
        }
    }
}
