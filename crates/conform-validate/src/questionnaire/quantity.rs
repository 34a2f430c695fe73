//! Quantity answers: the SDC `minQuantity`/`maxQuantity` limits, the
//! allowed units (`questionnaire-unitOption`, `questionnaire-unitValueSet`)
//! and `maxDecimalPlaces` on the value.
//!
//! Limits compare only with formal units (a system and code on both sides),
//! as the reference validator does. Different UCUM units are converted when
//! both are in a small table of common ones; two units of different kinds
//! (a mass against a length) cannot be compared and are an error, while
//! units outside the table are left unjudged.

use super::values::{extension_value, extensions, join, number};
use super::{link_id, Checker};
use crate::finding::{rules, IssueCode};
use crate::terminology::Membership;
use conform_json::NodeId;
use serde_json::Value;
use std::cmp::Ordering;

const MIN_QUANTITY: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-minQuantity";
const MAX_QUANTITY: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity";
const UNIT_OPTION: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption";
const UNIT_VALUE_SET: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitValueSet";
const UCUM: &str = "http://unitsofmeasure.org";

/// A quantity read from either side: value, unit text, system and code.
struct Qty {
    value: Option<f64>,
    unit: Option<String>,
    system: Option<String>,
    code: Option<String>,
}

impl Qty {
    fn from_value(v: &Value) -> Qty {
        let text = |k: &str| v[k].as_str().map(str::to_string);
        Qty {
            value: v["value"].as_f64(),
            unit: text("unit"),
            system: text("system"),
            code: text("code"),
        }
    }

    /// "10 Kg (UCUM kg)": the value, its unit text, and its formal unit.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.value.map(|v| v.to_string()));
        parts.extend(self.unit.clone().or_else(|| self.code.clone()));
        if let (Some(s), Some(c)) = (&self.system, &self.code) {
            parts.push(format!("({} {c})", if s == UCUM { "UCUM" } else { s }));
        }
        parts.join(" ")
    }
}

impl Checker<'_, '_> {
    pub(super) fn quantity(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let answer = self.read_quantity(node);
        self.quantity_limits(q_item, &answer, node, path);
        self.unit_option(q_item, &answer, node, path);
        self.unit_value_set(q_item, &answer, node, path);
        if let Some(v) = self.doc.get(node, "value") {
            self.decimal_places(q_item, v, &join(path, "value"));
        }
    }

    fn read_quantity(&self, node: NodeId) -> Qty {
        let doc = self.doc;
        let text = |k: &str| doc.get_str(node, k).map(|s| s.into_owned());
        Qty {
            value: doc.get(node, "value").and_then(|v| number(doc, v)),
            unit: text("unit"),
            system: text("system"),
            code: text("code"),
        }
    }

    /// Each of minQuantity and maxQuantity: the answer must be comparable
    /// with it, and on the right side of it.
    fn quantity_limits(&mut self, q_item: &Value, answer: &Qty, node: NodeId, path: &str) {
        for (url, bad, what) in [
            (MIN_QUANTITY, Ordering::Less, "minimum"),
            (MAX_QUANTITY, Ordering::Greater, "maximum"),
        ] {
            let Some(("Quantity", limit)) = extension_value(q_item, url) else {
                continue;
            };
            let limit = Qty::from_value(limit);
            let message = match compare(answer, &limit) {
                Comparison::Ordered(o) if o == bad => {
                    let relation = if bad == Ordering::Less { "less" } else { "greater" };
                    format!("The quantity {} is {relation} than the {what} of {} allowed for the item '{}'", answer.describe(), limit.describe(), link_id(q_item))
                }
                Comparison::Ordered(_) | Comparison::Unknown => continue,
                Comparison::NoFormalUnits => format!(
                    "The quantity {} cannot be compared with the {what} of {} allowed for the item '{}', because both need a unit system and code",
                    answer.describe(),
                    limit.describe(),
                    link_id(q_item)
                ),
                Comparison::Incompatible => format!(
                    "The quantity {} cannot be compared with the {what} of {} allowed for the item '{}': the units cannot be converted into each other",
                    answer.describe(),
                    limit.describe(),
                    link_id(q_item)
                ),
            };
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_MIN_MAX,
                node,
                path,
                message,
            );
        }
    }

    /// The answer's unit must be one of the `questionnaire-unitOption`s.
    fn unit_option(&mut self, q_item: &Value, answer: &Qty, node: NodeId, path: &str) {
        let options: Vec<&Value> = extensions(q_item, UNIT_OPTION)
            .map(|e| &e["valueCoding"])
            .collect();
        if options.is_empty() {
            return;
        }
        let matches = |o: &&Value| {
            o["system"].as_str() == answer.system.as_deref()
                && o["code"].as_str() == answer.code.as_deref()
        };
        if options.iter().any(matches) {
            return;
        }
        let allowed: Vec<String> = options
            .iter()
            .map(|o| {
                format!(
                    "{} ({})",
                    o["display"]
                        .as_str()
                        .or(o["code"].as_str())
                        .unwrap_or_default(),
                    o["code"].as_str().unwrap_or_default()
                )
            })
            .collect();
        let message = format!(
            "The quantity {} has a unit the item '{}' does not allow (allowed: {})",
            answer.describe(),
            link_id(q_item),
            allowed.join(", ")
        );
        self.error(
            IssueCode::Value,
            rules::QUESTIONNAIRE_QUANTITY_UNIT,
            node,
            path,
            message,
        );
    }

    /// The answer's unit must be in the `questionnaire-unitValueSet`.
    fn unit_value_set(&mut self, q_item: &Value, answer: &Qty, node: NodeId, path: &str) {
        let Some((_, url)) = extension_value(q_item, UNIT_VALUE_SET) else {
            return;
        };
        let Some(url) = url.as_str() else { return };
        let Some(set) = self.answer_set(url, node, path) else {
            return;
        };
        let membership = match (&answer.system, &answer.code) {
            (Some(s), Some(c)) => set.contains_coding(s, c),
            (None, Some(c)) => set.contains_code(c),
            (_, None) => Membership::NotIn,
        };
        if membership == Membership::NotIn {
            let message = format!("The quantity {} has a unit that is not in the unit value set {url} of the item '{}'", answer.describe(), link_id(q_item));
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_QUANTITY_UNIT,
                node,
                path,
                message,
            );
        }
    }
}

enum Comparison {
    Ordered(Ordering),
    /// One side lacks a system and code.
    NoFormalUnits,
    /// Units of different kinds, or of systems we cannot convert between.
    Incompatible,
    /// UCUM units outside our table, or a missing value: not judged.
    Unknown,
}

/// Orders an answer against a limit, converting UCUM units when we can.
fn compare(answer: &Qty, limit: &Qty) -> Comparison {
    let (Some(s1), Some(c1), Some(s2), Some(c2)) =
        (&answer.system, &answer.code, &limit.system, &limit.code)
    else {
        return Comparison::NoFormalUnits;
    };
    let (Some(v1), Some(v2)) = (answer.value, limit.value) else {
        return Comparison::Unknown;
    };
    if s1 == s2 && c1 == c2 {
        return v1
            .partial_cmp(&v2)
            .map_or(Comparison::Unknown, Comparison::Ordered);
    }
    if s1 != UCUM || s2 != UCUM {
        return Comparison::Incompatible;
    }
    match (ucum(c1), ucum(c2)) {
        (Some((k1, f1)), Some((k2, f2))) if k1 == k2 => (v1 * f1)
            .partial_cmp(&(v2 * f2))
            .map_or(Comparison::Unknown, Comparison::Ordered),
        (Some(_), Some(_)) => Comparison::Incompatible,
        _ => Comparison::Unknown,
    }
}

/// Common UCUM units: their kind and factor to that kind's base unit.
fn ucum(code: &str) -> Option<(&'static str, f64)> {
    Some(match code {
        "g" => ("mass", 1.0),
        "kg" => ("mass", 1e3),
        "mg" => ("mass", 1e-3),
        "ug" => ("mass", 1e-6),
        "[lb_av]" => ("mass", 453.592_37),
        "[oz_av]" => ("mass", 28.349_523_125),
        "m" => ("length", 1.0),
        "km" => ("length", 1e3),
        "cm" => ("length", 1e-2),
        "mm" => ("length", 1e-3),
        "[in_i]" => ("length", 0.0254),
        "[ft_i]" => ("length", 0.3048),
        "[yd_i]" => ("length", 0.9144),
        "[mi_i]" => ("length", 1609.344),
        "L" | "l" => ("volume", 1.0),
        "dL" => ("volume", 1e-1),
        "mL" => ("volume", 1e-3),
        "uL" => ("volume", 1e-6),
        "s" => ("time", 1.0),
        "ms" => ("time", 1e-3),
        "min" => ("time", 60.0),
        "h" => ("time", 3600.0),
        "d" => ("time", 86_400.0),
        "wk" => ("time", 604_800.0),
        "mo" => ("time", 2_629_800.0),
        "a" => ("time", 31_557_600.0),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(value: f64, code: &str) -> Qty {
        Qty {
            value: Some(value),
            unit: None,
            system: Some(UCUM.into()),
            code: Some(code.into()),
        }
    }

    #[test]
    fn converts_common_units_and_refuses_mixed_kinds() {
        assert!(matches!(
            compare(&q(1.5, "kg"), &q(1000.0, "g")),
            Comparison::Ordered(Ordering::Greater)
        ));
        assert!(matches!(
            compare(&q(10.0, "[mi_i]"), &q(5.0, "kg")),
            Comparison::Incompatible
        ));
        assert!(matches!(
            compare(&q(1.0, "Cel"), &q(5.0, "[degF]")),
            Comparison::Unknown
        ));
        let no_units = Qty {
            value: Some(1.0),
            unit: Some("Kg".into()),
            system: None,
            code: None,
        };
        assert!(matches!(
            compare(&no_units, &q(5.0, "kg")),
            Comparison::NoFormalUnits
        ));
    }
}
