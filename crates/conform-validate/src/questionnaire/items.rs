//! Response items against questionnaire items: matching by linkId (unknown,
//! misplaced, out of order, repeated), required items and answers, the
//! number of answers, and where sub-items may go.

use super::enable_when::Enablement;
use super::values::{self, elements, join, q_items};
use super::{link_id, Checker};
use crate::finding::{rules, IssueCode};
use conform_json::{Document, NodeId};
use serde_json::Value;

impl<'a> Checker<'a, '_> {
    /// Matches the response items under `parent` (the response, an item or an
    /// answer) to the questionnaire items that belong there, then checks
    /// each questionnaire item: present ones in detail, missing ones for
    /// `required`.
    pub(super) fn items(&mut self, parent: NodeId, q_items: &'a [Value], path: &str) {
        let present = self.match_items(parent, q_items, path);
        for (q_item, found) in q_items.iter().zip(present) {
            let enablement = self.enablement(q_item);
            if found.is_empty() {
                self.missing(q_item, enablement, parent, path);
                continue;
            }
            if found.len() > 1 && q_item["repeats"] != true {
                let (second, i) = found[1];
                let message = format!(
                    "The item '{}' does not repeat, but the response has it {} times",
                    link_id(q_item),
                    found.len()
                );
                self.error(
                    IssueCode::Structure,
                    rules::QUESTIONNAIRE_REPEATS,
                    second,
                    &join(path, &format!("item[{i}]")),
                    message,
                );
            }
            for (node, i) in found {
                let item_path = join(path, &format!("item[{i}]"));
                if enablement == Enablement::Disabled && has_answers(self.doc, node) {
                    let message = format!("The item '{}' has answers, but its enableWhen conditions are not met, so it should not have been answered", link_id(q_item));
                    self.error(
                        IssueCode::Invalid,
                        rules::QUESTIONNAIRE_NOT_ENABLED,
                        node,
                        &item_path,
                        message,
                    );
                }
                self.item(node, q_item, enablement, &item_path);
            }
        }
    }

    /// Pairs each response item under `parent` with its questionnaire item
    /// (by linkId), reporting unknown, misplaced and out-of-order items.
    /// Returns, per questionnaire item, the response items and their indexes.
    fn match_items(
        &mut self,
        parent: NodeId,
        q_items: &'a [Value],
        path: &str,
    ) -> Vec<Vec<(NodeId, usize)>> {
        let doc = self.doc;
        let mut present = vec![Vec::new(); q_items.len()];
        let mut last = 0;
        for (i, &node) in elements(doc, parent, "item").iter().enumerate() {
            // A missing linkId is a cardinality error the walker reports.
            let Some(link) = doc.get_str(node, "linkId") else {
                continue;
            };
            let item_path = join(path, &format!("item[{i}]"));
            match q_items.iter().position(|q| q["linkId"] == *link) {
                Some(pos) => {
                    if pos < last {
                        let message = format!("The item '{link}' is out of order: items must follow the order of the questionnaire");
                        self.error(
                            IssueCode::Structure,
                            rules::QUESTIONNAIRE_ITEM_ORDER,
                            node,
                            &item_path,
                            message,
                        );
                    }
                    last = pos;
                    present[pos].push((node, i));
                }
                None => self.unmatched(node, &link, &item_path),
            }
        }
        present
    }

    /// A response item whose linkId is not among the questionnaire items
    /// expected here: misplaced if the questionnaire has it elsewhere (then
    /// it is still checked against that item), else unknown.
    fn unmatched(&mut self, node: NodeId, link: &str, path: &str) {
        let at = self.doc.get(node, "linkId").unwrap_or(node);
        match find_item(q_items(self.questionnaire), link) {
            Some(q_item) => {
                let message = format!("The item '{link}' is in the wrong place: the questionnaire defines it at another level");
                self.error(
                    IssueCode::Structure,
                    rules::QUESTIONNAIRE_ITEM_ORDER,
                    at,
                    path,
                    message,
                );
                let enablement = self.enablement(q_item);
                self.item(node, q_item, enablement, path);
            }
            None => {
                let message = format!("The linkId '{link}' is not defined in the questionnaire");
                self.error(
                    IssueCode::NotFound,
                    rules::QUESTIONNAIRE_ITEM_NOT_FOUND,
                    at,
                    path,
                    message,
                );
            }
        }
    }

    /// A questionnaire item with no response item: an error when it is
    /// required and enabled.
    fn missing(&mut self, q_item: &Value, enablement: Enablement, parent: NodeId, path: &str) {
        if q_item["required"] != true || enablement != Enablement::Enabled {
            return;
        }
        let message = if q_item["type"] == "group" {
            format!(
                "The required group '{}' is missing from the response",
                link_id(q_item)
            )
        } else {
            format!(
                "No answer was found for the required item '{}'",
                link_id(q_item)
            )
        };
        self.report(
            self.unless_in_progress(),
            IssueCode::Required,
            rules::QUESTIONNAIRE_REQUIRED,
            parent,
            path,
            message,
        );
    }

    /// Checks one response item against its questionnaire item.
    fn item(&mut self, node: NodeId, q_item: &'a Value, enablement: Enablement, path: &str) {
        self.scope.push(node);
        self.item_text(node, q_item, path);
        let ty = q_item["type"].as_str().unwrap_or_default();
        let answers = elements(self.doc, node, "answer");
        self.required_answer(node, q_item, ty, answers.is_empty(), enablement, path);
        self.answer_count(node, q_item, answers, path);
        for (j, &answer) in answers.iter().enumerate() {
            self.answer(answer, q_item, ty, &join(path, &format!("answer[{j}]")));
        }
        self.sub_items(node, q_item, ty, path);
        self.scope.pop();
    }

    /// The item's text, when given, must be the questionnaire's.
    fn item_text(&mut self, node: NodeId, q_item: &Value, path: &str) {
        let Some(text_node) = self.doc.get(node, "text") else {
            return;
        };
        let Some(text) = self.doc.str(text_node) else {
            return;
        };
        if q_item["text"].as_str() != Some(&*text) {
            let message = format!(
                "The item text '{text}' differs from the questionnaire's text for '{}' ('{}'): when present it must match",
                link_id(q_item),
                q_item["text"].as_str().unwrap_or_default()
            );
            self.error(
                IssueCode::Invalid,
                rules::QUESTIONNAIRE_ITEM_TEXT,
                text_node,
                &join(path, "text"),
                message,
            );
        }
    }

    /// A present item that must be answered: questions need an answer,
    /// required groups need sub-items.
    fn required_answer(
        &mut self,
        node: NodeId,
        q_item: &Value,
        ty: &str,
        no_answers: bool,
        enablement: Enablement,
        path: &str,
    ) {
        if q_item["required"] != true || enablement != Enablement::Enabled {
            return;
        }
        let severity = self.unless_in_progress();
        match ty {
            "display" => {}
            "group" if elements(self.doc, node, "item").is_empty() => {
                let message = format!("The required group '{}' has no sub-items", link_id(q_item));
                self.report(
                    severity,
                    IssueCode::Required,
                    rules::QUESTIONNAIRE_REQUIRED,
                    node,
                    path,
                    message,
                );
            }
            "group" => {}
            _ if no_answers => {
                let message = format!(
                    "No answer was found for the required item '{}'",
                    link_id(q_item)
                );
                self.report(
                    severity,
                    IssueCode::Required,
                    rules::QUESTIONNAIRE_REQUIRED,
                    node,
                    path,
                    message,
                );
            }
            _ => {}
        }
    }

    /// Several answers need `repeats`, and as many as the `minOccurs` and
    /// `maxOccurs` extensions allow (inclusive bounds: "the minimum / the
    /// maximum number of times a question must / may have an answer").
    fn answer_count(&mut self, node: NodeId, q_item: &Value, answers: &[NodeId], path: &str) {
        let n = answers.len();
        if n > 1 && q_item["repeats"] != true {
            let message = format!(
                "The item '{}' does not repeat, so it may have only one answer, but it has {n}",
                link_id(q_item)
            );
            self.error(
                IssueCode::Structure,
                rules::QUESTIONNAIRE_REPEATS,
                answers[1],
                path,
                message,
            );
        }
        let max = values::extension_value(q_item, MAX_OCCURS).and_then(|(_, v)| v.as_u64());
        if let Some(max) = max.filter(|&m| n as u64 > m) {
            let message = format!(
                "The item '{}' allows at most {max} answers, but it has {n}",
                link_id(q_item)
            );
            self.error(
                IssueCode::Structure,
                rules::QUESTIONNAIRE_REPEATS,
                answers[0],
                path,
                message,
            );
        }
        let min = values::extension_value(q_item, MIN_OCCURS).and_then(|(_, v)| v.as_u64());
        if let Some(min) = min.filter(|&m| (n as u64) < m) {
            let message = format!(
                "The item '{}' needs at least {min} answers, but it has {n}",
                link_id(q_item)
            );
            self.error(
                IssueCode::Structure,
                rules::QUESTIONNAIRE_REPEATS,
                node,
                path,
                message,
            );
        }
        if n > 1 {
            self.exclusive_options(q_item, answers, path);
        }
    }

    /// An answer option marked `questionnaire-optionExclusive` cannot be
    /// chosen with anything else ("none of the above").
    fn exclusive_options(&mut self, q_item: &Value, answers: &[NodeId], path: &str) {
        const EXCLUSIVE: &str =
            "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive";
        let exclusive: Vec<&Value> = q_item["answerOption"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| {
                o["extension"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|e| e["url"] == EXCLUSIVE && e["valueBoolean"] == true)
            })
            .collect();
        if exclusive.is_empty() {
            return;
        }
        let doc = self.doc;
        for (j, &answer) in answers.iter().enumerate() {
            let Some(value) = values::answer_value(doc, answer) else {
                continue;
            };
            let chosen = exclusive.iter().find(|o| match value.ty {
                "Coding" => {
                    let c = &o["valueCoding"];
                    c.is_object()
                        && c["system"].as_str() == doc.get_str(value.node, "system").as_deref()
                        && c["code"].as_str() == doc.get_str(value.node, "code").as_deref()
                }
                ty => {
                    // the option of the same type (valueInteger, valueDate...)
                    let option =
                        &o[format!("value{}{}", ty[..1].to_uppercase(), &ty[1..]).as_str()];
                    let wanted = match option {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    let given = doc
                        .str(value.node)
                        .map(|s| s.into_owned())
                        .or_else(|| doc.raw(value.node).map(str::to_string));
                    wanted.is_some() && wanted == given
                }
            });
            if chosen.is_some() {
                let message = format!(
                    "The answer {} of the item '{}' is an exclusive option, so it cannot be given with other answers",
                    j + 1,
                    link_id(q_item)
                );
                self.error(
                    IssueCode::BusinessRule,
                    rules::QUESTIONNAIRE_EXCLUSIVE,
                    answer,
                    &join(path, &format!("answer[{j}]")),
                    message,
                );
            }
        }
    }

    /// Sub-items directly under a response item: a group's children are
    /// matched to the group's; questions keep theirs under each answer, and
    /// display items have none.
    fn sub_items(&mut self, node: NodeId, q_item: &'a Value, ty: &str, path: &str) {
        if ty == "group" {
            self.items(node, q_items(q_item), path);
            return;
        }
        let Some(first) = elements(self.doc, node, "item").first().copied() else {
            return;
        };
        let message = if ty == "display" {
            format!(
                "The item '{}' is a display item, so it cannot have sub-items",
                link_id(q_item)
            )
        } else {
            format!("The item '{}' is a question, so its sub-items belong under its answers (answer.item), not directly under the item", link_id(q_item))
        };
        self.error(
            IssueCode::Structure,
            rules::QUESTIONNAIRE_ITEM_STRUCTURE,
            first,
            &join(path, "item"),
            message,
        );
    }
}

/// The `questionnaire-maxOccurs` extension: the most answers an item takes.
const MAX_OCCURS: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs";
/// The `questionnaire-minOccurs` extension: the fewest answers an item takes.
const MIN_OCCURS: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs";

/// A questionnaire item anywhere in the tree, by linkId.
fn find_item<'v>(items: &'v [Value], link: &str) -> Option<&'v Value> {
    items.iter().find_map(|i| {
        if i["linkId"] == *link {
            Some(i)
        } else {
            find_item(q_items(i), link)
        }
    })
}

/// Whether a response item, or anything under it, has an answer.
fn has_answers(doc: &Document<'_>, item: NodeId) -> bool {
    let answers = elements(doc, item, "answer");
    !answers.is_empty()
        || elements(doc, item, "item")
            .iter()
            .any(|&i| has_answers(doc, i))
}
