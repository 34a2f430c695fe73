//! Small readers shared by the questionnaire checks: the value of an answer
//! in the response (an arena node), the `value[x]`/`answer[x]` choices and
//! extensions of the Questionnaire (a `serde_json::Value`), and ordering of
//! numbers and FHIR dates. Every reader tolerates wrong shapes by returning
//! `None`: the walker has already reported structural problems.

use conform_json::{Document, NodeId};
use serde_json::Value;
use std::cmp::Ordering;

/// The `value[x]` names an R4 `QuestionnaireResponse.item.answer` may use,
/// with the FHIR type each stands for. Anything else is an unknown element
/// the walker reports.
const ANSWER_TYPES: &[(&str, &str)] = &[
    ("valueBoolean", "boolean"),
    ("valueDecimal", "decimal"),
    ("valueInteger", "integer"),
    ("valueDate", "date"),
    ("valueDateTime", "dateTime"),
    ("valueTime", "time"),
    ("valueString", "string"),
    ("valueUri", "uri"),
    ("valueAttachment", "Attachment"),
    ("valueCoding", "Coding"),
    ("valueQuantity", "Quantity"),
    ("valueReference", "Reference"),
];

/// One answer's value: its FHIR type and node.
#[derive(Clone, Copy)]
pub(super) struct AnswerValue {
    pub ty: &'static str,
    pub node: NodeId,
}

/// The value of an `answer` object, when it has a recognised one.
pub(super) fn answer_value(doc: &Document<'_>, answer: NodeId) -> Option<AnswerValue> {
    doc.members(answer).iter().find_map(|m| {
        let key = doc.key(m);
        ANSWER_TYPES
            .iter()
            .find(|(name, _)| *name == key)
            .map(|&(_, ty)| AnswerValue { ty, node: m.value })
    })
}

/// The first `prefix[x]` member of a Questionnaire object (`valueCoding`,
/// `answerInteger`...), as (type suffix, value).
pub(super) fn choice<'v>(obj: &'v Value, prefix: &str) -> Option<(&'v str, &'v Value)> {
    obj.as_object()?.iter().find_map(|(k, v)| {
        let suffix = k.strip_prefix(prefix)?;
        suffix
            .starts_with(|c: char| c.is_ascii_uppercase())
            .then_some((suffix, v))
    })
}

/// The extensions of a Questionnaire element with the given URL.
pub(super) fn extensions<'v>(obj: &'v Value, url: &'static str) -> impl Iterator<Item = &'v Value> {
    obj["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |e| e["url"] == url)
}

/// The `value[x]` of the first extension with the given URL.
pub(super) fn extension_value<'v>(
    obj: &'v Value,
    url: &'static str,
) -> Option<(&'v str, &'v Value)> {
    extensions(obj, url).find_map(|e| choice(e, "value"))
}

/// The items of a Questionnaire (or of one of its items).
pub(super) fn q_items(obj: &Value) -> &[Value] {
    obj["item"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The elements of an array member of a response object (empty when absent
/// or not an array).
pub(super) fn elements<'d>(doc: &'d Document<'_>, obj: NodeId, key: &str) -> &'d [NodeId] {
    doc.get(obj, key)
        .map(|a| doc.elements(a))
        .unwrap_or_default()
}

/// `path.seg`, or `seg` at the top of the response.
pub(super) fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}.{seg}")
    }
}

/// A JSON number of the response as f64 (from its lexical text).
pub(super) fn number(doc: &Document<'_>, node: NodeId) -> Option<f64> {
    doc.raw(node)
        .filter(|_| doc.kind(node) == conform_json::Kind::Number)?
        .parse()
        .ok()
}

/// Digits after the decimal point of a JSON number's text, allowing for an
/// exponent (`1.25e1` has one).
pub(super) fn decimal_places(text: &str) -> usize {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
    (fraction - exponent).max(0) as usize
}

/// Orders two date, dateTime or time texts as the reference validator does:
/// two full date-times by the instant they denote (time zones applied),
/// anything else by text, so that at equal prefixes the more precise value
/// is the greater one (`2022-06-30` is after a maximum of `2022-06`).
pub(super) fn compare_temporal(a: &str, b: &str) -> Ordering {
    match (instant(a), instant(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Orders two dates (or date-times) at the precision they share, up to the
/// day: `2021-12-12` is inside `2021-12` and before `2022`.
pub(super) fn compare_dates(a: &str, b: &str) -> Ordering {
    let n = a.len().min(b.len()).min(10);
    a.get(..n).cmp(&b.get(..n))
}

/// The instant a full `YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)` denotes.
fn instant(text: &str) -> Option<jiff::Timestamp> {
    text.contains('T').then(|| text.parse().ok()).flatten()
}

/// A Questionnaire-side primitive (from `serde_json`) as display text.
pub(super) fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_places_allow_for_exponents() {
        assert_eq!(decimal_places("1.666"), 3);
        assert_eq!(decimal_places("2"), 0);
        assert_eq!(decimal_places("1.25e1"), 1);
        assert_eq!(decimal_places("125E-3"), 3);
    }

    #[test]
    fn temporal_order_follows_the_reference() {
        assert_eq!(compare_temporal("2022-06-30", "2022-06"), Ordering::Greater);
        assert_eq!(compare_temporal("1998", "2020"), Ordering::Less);
        assert_eq!(compare_temporal("2020", "2020"), Ordering::Equal);
        assert_eq!(compare_dates("2021-12-12", "2021-12"), Ordering::Equal);
        assert_eq!(compare_dates("2021-12-12", "2022"), Ordering::Less);
        assert_eq!(
            compare_temporal("2022-01-01T10:00:00+10:00", "2022-01-01T01:00:00Z"),
            Ordering::Less
        );
    }
}
