//! Quantities: calendar duration words, and UCUM units compared by their
//! dimension and scale (the `ucum` crate), so `1 'cm' = 10 'mm'`,
//! `1 day = 24 'h'` and `1 'mg/dL' = 10 'mg/L'` hold as the spec shows.
//! Units UCUM does not know compare only when written identically.

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

/// Calendar duration keywords usable after a number literal.
pub fn is_calendar_word(w: &str) -> bool {
    calendar_ucum(w).is_some()
}

/// The UCUM code of a calendar word (`week` → `wk`).
pub fn calendar_ucum(w: &str) -> Option<&'static str> {
    Some(match w.trim_end_matches('s') {
        "year" => "a",
        "month" => "mo",
        "week" => "wk",
        "day" => "d",
        "hour" => "h",
        "minute" => "min",
        "second" => "s",
        "millisecond" => "ms",
        _ => return None,
    })
}

/// Whether calendar `word` is a definite duration (weeks and below), which
/// compares equal to its UCUM form; years and months do not.
fn definite(word: &str) -> bool {
    !matches!(calendar_ucum(word), Some("a") | Some("mo"))
}

/// A UCUM unit's scale to the canonical base units and its dimension,
/// from the `ucum` crate (the full UCUM tables: prefixes, customary,
/// clinical units, `10*3/uL`, `mm[Hg]`...). Special units with an offset or
/// a non-linear scale (`Cel`, `[degF]`, `[pH]`) cannot be compared by
/// scaling, so they only match themselves.
fn base(unit: &str) -> Option<(Decimal, ucum::Dimension)> {
    let a = ucum::analyze(unit).ok()?;
    if a.is_special || a.offset != 0.0 {
        return None;
    }
    Some((Decimal::from_f64(a.factor)?.normalize(), a.dimension))
}

/// Whether one unit is a calendar year/month and the other its UCUM form.
pub fn calendar_vs_ucum(a: &str, b: &str) -> bool {
    let f = |x: &str, y: &str| {
        !definite(x) && calendar_ucum(x).is_some() && calendar_ucum(x) == Some(y)
    };
    f(a, b) || f(b, a)
}

/// Brings two quantities to a common unit. `for_equality` applies the rule
/// that calendar years/months never equal UCUM `a`/`mo`.
pub fn common(
    a: (&Decimal, &str),
    b: (&Decimal, &str),
    for_equality: bool,
) -> Option<(Decimal, Decimal)> {
    let norm = |u: &str| -> Option<String> {
        match calendar_ucum(u) {
            Some(c) if for_equality && !definite(u) => Some(format!("cal:{c}")),
            Some(c) => Some(c.to_string()),
            None => Some(u.to_string()),
        }
    };
    let (ua, ub) = (norm(a.1)?, norm(b.1)?);
    if ua == ub {
        return Some((*a.0, *b.0));
    }
    let strip = |u: &str| u.trim_start_matches("cal:").to_string();
    if ua.starts_with("cal:") != ub.starts_with("cal:") {
        return None;
    }
    let (ua, ub) = (strip(&ua), strip(&ub));
    if ua == ub {
        return Some((*a.0, *b.0));
    }
    let (sa, da) = base(&ua)?;
    let (sb, db) = base(&ub)?;
    if da != db {
        return None;
    }
    Some((a.0.checked_mul(sa)?, b.0.checked_mul(sb)?))
}
