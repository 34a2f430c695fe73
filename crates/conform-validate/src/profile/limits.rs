//! Limits a profile sets on a value: `maxLength`, and `minValue[x]` /
//! `maxValue[x]` for numbers, dates, times and quantities.

use super::{short, Checker};
use crate::finding::{rules, IssueCode, Severity};
use crate::plan::profile::ProfileNode;
use conform_json::{Document, Kind, NodeId};
use serde_json::Value;

impl Checker<'_> {
    pub(super) fn limits(&mut self, node: NodeId, p: &ProfileNode) {
        let doc = self.doc;
        if let (Some(max), Some(s)) = (p.max_length, doc.str(node)) {
            let len = s.chars().count() as u32;
            if len > max {
                let message = format!(
                    "{}: the value is {len} characters long, more than the {max} allowed",
                    p.id
                );
                self.report(
                    Severity::Error,
                    IssueCode::Value,
                    rules::PROFILE_MAX_LENGTH,
                    node,
                    None,
                    message,
                );
            }
        }
        for (limit, below) in [(p.min_value, true), (p.max_value, false)] {
            let Some(i) = limit else { continue };
            let bound = self.values.get(i);
            if let Some(ord) = compare(doc, node, bound) {
                let bad = if below { ord.is_lt() } else { ord.is_gt() };
                if bad {
                    let word = if below {
                        "less than the minimum"
                    } else {
                        "more than the maximum"
                    };
                    let message = format!("{}: the value is {word} {}", p.id, short(bound));
                    self.report(
                        Severity::Error,
                        IssueCode::Value,
                        rules::PROFILE_VALUE_LIMIT,
                        node,
                        None,
                        message,
                    );
                }
            }
        }
    }
}

/// Orders a number or a date-like string against a bound of the same kind.
fn compare(doc: &Document<'_>, node: NodeId, bound: &Value) -> Option<std::cmp::Ordering> {
    match (doc.kind(node), bound) {
        (Kind::Number, Value::Number(b)) => doc
            .raw(node)?
            .parse::<f64>()
            .ok()?
            .partial_cmp(&b.as_f64()?),
        (Kind::String, Value::String(b)) => {
            let v = doc.str(node)?;
            // Dates and times of the same precision compare as text.
            (v.len() == b.len()).then(|| v.as_ref().cmp(b.as_str()))
        }
        (Kind::Object, Value::Object(_)) => {
            let v = doc.get(node, "value")?;
            compare(doc, v, bound.get("value")?)
        }
        _ => None,
    }
}
