//! `precision()`, `lowBoundary()` and `highBoundary()` (FHIRPath 2.1 / R5
//! additions used by R4 invariants): the range of values a decimal, date or
//! time with limited precision stands for.

use super::dates::{days_in_month, DateTime};
use crate::value::Value;
use rust_decimal::{Decimal, RoundingStrategy};

/// Number of significant digits: decimal places, or date/time digits
/// (`@2014` → 4, `@T10:30:00.000` → 9).
pub(crate) fn precision(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Decimal(d) => d.scale() as i64,
        Value::Integer(_) => 0,
        Value::Date(d) | Value::DateTime(d) => {
            [0, 4, 6, 8, 10, 12, 14].get(d.prec as usize)? + ms(d)
        }
        Value::Time(d) => [0, 0, 0, 0, 2, 4, 6].get(d.prec as usize)? + ms(d),
        _ => return None,
    })
}

fn ms(d: &DateTime) -> i64 {
    if d.prec >= 6 && d.frac_digits > 0 {
        3
    } else {
        0
    }
}

/// The lowest (`high == false`) or highest value `v` may stand for, at
/// `digits` precision (default: 8 decimal places, or full precision).
pub(crate) fn boundary(v: &Value, digits: Option<i64>, high: bool) -> Option<Value> {
    match v {
        Value::Integer(i) => decimal(Decimal::from(*i), digits, high).map(Value::Decimal),
        Value::Decimal(d) => decimal(*d, digits, high).map(Value::Decimal),
        Value::Quantity(d, u) => decimal(*d, digits, high).map(|d| Value::Quantity(d, u.clone())),
        Value::Date(d) => date(d, digits.unwrap_or(8), high).map(Value::Date),
        Value::DateTime(d) => date(d, digits.unwrap_or(17), high).map(Value::DateTime),
        Value::Time(d) => date(d, digits.unwrap_or(9), high).map(Value::Time),
        _ => None,
    }
}

fn decimal(d: Decimal, digits: Option<i64>, high: bool) -> Option<Decimal> {
    let p = digits.unwrap_or(8);
    if !(0..=28).contains(&p) {
        return None;
    }
    let p = p as u32;
    let half = Decimal::try_new(5, d.scale() + 1).ok()?;
    let raw = if high {
        d.checked_add(half)?
    } else {
        d.checked_sub(half)?
    };
    let strategy = if high {
        RoundingStrategy::ToPositiveInfinity
    } else {
        RoundingStrategy::ToNegativeInfinity
    };
    let mut r = if d.trunc_with_scale(p).is_zero() && p > 0 && !d.is_zero() {
        // the value vanishes at this precision: zero, keeping the side
        let mut z = Decimal::new(0, p);
        z.set_sign_negative(!high && d.is_sign_negative());
        z
    } else {
        raw.round_dp_with_strategy(p, strategy)
    };
    if r.scale() < p {
        r.rescale(p);
    }
    Some(r)
}

fn date(d: &DateTime, digits: i64, high: bool) -> Option<DateTime> {
    let mut r = d.clone();
    let prec: u8 = if d.is_time {
        match digits {
            2 => 4,
            4 => 5,
            6 => 6,
            9 => 7,
            _ => return None,
        }
    } else {
        match digits {
            4 => 1,
            6 => 2,
            8 => 3,
            10 => 4,
            12 => 5,
            14 => 6,
            17 => 7,
            _ => return None,
        }
    };
    let have = if d.prec >= 6 && d.frac_digits > 0 {
        7
    } else {
        d.prec
    };
    // an hour alone is read as hour and minute (`T08` means `T08:00`)
    let have = if have == 4 && !d.is_time { 5 } else { have };
    for c in have + 1..=prec.min(7) {
        match c {
            2 => r.month = if high { 12 } else { 1 },
            3 => {
                r.day = if high {
                    days_in_month(r.year, r.month)
                } else {
                    1
                }
            }
            4 => r.hour = if high { 23 } else { 0 },
            5 => r.minute = if high { 59 } else { 0 },
            6 => r.second = if high { 59 } else { 0 },
            _ => r.millis = if high { 999 } else { 0 },
        }
    }
    r.prec = prec.min(6);
    r.frac_digits = if prec == 7 { 3 } else { 0 };
    if !d.is_time && prec >= 4 && r.tz.is_none() {
        r.tz = Some(if high { -12 * 60 } else { 14 * 60 });
    }
    if prec < 4 {
        r.tz = None;
    }
    Some(r)
}
