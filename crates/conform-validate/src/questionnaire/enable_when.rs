//! `enableWhen`: whether a questionnaire item is enabled by the answers in
//! the response. A disabled item may not be answered and is not required.
//! Conditions we cannot evaluate (an SDC `enableWhenExpression`, which is
//! FHIRPath) make the item's state unknown, and then neither rule applies.

use super::values::{answer_value, choice, compare_temporal, elements, extensions, number};
use super::Checker;
use conform_json::NodeId;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Enablement {
    Enabled,
    Disabled,
    Unknown,
}

const ENABLE_WHEN_EXPRESSION: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression";

impl Checker<'_, '_> {
    /// Evaluates an item's `enableWhen` conditions against the response.
    pub(super) fn enablement(&self, q_item: &Value) -> Enablement {
        if extensions(q_item, ENABLE_WHEN_EXPRESSION).next().is_some() {
            return Enablement::Unknown;
        }
        let conditions = q_item["enableWhen"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if conditions.is_empty() {
            return Enablement::Enabled;
        }
        let results: Vec<Option<bool>> = conditions.iter().map(|c| self.condition(c)).collect();
        match (q_item["enableBehavior"].as_str(), results.len()) {
            (Some("any"), _) | (_, 1) => any(&results),
            (Some("all"), _) => all(&results),
            // R4 requires enableBehavior with several conditions; like the
            // reference, treat the item as enabled without one.
            _ => Enablement::Enabled,
        }
    }

    /// One condition: `None` when it cannot be evaluated.
    fn condition(&self, condition: &Value) -> Option<bool> {
        let question = condition["question"].as_str()?;
        let operator = condition["operator"].as_str()?;
        let answers = self.answers_to(question);
        if operator == "exists" {
            let wanted = condition["answerBoolean"].as_bool()?;
            return Some(answers.is_empty() != wanted);
        }
        let (ty, expected) = choice(condition, "answer")?;
        Some(
            answers
                .iter()
                .any(|&a| self.satisfies(a, ty, expected, operator)),
        )
    }

    /// The answers given to the item with this linkId, looked for in the
    /// nearest enclosing part of the response first (so a condition inside a
    /// repeating group reads the answers of its own repetition).
    fn answers_to(&self, link: &str) -> Vec<NodeId> {
        let doc = self.doc;
        for &container in self.scope.iter().rev() {
            let mut items = Vec::new();
            collect_items(doc, container, link, &mut items);
            if !items.is_empty() {
                return items
                    .iter()
                    .flat_map(|&i| elements(doc, i, "answer").iter().copied())
                    .collect();
            }
        }
        Vec::new()
    }

    /// Whether one answer satisfies `operator answer[x]`.
    fn satisfies(&self, answer: NodeId, ty: &str, expected: &Value, operator: &str) -> bool {
        let Some(order) = self.compare(answer, ty, expected) else {
            return false;
        };
        match operator {
            "=" => order == Ordering::Equal,
            "!=" => order != Ordering::Equal,
            ">" => order == Ordering::Greater,
            "<" => order == Ordering::Less,
            ">=" => order != Ordering::Less,
            "<=" => order != Ordering::Greater,
            _ => false,
        }
    }

    /// Orders an answer's value against a condition's `answer[x]` of type
    /// `ty`; `None` when the types do not match. Codings, references and
    /// booleans only tell equal from not equal (as `Less`).
    fn compare(&self, answer: NodeId, ty: &str, expected: &Value) -> Option<Ordering> {
        let doc = self.doc;
        let value = answer_value(doc, answer)?;
        let differs = |same: bool| {
            if same {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        };
        match (ty, value.ty) {
            ("Boolean", "boolean") => Some(differs(doc.bool(value.node)? == expected.as_bool()?)),
            ("Integer" | "Decimal", "integer" | "decimal") => {
                number(doc, value.node)?.partial_cmp(&expected.as_f64()?)
            }
            ("Date", "date") | ("DateTime", "dateTime") | ("Time", "time") => {
                Some(compare_temporal(&doc.str(value.node)?, expected.as_str()?))
            }
            ("String", "string") => Some((*doc.str(value.node)?).cmp(expected.as_str()?)),
            ("Coding", "Coding") => {
                let code = doc.get_str(value.node, "code");
                let system = doc.get_str(value.node, "system");
                let same_system = match (system.as_deref(), expected["system"].as_str()) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                Some(differs(
                    same_system && code.as_deref() == expected["code"].as_str(),
                ))
            }
            ("Quantity", "Quantity") => {
                let same_unit =
                    doc.get_str(value.node, "code").as_deref() == expected["code"].as_str();
                let v = doc.get(value.node, "value").and_then(|n| number(doc, n))?;
                if same_unit {
                    v.partial_cmp(&expected["value"].as_f64()?)
                } else {
                    None
                }
            }
            ("Reference", "Reference") => {
                let r = doc.get_str(value.node, "reference");
                Some(differs(
                    r.is_some() && r.as_deref() == expected["reference"].as_str(),
                ))
            }
            _ => None,
        }
    }
}

/// Response items with this linkId anywhere under `container` (through
/// nested items and answers).
fn collect_items(
    doc: &conform_json::Document<'_>,
    container: NodeId,
    link: &str,
    out: &mut Vec<NodeId>,
) {
    for &item in elements(doc, container, "item") {
        if doc.get_str(item, "linkId").as_deref() == Some(link) {
            out.push(item);
        }
        collect_items(doc, item, link, out);
        for &answer in elements(doc, item, "answer") {
            collect_items(doc, answer, link, out);
        }
    }
}

/// `enableBehavior: any`: enabled if one condition holds.
fn any(results: &[Option<bool>]) -> Enablement {
    if results.contains(&Some(true)) {
        Enablement::Enabled
    } else if results.contains(&None) {
        Enablement::Unknown
    } else {
        Enablement::Disabled
    }
}

/// `enableBehavior: all`: enabled if every condition holds.
fn all(results: &[Option<bool>]) -> Enablement {
    if results.contains(&Some(false)) {
        Enablement::Disabled
    } else if results.contains(&None) {
        Enablement::Unknown
    } else {
        Enablement::Enabled
    }
}
