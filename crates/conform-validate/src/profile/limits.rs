//! Limits a profile sets on a value: `maxLength`, the `minLength`
//! extension, and `minValue[x]` /
//! `maxValue[x]` for numbers, dates, times and quantities.
//!
//! A date, dateTime or instant limited by a Quantity (a Duration, as in
//! `minValueDuration`) is limited relative to the moment of validation, as
//! the reference validator reads it: `minValue` of 100 a means "no earlier
//! than 100 years before now", `maxValue` of 10 a "no later than 10 years
//! after now".

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
        if let (Some(min), Some(s)) = (p.min_length, doc.str(node)) {
            let len = s.chars().count() as u32;
            if len < min {
                let message = format!(
                    "{}: the value is {len} characters long, fewer than the {min} required",
                    p.id
                );
                self.report(
                    Severity::Error,
                    IssueCode::Value,
                    rules::PROFILE_MIN_LENGTH,
                    node,
                    None,
                    message,
                );
            }
        }
        for (limit, below) in [(p.min_value, true), (p.max_value, false)] {
            let Some(i) = limit else { continue };
            let bound = self.values.get(i);
            let message = match doc.str(node) {
                Some(value) if doc.kind(node) == Kind::String && bound.is_object() => {
                    beyond_now_relative(&value, &p.id, bound, below)
                }
                _ => beyond(doc, node, &p.id, bound, below),
            };
            if let Some(message) = message {
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

/// What is wrong with a number, date or quantity beyond a fixed bound
/// (below a minimum or above a maximum), if it is.
fn beyond(
    doc: &Document<'_>,
    node: NodeId,
    id: &str,
    bound: &Value,
    below: bool,
) -> Option<String> {
    let ord = compare(doc, node, bound)?;
    let bad = if below { ord.is_lt() } else { ord.is_gt() };
    let word = if below {
        "less than the minimum"
    } else {
        "more than the maximum"
    };
    bad.then(|| format!("{id}: the value is {word} {}", short(bound)))
}

/// What is wrong with a date-like value against a Duration counted from
/// now (backwards for a minimum, forwards for a maximum), if it is; a
/// Duration that cannot limit a date is always wrong.
fn beyond_now_relative(value: &str, id: &str, duration: &Value, below: bool) -> Option<String> {
    let side = if below { "minValue" } else { "maxValue" };
    let limit = match now_plus(duration, below) {
        Err(why) => {
            return Some(format!(
                "{id}: the {side} {} cannot limit a date: {why}",
                short(duration)
            ))
        }
        Ok(limit) => limit,
    };
    let ord = compare_date_texts(value, &limit);
    let bad = if below { ord.is_lt() } else { ord.is_gt() };
    let (word, when) = if below {
        ("before", "earlier")
    } else {
        ("after", "later")
    };
    bad.then(|| {
        format!(
            "{id}: the value '{value}' is {when} than {} {word} now (now is {}, so the limit is {})",
            describe(duration),
            &limit[..19],
            &limit[..10]
        )
    })
}

/// `100 a` from a Quantity.
fn describe(q: &Value) -> String {
    let value = q.get("value").map(Value::to_string).unwrap_or_default();
    let unit = q
        .get("code")
        .or_else(|| q.get("unit"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{value} {unit}")
}

/// Now (UTC) moved back (`backwards`) or forward by a Duration, as an
/// RFC 3339 text; or why the Duration cannot be used: the reference allows
/// neither a comparator nor a value that is not a whole number, and the
/// unit must be a UCUM unit of time.
fn now_plus(duration: &Value, backwards: bool) -> Result<String, String> {
    if let Some(c) = duration.get("comparator").and_then(Value::as_str) {
        return Err(format!("a comparator ('{c}') is not allowed there"));
    }
    let n = duration
        .get("value")
        .and_then(Value::as_i64)
        .ok_or("its value must be a whole number")?;
    let code = duration
        .get("code")
        .and_then(Value::as_str)
        .ok_or("it has no UCUM code")?;
    let span = jiff::Span::new();
    let span = match code {
        "a" => span.try_years(n),
        "mo" => span.try_months(n),
        "wk" => span.try_weeks(n),
        "d" => span.try_days(n),
        "h" => span.try_hours(n),
        "min" => span.try_minutes(n),
        "s" => span.try_seconds(n),
        "ms" => span.try_milliseconds(n),
        other => return Err(format!("'{other}' is not a UCUM unit of time")),
    }
    .map_err(|e| e.to_string())?;
    let span = if backwards { span.negate() } else { span };
    let now = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC);
    let then = now.checked_add(span).map_err(|e| e.to_string())?;
    Ok(then.timestamp().to_string())
}

/// Orders a date, dateTime or instant text against a full RFC 3339 limit:
/// by instant when the value has a time, otherwise at the value's own
/// precision (`1926` is not before a limit in 1926).
fn compare_date_texts(value: &str, limit: &str) -> std::cmp::Ordering {
    if value.contains('T') {
        if let Ok(t) = value.parse::<jiff::Timestamp>() {
            if let Ok(l) = limit.parse::<jiff::Timestamp>() {
                return t.cmp(&l);
            }
        }
    }
    let n = value.len().min(10);
    value.get(..n).cmp(&limit.get(..n))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_count_from_now() {
        let year: i16 = jiff::Zoned::now().year();
        let hundred_back = now_plus(&json!({"value": 100, "code": "a"}), true).unwrap();
        assert_eq!(hundred_back[..4].parse::<i16>().unwrap(), year - 100);
        let ten_ahead = now_plus(&json!({"value": 10, "code": "a"}), false).unwrap();
        assert_eq!(ten_ahead[..4].parse::<i16>().unwrap(), year + 10);
        assert!(now_plus(&json!({"value": 1, "code": "kg"}), true).is_err());
        assert!(now_plus(&json!({"value": 1.5, "code": "a"}), true).is_err());
        assert!(now_plus(&json!({"value": 1, "code": "a", "comparator": "<"}), true).is_err());
    }

    #[test]
    fn dates_compare_at_their_own_precision() {
        use std::cmp::Ordering::*;
        let limit = "1926-12-03T20:00:00Z";
        assert_eq!(compare_date_texts("1850-01-01", limit), Less);
        assert_eq!(compare_date_texts("1926", limit), Equal);
        assert_eq!(compare_date_texts("1926-12-03T19:00:00Z", limit), Less);
        assert_eq!(compare_date_texts("2000-01", limit), Greater);
    }
}
