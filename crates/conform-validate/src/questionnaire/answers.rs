//! One answer: its value's type against the item's type, then membership in
//! the item's `answerOption` list or `answerValueSet`, then the limits of
//! [`super::limits`] and [`super::quantity`], then the items nested under it.

use super::values::{answer_value, choice, display_value, join, number, q_items, AnswerValue};
use super::{link_id, Checker};
use crate::context::Context;
use crate::describe::with_article;
use crate::finding::{rules, IssueCode, Severity};
use crate::terminology::{self, CodeSet, Definitions, Membership};
use conform_json::{Document, NodeId};
use serde_json::Value;

/// The answer value types each item type accepts (R4 `item.type`).
fn accepted(item_type: &str) -> Option<&'static [&'static str]> {
    Some(match item_type {
        "boolean" => &["boolean"],
        "decimal" => &["decimal"],
        "integer" => &["integer"],
        "date" => &["date"],
        "dateTime" => &["dateTime"],
        "time" => &["time"],
        "string" | "text" => &["string"],
        "url" => &["uri"],
        "attachment" => &["Attachment"],
        "reference" => &["Reference"],
        "quantity" => &["Quantity"],
        "choice" | "open-choice" => &["Coding", "date", "time", "integer", "string"],
        _ => return None,
    })
}

impl<'a> Checker<'a, '_> {
    /// Checks one answer of an item of type `ty`.
    pub(super) fn answer(&mut self, answer: NodeId, q_item: &'a Value, ty: &str, path: &str) {
        let no_answers = match ty {
            "group" => Some("a group, so it cannot have answers: its questions go in its items"),
            "display" => Some("a display item (text shown to the user), so it cannot have answers"),
            _ => None,
        };
        if let Some(why) = no_answers {
            let message = format!("The item '{}' is {why}", link_id(q_item));
            self.error(
                IssueCode::Structure,
                rules::QUESTIONNAIRE_ITEM_STRUCTURE,
                answer,
                path,
                message,
            );
            return;
        }
        if let Some(value) = answer_value(self.doc, answer) {
            let value_path = join(path, &format!("value.ofType({})", value.ty));
            if self.answer_type(q_item, ty, value, &value_path) {
                self.answer_value(q_item, ty, value, &value_path);
            }
        }
        // Questions keep their sub-items under each answer; required ones
        // are checked for every answer, as the reference does.
        self.scope.push(answer);
        self.items(answer, q_items(q_item), path);
        self.scope.pop();
    }

    /// Whether the value's type suits the item; reports it when not.
    fn answer_type(&mut self, q_item: &Value, ty: &str, value: AnswerValue, path: &str) -> bool {
        let Some(types) = accepted(ty) else {
            return false;
        };
        if types.contains(&value.ty) {
            return true;
        }
        let wanted = match types {
            [one] => with_article(one),
            many => format!("one of {}", many.join(", ")),
        };
        let message = format!(
            "The item '{}' is of type {ty}, so its answer must be {wanted}, not {}",
            link_id(q_item),
            with_article(value.ty)
        );
        self.error(
            IssueCode::Structure,
            rules::QUESTIONNAIRE_ANSWER_TYPE,
            value.node,
            path,
            message,
        );
        false
    }

    /// The checks that depend on the value's type.
    fn answer_value(&mut self, q_item: &'a Value, ty: &str, value: AnswerValue, path: &str) {
        let open = ty == "open-choice";
        let has_options = q_item["answerOption"]
            .as_array()
            .is_some_and(|o| !o.is_empty());
        if ty == "string" && value.ty == "string" {
            self.single_line(q_item, value.node, path);
        }
        match value.ty {
            "Coding" if has_options => self.coding_option(q_item, value.node, path),
            "Coding" => {
                if let Some(url) = q_item["answerValueSet"].as_str() {
                    self.coding_in_value_set(url, value.node, path);
                }
            }
            "string" if open => self.free_text_like_option(q_item, value.node, path),
            "string" if has_options => self.option(q_item, value, path),
            "string" => {
                if let Some(url) = q_item["answerValueSet"].as_str() {
                    self.string_in_value_set(url, value.node, path);
                }
            }
            "integer" | "date" | "time" if has_options => self.option(q_item, value, path),
            _ => {}
        }
        self.limits(q_item, value, path);
    }

    /// A `string` item takes one line; answers with line breaks belong to
    /// `text` items (a warning, as in the reference).
    fn single_line(&mut self, q_item: &Value, node: NodeId, path: &str) {
        if !self.doc.str(node).is_some_and(|s| s.contains(['\n', '\r'])) {
            return;
        }
        let message = format!(
            "The answer to the string item '{}' contains a line break: string items take one line (a text item allows more)",
            link_id(q_item)
        );
        self.report(
            Severity::Warning,
            IssueCode::Invariant,
            rules::QUESTIONNAIRE_ANSWER_TYPE,
            node,
            path,
            message,
        );
    }

    // ---- answerOption ---------------------------------------------------------

    /// A Coding answer must be one of the item's Coding options (by system
    /// and code), even for open-choice items, whose free text goes in
    /// valueString.
    fn coding_option(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let doc = self.doc;
        let system = doc.get_str(node, "system");
        let code = doc.get_str(node, "code");
        let options: Vec<&Value> = options_of(q_item, "Coding").collect();
        let found = options.iter().any(|o| {
            o["system"].as_str() == system.as_deref() && o["code"].as_str() == code.as_deref()
        });
        if found {
            return;
        }
        let coding = format!(
            "{}#{}",
            system.as_deref().unwrap_or_default(),
            code.as_deref().unwrap_or_default()
        );
        let message = if options.is_empty() {
            format!("The item '{}' has no Coding answer options, so the answer {coding} cannot be one of them", link_id(q_item))
        } else {
            format!(
                "The answer {coding} is not one of the answer options of the item '{}'",
                link_id(q_item)
            )
        };
        self.error(
            IssueCode::CodeInvalid,
            rules::QUESTIONNAIRE_ANSWER_OPTION,
            node,
            path,
            message,
        );
    }

    /// An integer, date, time or string answer must equal one of the item's
    /// options of the same type.
    fn option(&mut self, q_item: &Value, value: AnswerValue, path: &str) {
        let doc = self.doc;
        let suffix = option_suffix(value.ty);
        let given = match value.ty {
            "integer" => number(doc, value.node).map(|n| n.to_string()),
            _ => doc.str(value.node).map(|s| s.into_owned()),
        };
        let Some(given) = given else { return };
        let options: Vec<String> = options_of(q_item, suffix)
            .map(|v| match v.as_f64().filter(|_| value.ty == "integer") {
                Some(n) => n.to_string(),
                None => display_value(v),
            })
            .collect();
        if options.contains(&given) {
            return;
        }
        let message = if options.is_empty() {
            format!("The item '{}' has no {} answer options, so the answer '{given}' cannot be one of them", link_id(q_item), value.ty)
        } else {
            format!(
                "The {} '{given}' is not one of the answer options of the item '{}' ({})",
                value.ty,
                link_id(q_item),
                options.join(", ")
            )
        };
        self.error(
            IssueCode::CodeInvalid,
            rules::QUESTIONNAIRE_ANSWER_OPTION,
            value.node,
            path,
            message,
        );
    }

    /// Free text for an open-choice item that matches one of its Coding
    /// options was probably meant to be that Coding (a warning, as in the
    /// reference).
    fn free_text_like_option(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let Some(text) = self.doc.str(node) else {
            return;
        };
        let matches = options_of(q_item, "Coding")
            .any(|o| o["display"].as_str() == Some(&*text) || o["code"].as_str() == Some(&*text));
        if matches {
            let message = format!("The free-text answer '{text}' matches one of the Coding options of the item '{}': it should probably be given as that Coding", link_id(q_item));
            self.report(
                Severity::Warning,
                IssueCode::Value,
                rules::QUESTIONNAIRE_ANSWER_OPTION,
                node,
                path,
                message,
            );
        }
    }

    // ---- answerValueSet --------------------------------------------------------

    /// A Coding answer must be in the item's answer value set, with a display
    /// that matches its code system when we hold it.
    fn coding_in_value_set(&mut self, url: &str, node: NodeId, path: &str) {
        let doc = self.doc;
        let Some(set) = self.answer_set(url, node, path) else {
            // The warning just reported stands until a terminology server,
            // which may hold the value set, answers.
            let system = doc.get_str(node, "system");
            if let Some(question) = answer_question(doc, node, url, system) {
                if let Some(last) = self.issues.last_mut() {
                    last.ask = Some(Box::new(super::answer_ask(question, true)));
                }
            }
            return;
        };
        let Some(code) = doc.get_str(node, "code") else {
            return;
        };
        let system = doc.get_str(node, "system");
        let membership = match system.as_deref() {
            Some(s) => set.contains_coding(s, &code),
            None => set.contains_code(&code),
        };
        match membership {
            Membership::In => {
                if let Some(s) = system.as_deref() {
                    self.display(s, &code, node, path);
                }
            }
            Membership::NotIn => {
                let coding = format!("{}#{code}", system.as_deref().unwrap_or_default());
                let message = format!("The answer {coding} is not in the value set {url} that the questionnaire gives for this item");
                self.error(
                    IssueCode::CodeInvalid,
                    rules::QUESTIONNAIRE_ANSWER_VALUE_SET,
                    node,
                    path,
                    message,
                );
            }
            // Not judged here: a terminology server may (a canonical value
            // set over SNOMED CT, say); nothing is reported unless it does.
            Membership::Unknown => {
                let system = system.or_else(|| set.only_unknown_system().map(Into::into));
                if let Some(question) = answer_question(doc, node, url, system) {
                    self.ask(node, path, question);
                }
            }
        }
    }

    /// A string answer to an item with an answer value set must be one of
    /// its codes (checked only when the set is fully known).
    fn string_in_value_set(&mut self, url: &str, node: NodeId, path: &str) {
        let Some(set) = self.answer_set(url, node, path) else {
            return;
        };
        let Some(text) = self.doc.str(node) else {
            return;
        };
        if set.contains_code(&text) == Membership::NotIn {
            let message = format!("The answer '{text}' is not a code of the value set {url} that the questionnaire gives for this item");
            self.error(
                IssueCode::CodeInvalid,
                rules::QUESTIONNAIRE_ANSWER_VALUE_SET,
                node,
                path,
                message,
            );
        }
    }

    /// The codes of an answer value set (`#id` for one contained in the
    /// questionnaire); warns and returns `None` when it cannot be found.
    pub(super) fn answer_set(&mut self, url: &str, node: NodeId, path: &str) -> Option<CodeSet> {
        let set = if url.starts_with('#') {
            let defs = WithContained {
                questionnaire: self.questionnaire,
                context: self.context,
            };
            terminology::expand(&defs, url)
        } else {
            self.context.value_set(self.plans, url)
        };
        let Some(why) = &set.unresolved else {
            return Some(set);
        };
        let message = format!("The value set '{url}' named by the questionnaire could not be expanded ({why}), so the answer was not checked against it");
        self.report(
            Severity::Warning,
            IssueCode::CodeInvalid,
            rules::QUESTIONNAIRE_ANSWER_VALUE_SET,
            node,
            path,
            message,
        );
        None
    }

    /// A Coding's display must be one its code system gives the code (any
    /// designation, ignoring case), when we hold the system. Where the walk
    /// judges every Coding's display against the system (one whose codes
    /// the plans list), it is left to the walk: one defect, one finding.
    fn display(&mut self, system: &str, code: &str, node: NodeId, path: &str) {
        if self.context.system_codes(system).is_some() {
            return;
        }
        let Some(display_node) = self.doc.get(node, "display") else {
            return;
        };
        let Some(display) = self.doc.str(display_node) else {
            return;
        };
        let code_system = self
            .context
            .resource(system)
            .filter(|r| r["resourceType"] == "CodeSystem");
        let Some(concept) = code_system.and_then(|cs| find_concept(&cs["concept"], code)) else {
            return;
        };
        let Some(preferred) = concept["display"].as_str() else {
            return;
        };
        let designations = concept["designation"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["value"].as_str());
        if std::iter::once(preferred)
            .chain(designations)
            .any(|d| d.eq_ignore_ascii_case(display.trim()))
        {
            return;
        }
        let message = format!("Wrong display '{display}' for {system}#{code}: the code system's display is '{preferred}'");
        self.error(
            IssueCode::Invalid,
            rules::QUESTIONNAIRE_DISPLAY,
            display_node,
            &join(path, "display"),
            message,
        );
    }
}

/// The `value[x]` suffix of answer options for an answer value type.
fn option_suffix(ty: &str) -> &'static str {
    match ty {
        "integer" => "Integer",
        "date" => "Date",
        "time" => "Time",
        "string" => "String",
        "Coding" => "Coding",
        _ => "",
    }
}

/// The item's answer option values of one type (`Coding`, `Integer`...).
fn options_of<'v>(q_item: &'v Value, suffix: &'static str) -> impl Iterator<Item = &'v Value> {
    q_item["answerOption"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| choice(o, "value"))
        .filter(move |(t, _)| *t == suffix)
        .map(|(_, v)| v)
}

/// A concept by code in a CodeSystem's (nested) concept list.
fn find_concept<'v>(concepts: &'v Value, code: &str) -> Option<&'v Value> {
    concepts.as_array()?.iter().find_map(|c| {
        if c["code"] == *code {
            Some(c)
        } else {
            find_concept(&c["concept"], code)
        }
    })
}

/// Definitions that also resolve `#id` to a resource contained in the
/// questionnaire, for answer value sets defined inline.
struct WithContained<'a> {
    questionnaire: &'a Value,
    context: &'a Context,
}

impl Definitions for WithContained<'_> {
    fn resource(&self, canonical: &str) -> Option<&Value> {
        match canonical.strip_prefix('#') {
            Some(id) => self.questionnaire["contained"]
                .as_array()?
                .iter()
                .find(|r| r["id"] == *id),
            None => self.context.resource(canonical),
        }
    }
}

/// The question for a terminology server about a Coding answer in the
/// answer value set `url`: none for a contained value set (`#id`, which no
/// server holds) or an answer without a code or system.
fn answer_question(
    doc: &Document<'_>,
    node: NodeId,
    url: &str,
    system: Option<std::borrow::Cow<'_, str>>,
) -> Option<conform_outcome::terminology::CodeQuestion> {
    if url.starts_with('#') {
        return None;
    }
    Some(conform_outcome::terminology::CodeQuestion {
        value_set: Some(url.to_string()),
        system: system?.into_owned(),
        version: doc.get_str(node, "version").map(|v| v.into_owned()),
        code: doc.get_str(node, "code")?.into_owned(),
        display: None,
    })
}
