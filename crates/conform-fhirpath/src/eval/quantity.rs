//! Quantities: calendar duration words, and a small UCUM subset (metric
//! prefixes on g, m, L, s plus time units) so `1 'cm' = 10 'mm'` and
//! `1 day = 24 'h'` compare as the spec shows. Units outside this subset
//! compare only when written identically.

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

/// Scale to a base unit and the base unit's name.
fn base(unit: &str) -> Option<(Decimal, &'static str)> {
    let time: &[(&str, i64)] = &[
        ("ms", 1),
        ("s", 1000),
        ("min", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
        ("wk", 604_800_000),
    ];
    if let Some(t) = time.iter().find(|t| t.0 == unit) {
        return Some((Decimal::from(t.1), "ms"));
    }
    if unit == "[in_i]" {
        return Some((Decimal::new(254, 4), "m"));
    }
    let prefixes: &[(&str, i32)] = &[
        ("", 0),
        ("k", 3),
        ("d", -1),
        ("c", -2),
        ("m", -3),
        ("u", -6),
        ("n", -9),
    ];
    for b in ["g", "m", "L", "l"] {
        if let Some(p) = unit.strip_suffix(b) {
            if let Some((_, e)) = prefixes.iter().find(|x| x.0 == p) {
                let scale = Decimal::new(1, 0) * pow10(*e);
                let name = match b {
                    "g" => "g",
                    "m" => "m",
                    _ => "L",
                };
                return Some((scale, name));
            }
        }
    }
    None
}

fn pow10(e: i32) -> Decimal {
    if e >= 0 {
        Decimal::from(10i64.pow(e as u32))
    } else {
        Decimal::new(1, (-e) as u32)
    }
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
    let (sa, na) = base(&ua)?;
    let (sb, nb) = base(&ub)?;
    if na != nb {
        return None;
    }
    Some((a.0.checked_mul(sa)?, b.0.checked_mul(sb)?))
}
