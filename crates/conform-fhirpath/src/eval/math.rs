//! Math functions. Exact operations use decimals; transcendental ones go
//! through `f64` and come back as decimals.

use super::operators::singleton;
use super::Ev;
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, Value};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

type Arg<'a> = dyn Fn(usize) -> EResult<Items> + 'a;

pub(crate) fn handles(name: &str) -> bool {
    matches!(
        name,
        "abs"
            | "ceiling"
            | "exp"
            | "floor"
            | "ln"
            | "log"
            | "power"
            | "round"
            | "sqrt"
            | "truncate"
    )
}

fn from_f64(x: f64) -> Option<Value> {
    if !x.is_finite() {
        return None;
    }
    Decimal::from_f64(x).map(|d| Value::Decimal(d.round_dp(8).normalize()))
}

pub(crate) fn call(ev: &Ev, name: &str, input: &[Item], arg: &Arg) -> EResult<Items> {
    let Some(x) = singleton(ev, input)? else {
        return Ok(Items::new());
    };
    let d = match &x {
        Value::Integer(i) => Decimal::from(*i),
        Value::Decimal(d) => *d,
        Value::Quantity(q, u) if name == "abs" => {
            return Ok(smallvec::smallvec![Item::Value(Value::Quantity(
                q.abs(),
                u.clone()
            ))])
        }
        v => bail!("{name}() needs a number, got {}", v.type_name()),
    };
    let f = d.to_f64().unwrap_or(f64::NAN);
    let num_arg = |k| -> EResult<Option<Value>> { singleton(ev, &arg(k)?) };
    let int = |d: Decimal| d.to_i64().map(Value::Integer);
    let r = match name {
        "abs" => match x {
            Value::Integer(i) => i.checked_abs().map(Value::Integer),
            _ => Some(Value::Decimal(d.abs())),
        },
        "ceiling" => int(d.ceil()),
        "floor" => int(d.floor()),
        "truncate" => int(d.trunc()),
        "round" => {
            let p = match num_arg(0)? {
                None => 0,
                Some(Value::Integer(p)) if (0..=28).contains(&p) => p as u32,
                Some(_) => bail!("round() precision must be a non-negative integer"),
            };
            Some(Value::Decimal(d.round_dp_with_strategy(
                p,
                RoundingStrategy::MidpointAwayFromZero,
            )))
        }
        "exp" => from_f64(f.exp()),
        "ln" => from_f64(f.ln()),
        "sqrt" => from_f64(f.sqrt()),
        "log" | "power" => {
            let y = match num_arg(0)? {
                None => return Ok(Items::new()),
                Some(Value::Integer(i)) => i as f64,
                Some(Value::Decimal(d)) => d.to_f64().unwrap_or(f64::NAN),
                Some(_) => bail!("{name}() needs a number"),
            };
            if name == "log" {
                from_f64(f.ln() / y.ln())
            } else if let (Value::Integer(b), true) = (&x, y.fract() == 0.0 && y >= 0.0) {
                b.checked_pow(y as u32).map(Value::Integer)
            } else {
                from_f64(f.powf(y))
            }
        }
        _ => bail!("unknown math function {name}"),
    };
    Ok(r.map(Item::Value).into_iter().collect())
}
