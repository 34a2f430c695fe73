//! Conversion functions (`toX()` and `convertsToX()`), following the
//! spec's tables of what converts to what.

use super::dates::DateTime as Dt;
use super::operators::singleton;
use super::quantity::calendar_ucum;
use super::Ev;
use crate::error::EResult;
use crate::value::Items;
use crate::value::{Item, Value};
use rust_decimal::Decimal;
use std::str::FromStr;

type Arg<'a> = dyn Fn(usize) -> EResult<Items> + 'a;

pub(crate) fn handles(name: &str) -> bool {
    name.starts_with("to") || name.starts_with("convertsTo")
}

pub(crate) fn call(ev: &Ev, name: &str, input: &[Item], arg: &Arg) -> EResult<Items> {
    let Some(v) = singleton(ev, input)? else {
        return Ok(Items::new());
    };
    let (target, test) = match name.strip_prefix("convertsTo") {
        Some(t) => (t, true),
        None => (&name[2..], false),
    };
    let unit = if target == "Quantity" {
        match singleton(ev, &arg(0)?)? {
            Some(Value::String(u)) => Some(u),
            _ => None,
        }
    } else {
        None
    };
    let r = convert(&v, target, unit.as_deref());
    Ok(if test {
        smallvec::smallvec![Item::Value(Value::Boolean(r.is_some()))]
    } else {
        r.map(Item::Value).into_iter().collect()
    })
}

/// `toInteger()` of a string: optional sign and digits, within 32 bits.
pub(crate) fn string_to_integer(s: &str) -> Option<i64> {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<i32>().ok().map(i64::from))
        .flatten()
}

/// Converts `v` to System type `target`; `None` when it does not convert.
pub(crate) fn convert(v: &Value, target: &str, unit: Option<&str>) -> Option<Value> {
    use Value::*;
    match (target, v) {
        ("Boolean", Boolean(_)) => Some(v.clone()),
        ("Boolean", String(s)) => match s.to_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "1.0" => Some(Boolean(true)),
            "false" | "f" | "no" | "n" | "0" | "0.0" => Some(Boolean(false)),
            _ => None,
        },
        ("Boolean", Integer(i)) => match i {
            0 => Some(Boolean(false)),
            1 => Some(Boolean(true)),
            _ => None,
        },
        ("Boolean", Decimal(d)) => {
            if d.is_zero() {
                Some(Boolean(false))
            } else if *d == rust_decimal::Decimal::ONE {
                Some(Boolean(true))
            } else {
                None
            }
        }
        ("Integer", Integer(_)) => Some(v.clone()),
        ("Integer", Boolean(b)) => Some(Integer(*b as i64)),
        ("Integer", String(s)) => string_to_integer(s).map(Integer),
        ("Decimal", Decimal(_)) => Some(v.clone()),
        ("Decimal", Integer(i)) => Some(Decimal((*i).into())),
        ("Decimal", Boolean(b)) => Some(Decimal(if *b { 1.into() } else { 0.into() })),
        ("Decimal", String(s)) => decimal_text(s).map(Decimal),
        ("String", _) => Some(String(to_string(v))),
        ("Date", Date(_)) => Some(v.clone()),
        ("Date", DateTime(d)) => {
            let mut d = d.clone();
            d.prec = d.prec.min(3);
            d.tz = None;
            Some(Date(d))
        }
        ("Date", String(s)) => match Dt::parse_date_time(s) {
            Some((mut d, _)) => {
                d.prec = d.prec.min(3);
                d.tz = None;
                Some(Date(d))
            }
            None => None,
        },
        ("DateTime", DateTime(_)) => Some(v.clone()),
        ("DateTime", Date(d)) => Some(DateTime(d.clone())),
        ("DateTime", String(s)) => Dt::parse_date_time(s).map(|(d, _)| DateTime(d)),
        ("Time", Time(_)) => Some(v.clone()),
        ("Time", String(s)) => Dt::parse_time(s.strip_prefix('T').unwrap_or(s)).map(Time),
        ("Quantity", _) => to_quantity(v, unit),
        _ => None,
    }
}

fn decimal_text(s: &str) -> Option<Decimal> {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok = !t.is_empty()
        && t.split_once('.')
            .map_or(t.bytes().all(|b| b.is_ascii_digit()), |(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && (a.bytes().chain(b.bytes())).all(|c| c.is_ascii_digit())
            });
    ok.then(|| Decimal::from_str(s).ok()).flatten()
}

fn to_quantity(v: &Value, unit: Option<&str>) -> Option<Value> {
    use Value::*;
    let q = match v {
        Quantity(..) => v.clone(),
        Integer(i) => Quantity((*i).into(), "1".into()),
        Decimal(d) => Quantity(*d, "1".into()),
        Boolean(b) => Quantity(if *b { 1.into() } else { 0.into() }, "1".into()),
        String(s) => {
            let s = s.trim();
            let (num, rest) = match s.find(' ') {
                Some(i) => (&s[..i], s[i..].trim()),
                None => (s, ""),
            };
            let d = decimal_text(num)?;
            let u = if rest.is_empty() {
                "1".to_string()
            } else if let Some(u) = rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
                u.to_string()
            } else if calendar_ucum(rest).is_some() {
                rest.to_string()
            } else {
                return None;
            };
            Quantity(d, u)
        }
        _ => return None,
    };
    match (unit, &q) {
        (None, _) => Some(q),
        (Some(u), Quantity(d, qu)) => {
            // both in the common base unit, then back to the target unit
            let (in_base, target_scale) = super::quantity::common((d, qu), (&1.into(), u), false)?;
            Some(Quantity(
                in_base.checked_div(target_scale)?.normalize(),
                u.to_string(),
            ))
        }
        _ => None,
    }
}

/// The FHIRPath string form of a value.
pub(crate) fn to_string(v: &Value) -> String {
    match v {
        Value::Boolean(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Date(d) | Value::DateTime(d) | Value::Time(d) => d.format(),
        Value::TypeInfo { namespace, name } => format!("{namespace}.{name}"),
        Value::Quantity(d, u) => {
            if calendar_ucum(u).is_some() {
                format!("{d} {u}")
            } else {
                format!("{d} '{u}'")
            }
        }
    }
}
