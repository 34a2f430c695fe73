//! Cardinality: how many values an element holds against its `min` and
//! `max`. The base walk counts while it walks an object's members; a
//! profile (or one of its slices) may tighten the bounds. The messages are
//! the reference validator's ("minimum required = 1, but only found 0").

use super::Report;
use crate::finding::{IssueCode, Severity};
use crate::plan::{ElementPlan, UNBOUNDED};
use conform_json::NodeId;

/// A count below `min`. `label` names the element (its definition path,
/// or a profile's element id); the finding is placed at `at` and `extra`
/// (the parent and the element's name). `rule` is `cardinality-min` or,
/// for a slice, `profile-slice-cardinality`.
pub(crate) fn min(
    r: &mut impl Report,
    rule: &'static str,
    at: NodeId,
    extra: Option<&str>,
    label: &str,
    count: u32,
    min: u32,
) -> bool {
    if count >= min {
        return false;
    }
    let message = format!("{label}: minimum required = {min}, but only found {count}");
    r.report(
        Severity::Error,
        IssueCode::Required,
        rule,
        at,
        extra,
        message,
    );
    true
}

/// A count above `max` (nothing for [`UNBOUNDED`]).
pub(crate) fn max(
    r: &mut impl Report,
    rule: &'static str,
    at: NodeId,
    extra: Option<&str>,
    label: &str,
    count: u32,
    max: u32,
) -> bool {
    if max == UNBOUNDED || count <= max {
        return false;
    }
    let message = format!("{label}: at most {max} allowed, but found {count}");
    r.report(
        Severity::Error,
        IssueCode::Structure,
        rule,
        at,
        extra,
        message,
    );
    true
}

/// Whether the base walk has already reported `cardinality-min` for an
/// element of base definition `base` with `count` values: it counts a
/// primitive that has only its `_name` twin (an id or extensions) as
/// present, so `twin` says whether there is one.
pub(crate) fn base_decides_min(base: Option<&ElementPlan>, count: u32, twin: bool) -> bool {
    base.is_some_and(|b| b.min > 0 && count == 0 && !twin)
}

/// Whether the base walk has already reported `cardinality-max`: it checks
/// the maximum of elements represented as arrays (a single-valued element
/// given as an array is `array-unexpected` instead).
pub(crate) fn base_decides_max(base: Option<&ElementPlan>, count: u32) -> bool {
    base.is_some_and(|b| b.array && b.max != UNBOUNDED && count > b.max)
}
