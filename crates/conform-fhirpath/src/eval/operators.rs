//! Operators: empty propagation, singleton evaluation, three-valued logic,
//! equality/equivalence, ordering, arithmetic and collection operators.

use super::types::to_value;
use super::{quantity, Ev, Scope};
use crate::ast::{BinOp, Node};
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::cmp::Ordering;

/// The single value of a collection: `None` when empty, an error when more
/// than one item.
pub(crate) fn singleton(ev: &Ev, c: &[Item]) -> EResult<Option<Value>> {
    match c {
        [] => Ok(None),
        [i] => Ok(to_value(ev, i)),
        _ => bail!("expected a single item, got {}", c.len()),
    }
}

/// Singleton as a Boolean (spec: a single non-Boolean item counts as true).
pub(crate) fn truth(ev: &Ev, c: &[Item]) -> EResult<Option<bool>> {
    match c {
        [] => Ok(None),
        [i] => Ok(Some(match to_value(ev, i) {
            Some(Value::Boolean(b)) => b,
            _ => true,
        })),
        _ => bail!("expected a single boolean, got {} items", c.len()),
    }
}

fn b(v: bool) -> Items {
    smallvec::smallvec![Item::Value(Value::Boolean(v))]
}
fn opt_b(v: Option<bool>) -> Items {
    v.map(b).unwrap_or_default()
}

pub(crate) fn negate(ev: &Ev, c: &[Item]) -> EResult<Items> {
    Ok(match singleton(ev, c)? {
        None => Items::new(),
        Some(Value::Integer(i)) => smallvec::smallvec![Item::Value(Value::Integer(
            i.checked_neg().ok_or_else(overflow)?,
        ))],
        // negating zero gives zero, not a signed "-0.0"
        Some(Value::Decimal(d)) if d.is_zero() => {
            smallvec::smallvec![Item::Value(Value::Decimal(d.abs()))]
        }
        Some(Value::Decimal(d)) => smallvec::smallvec![Item::Value(Value::Decimal(-d))],
        Some(Value::Quantity(d, u)) => smallvec::smallvec![Item::Value(Value::Quantity(-d, u))],
        Some(_) => bail!("unary minus needs a number or quantity"),
    })
}

pub(crate) fn binary(
    ev: &Ev,
    op: BinOp,
    a: &Node,
    bn: &Node,
    focus: &[Item],
    scope: &Scope,
) -> EResult<Items> {
    use BinOp::*;
    if matches!(op, Eq | Ne) {
        return Ok(opt_b(equality(ev, op, a, bn, focus, scope)?));
    }
    let l = ev.eval(a, focus, scope)?;
    // short-circuit the logical operators when the left side decides, so an
    // error on the right (`x.exists() and x.single() = 1`) does not surface
    let decided = match op {
        And => truth(ev, &l)? == Some(false),
        Or => truth(ev, &l)? == Some(true),
        Implies => truth(ev, &l)? == Some(false),
        _ => false,
    };
    if decided {
        return Ok(b(op != And));
    }
    let r = ev.eval(bn, focus, scope)?;
    Ok(match op {
        And | Or | Xor | Implies => opt_b(logic(op, truth(ev, &l)?, truth(ev, &r)?)),
        Eq | Ne => unreachable!("equality is answered above"),
        Union => union(ev, &l, &r)?,
        In | Contains => {
            let (item, coll) = if op == In { (&l, &r) } else { (&r, &l) };
            match item.len() {
                0 => Items::new(),
                1 => b(coll.iter().any(|c| equals(ev, &item[0], c) == Some(true))),
                _ => bail!(
                    "'{}' needs a single item",
                    if op == In { "in" } else { "contains" }
                ),
            }
        }
        Equiv | NotEquiv => {
            let e = l.len() == r.len() && {
                let mut used = vec![false; r.len()];
                l.iter().all(|x| {
                    let k = (0..r.len()).find(|k| !used[*k] && equivalent(ev, x, &r[*k]));
                    k.map(|k| used[k] = true).is_some()
                })
            };
            b(if op == Equiv { e } else { !e })
        }
        Lt | Gt | Le | Ge => {
            let (Some(x), Some(y)) = (singleton(ev, &l)?, singleton(ev, &r)?) else {
                return Ok(Items::new());
            };
            match compare(&x, &y)? {
                None => Items::new(),
                Some(o) => b(match op {
                    Lt => o == Ordering::Less,
                    Gt => o == Ordering::Greater,
                    Le => o != Ordering::Greater,
                    _ => o != Ordering::Less,
                }),
            }
        }
        Concat => {
            let s = |c: &[Item]| -> EResult<String> {
                Ok(match singleton(ev, c)? {
                    None => String::new(),
                    Some(Value::String(s)) => s,
                    Some(_) => bail!("'&' needs strings"),
                })
            };
            smallvec::smallvec![Item::Value(Value::String(s(&l)? + &s(&r)?))]
        }
        Add | Sub | Mul | Div | IntDiv | Mod => {
            let (Some(x), Some(y)) = (singleton(ev, &l)?, singleton(ev, &r)?) else {
                return Ok(Items::new());
            };
            arithmetic(op, x, y)?.map(Item::Value).into_iter().collect()
        }
    })
}

/// `a = b` or `a != b` (`None`: empty). A string literal on the right
/// (`code = 'Quantity'`, `max = '*'`, on every element) is compared with
/// the left side in place, without copying either.
pub(crate) fn equality(
    ev: &Ev,
    op: BinOp,
    a: &Node,
    bn: &Node,
    focus: &[Item],
    scope: &Scope,
) -> EResult<Option<bool>> {
    if super::logical(a) && super::logical(bn) {
        // two truths (`extension.exists() != value.exists()`): compared
        // without building either Boolean
        let Some(x) = ev.truth(a, focus, scope)? else {
            return Ok(None);
        };
        let Some(y) = ev.truth(bn, focus, scope)? else {
            return Ok(None);
        };
        return Ok(Some((x == y) == (op == BinOp::Eq)));
    }
    let l = ev.eval(a, focus, scope)?;
    if let (Node::Literal(Value::String(lit)), [x]) = (bn, l.as_slice()) {
        if let Some(s) = plain_str(ev, x) {
            return Ok(Some((s == lit.as_str()) == (op == BinOp::Eq)));
        }
    }
    let r = ev.eval(bn, focus, scope)?;
    if l.is_empty() || r.is_empty() {
        return Ok(None);
    }
    let e = if l.len() != r.len() {
        Some(false)
    } else {
        let mut res = Some(true);
        for (x, y) in l.iter().zip(&r) {
            match equals(ev, x, y) {
                Some(true) => {}
                Some(false) => {
                    res = Some(false);
                    break;
                }
                None => res = None,
            }
        }
        res
    };
    Ok(if op == BinOp::Eq { e } else { e.map(|e| !e) })
}

/// The three-valued `and`, `or`, `xor` and `implies` of two truths
/// (`None`: empty).
pub(crate) fn logic(op: BinOp, x: Option<bool>, y: Option<bool>) -> Option<bool> {
    use BinOp::*;
    match op {
        And => match (x, y) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Or => match (x, y) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Xor => x.zip(y).map(|(x, y)| x != y),
        _ => match (x, y) {
            (Some(false), _) | (_, Some(true)) => Some(true),
            (Some(true), Some(false)) => Some(false),
            _ => None,
        },
    }
}

/// `|`: union without duplicates.
pub(crate) fn union(ev: &Ev, l: &[Item], r: &[Item]) -> EResult<Items> {
    if l.len() + r.len() > 16 {
        if let Some(out) = union_of_strings(ev, l, r) {
            return Ok(out);
        }
    }
    let mut out: Items = Items::new();
    for i in l.iter().chain(r) {
        // each item is compared with all kept so far: counted, so a union
        // of two huge collections stops at the step limit
        ev.charge(out.len())?;
        if !out.iter().any(|o| equals(ev, o, i) == Some(true)) {
            out.push(i.clone());
        }
    }
    Ok(out)
}

/// [`union`] when every item is a String, whose equality is exact: by
/// hashing, not by comparing each item with all before it (`bdl-7` asks
/// `isDistinct()` of every fullUrl of a Bundle; 10,000 entries made that
/// the whole run). `None` when an item is anything else.
fn union_of_strings(ev: &Ev, l: &[Item], r: &[Item]) -> Option<Items> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Items::new();
    for i in l.iter().chain(r) {
        let Some(Value::String(s)) = to_value(ev, i) else {
            return None;
        };
        if seen.insert(s) {
            out.push(i.clone());
        }
    }
    Some(out)
}

/// Item equality (`=`); `None` when unknown (date precision differs).
pub(crate) fn equals(ev: &Ev, a: &Item, b: &Item) -> Option<bool> {
    if let (Item::Node(x), Item::Node(y)) = (a, b) {
        // The same place in the document is the same value, whatever type
        // each side was reached as (`%rootResource != $this` compares a
        // resource with itself on every resource: no serialising).
        if (x.node.is_some() || x.companion.is_some())
            && x.node == y.node
            && x.companion == y.companion
        {
            return Some(true);
        }
        let objectish = |n: &crate::value::NodeRef| {
            n.node.is_none_or(|n| {
                matches!(
                    ev.doc.kind(n),
                    conform_json::Kind::Object | conform_json::Kind::Array
                )
            })
        };
        if objectish(x) || objectish(y) {
            // The same JSON text on both sides (value and companion), found
            // without writing it out.
            let same =
                |a: Option<conform_json::NodeId>, b: Option<conform_json::NodeId>| match (a, b) {
                    (Some(a), Some(b)) => ev.doc.json_eq(a, b),
                    (a, b) => a.is_none() && b.is_none(),
                };
            return Some(same(x.node, y.node) && same(x.companion, y.companion));
        }
    }
    if let (Some(x), Some(y)) = (plain_str(ev, a), plain_str(ev, b)) {
        return Some(x == y);
    }
    let (x, y) = (to_value(ev, a)?, to_value(ev, b)?);
    value_equals(&x, &y)
}

/// The text of an item that [`to_value`] would make a String, borrowed:
/// `code = 'Quantity'` and `max = '*'` compare strings on every element,
/// and copying both sides first was most of their cost.
pub(crate) fn plain_str<'a, 's: 'a>(ev: &Ev<'_, 's>, item: &'a Item) -> Option<Cow<'a, str>> {
    match item {
        Item::Value(Value::String(s)) => Some(Cow::Borrowed(s)),
        Item::Node(n) => {
            let node = n.node?;
            let ty = n.ty.as_deref();
            let string_typed = ty.is_none_or(|t| {
                !matches!(
                    crate::model::system_type_of(t),
                    Some("Date" | "DateTime" | "Time")
                )
            });
            if string_typed && ev.doc.kind(node) == conform_json::Kind::String {
                ev.doc.str(node)
            } else {
                None
            }
        }
        _ => None,
    }
}

pub(crate) fn value_equals(x: &Value, y: &Value) -> Option<bool> {
    use Value::*;
    // two integers, the commonest pair (`min <= max.toInteger()`), without
    // the conversions to decimals below
    if let (Integer(a), Integer(b)) = (x, y) {
        return Some(a == b);
    }
    let (x, y) = implicit(x, y);
    match (x.as_ref(), y.as_ref()) {
        (Quantity(a, ua), Quantity(b, ub)) => match quantity::common((a, ua), (b, ub), true) {
            Some((a, b)) => Some(a == b),
            // calendar years/months against UCUM `a`/`mo`: unknown
            None if quantity::calendar_vs_ucum(ua, ub) => None,
            None => Some(false),
        },
        (Date(_) | DateTime(_), Date(_) | DateTime(_)) | (Time(_), Time(_)) => {
            match compare(&x, &y) {
                Ok(Some(o)) => Some(o == Ordering::Equal),
                _ => None,
            }
        }
        _ => match (num(&x), num(&y)) {
            (Some(a), Some(b)) => Some(a == b),
            _ => Some(x == y),
        },
    }
}

/// Implicit conversions between operands: a String compared with a date or
/// time is read as one (document values often lack type information).
/// Operands that need no conversion are borrowed, not copied.
fn implicit<'x, 'y>(x: &'x Value, y: &'y Value) -> (Cow<'x, Value>, Cow<'y, Value>) {
    use Value::*;
    let conv = |s: &str, like: &Value| -> Option<Value> {
        match like {
            Date(_) | DateTime(_) => crate::parser::date_literal(s),
            Time(_) => super::dates::DateTime::parse_time(s).map(Time),
            _ => None,
        }
    };
    match (x, y) {
        (String(s), o @ (Date(_) | DateTime(_) | Time(_))) => (
            conv(s, o).map_or(Cow::Borrowed(x), Cow::Owned),
            Cow::Borrowed(y),
        ),
        (o @ (Date(_) | DateTime(_) | Time(_)), String(s)) => (
            Cow::Borrowed(x),
            conv(s, o).map_or(Cow::Borrowed(y), Cow::Owned),
        ),
        (Integer(_) | Decimal(_), Quantity(..)) => (
            Cow::Owned(Quantity(num(x).unwrap_or_default(), "1".into())),
            Cow::Borrowed(y),
        ),
        (Quantity(..), Integer(_) | Decimal(_)) => (
            Cow::Borrowed(x),
            Cow::Owned(Quantity(num(y).unwrap_or_default(), "1".into())),
        ),
        _ => (Cow::Borrowed(x), Cow::Borrowed(y)),
    }
}

fn num(v: &Value) -> Option<Decimal> {
    match v {
        Value::Integer(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

/// Equivalence (`~`): strings ignore case and whitespace differences,
/// decimals compare at the lesser precision, unknown date precision is false.
pub(crate) fn equivalent(ev: &Ev, a: &Item, b: &Item) -> bool {
    if let (Item::Node(_), Item::Node(_)) = (a, b) {
        if let Some(r) = equals(ev, a, b) {
            if r || to_value(ev, a).is_none() {
                return r;
            }
        }
    }
    let (Some(x), Some(y)) = (to_value(ev, a), to_value(ev, b)) else {
        return false;
    };
    let (x, y) = implicit(&x, &y);
    match (x.as_ref(), y.as_ref()) {
        (Value::String(s), Value::String(t)) => norm(s) == norm(t),
        (Value::Quantity(a, ua), Value::Quantity(c, uc)) => {
            quantity::common((a, ua), (c, uc), false).is_some_and(|(a, c)| round_eq(a, c))
        }
        _ => match (num(&x), num(&y)) {
            (Some(p), Some(q)) => round_eq(p, q),
            _ => value_equals(&x, &y) == Some(true),
        },
    }
}

fn round_eq(a: Decimal, b: Decimal) -> bool {
    let s = a.scale().min(b.scale());
    a.round_dp(s) == b.round_dp(s)
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Ordering of two values; `Ok(None)` when unknown (date precision),
/// an error when the types cannot be compared.
pub(crate) fn compare(x: &Value, y: &Value) -> EResult<Option<Ordering>> {
    use Value::*;
    // two integers, as `value_equals`
    if let (Integer(a), Integer(b)) = (x, y) {
        return Ok(Some(a.cmp(b)));
    }
    let (x, y) = implicit(x, y);
    Ok(match (x.as_ref(), y.as_ref()) {
        (String(a), String(b)) => Some(a.cmp(b)),
        (Date(a) | DateTime(a), Date(b) | DateTime(b)) | (Time(a), Time(b)) => a.compare(b),
        (Quantity(a, ua), Quantity(b, ub)) => {
            quantity::common((a, ua), (b, ub), false).map(|(a, b)| a.cmp(&b))
        }
        _ => match (num(&x), num(&y)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => bail!("cannot compare {} with {}", x.type_name(), y.type_name()),
        },
    })
}

fn arithmetic(op: BinOp, x: Value, y: Value) -> EResult<Option<Value>> {
    use Value::*;
    Ok(match (op, &x, &y) {
        (BinOp::Add, String(a), String(b)) => Some(String(format!("{a}{b}"))),
        (BinOp::Add | BinOp::Sub, Date(d) | DateTime(d) | Time(d), Quantity(q, u)) => {
            let q = if op == BinOp::Sub { -*q } else { *q };
            let unit = match u.as_str() {
                "a" | "mo" => bail!("calendar arithmetic needs 'year'/'month', not UCUM '{u}'"),
                "wk" => "week",
                "d" => "day",
                "h" => "hour",
                "min" => "minute",
                other => other,
            };
            let r = d.add(q, unit);
            match (r, &x) {
                (Some(r), Date(_)) => Some(Date(r)),
                (Some(r), DateTime(_)) => Some(DateTime(r)),
                (Some(r), _) => Some(Time(r)),
                (None, _) => bail!("cannot add {q} '{u}' to a date"),
            }
        }
        (_, Integer(a), Integer(b)) => match op {
            BinOp::Add => Some(Integer(a.checked_add(*b).ok_or_else(overflow)?)),
            BinOp::Sub => Some(Integer(a.checked_sub(*b).ok_or_else(overflow)?)),
            BinOp::Mul => Some(Integer(a.checked_mul(*b).ok_or_else(overflow)?)),
            BinOp::IntDiv => a.checked_div(*b).map(Integer),
            BinOp::Mod => a.checked_rem(*b).map(Integer),
            _ => decimal_op(
                op,
                rust_decimal::Decimal::from(*a),
                rust_decimal::Decimal::from(*b),
            )?
            .map(Decimal),
        },
        (_, Quantity(a, ua), Quantity(b, ub)) => match op {
            BinOp::Add | BinOp::Sub => match quantity::common((a, ua), (b, ub), false) {
                Some((p, q)) if ua == ub || (p == *a && q == *b) => {
                    decimal_op(op, p, q)?.map(|v| Quantity(v, ua.clone()))
                }
                _ => None,
            },
            BinOp::Mul => {
                // same dimension, different units: convert the left to the right's unit
                let a = match quantity::common((a, ua), (&rust_decimal::Decimal::ONE, ub), false) {
                    Some((x, one)) if ua != ub => x.checked_div(one).unwrap_or(*a),
                    _ => *a,
                };
                let ua = if quantity::common((&a, ua), (b, ub), false).is_some() {
                    ub
                } else {
                    ua
                };
                a.checked_mul(*b)
                    .map(|v| Quantity(v, mul_unit(ua, ub, '.')))
            }
            BinOp::Div => a
                .checked_div(*b)
                .map(|v| Quantity(v, mul_unit(ua, ub, '/'))),
            _ => None,
        },
        (BinOp::Mul | BinOp::Div, Quantity(a, u), n) if num(n).is_some() => {
            decimal_op(op, *a, num(n).unwrap_or_default())?.map(|v| Quantity(v, u.clone()))
        }
        (BinOp::Mul, n, Quantity(a, u)) if num(n).is_some() => a
            .checked_mul(num(n).unwrap_or_default())
            .map(|v| Quantity(v, u.clone())),
        _ => match (num(&x), num(&y)) {
            (Some(a), Some(b)) => decimal_op(op, a, b)?.map(Decimal),
            _ => bail!(
                "cannot apply {op:?} to {} and {}",
                x.type_name(),
                y.type_name()
            ),
        },
    })
}

fn mul_unit(a: &str, b: &str, sep: char) -> String {
    match (a, b, sep) {
        (_, b, '/') if a == b => "1".into(),
        ("1", b, '.') => b.into(),
        (a, b, '.') if a == b => format!("{a}2"),
        (a, "1", _) => a.into(),
        _ => format!("{a}{sep}{b}"),
    }
}

fn overflow() -> crate::EvalError {
    crate::EvalError::new("integer overflow")
}

fn decimal_op(op: BinOp, a: Decimal, b: Decimal) -> EResult<Option<Decimal>> {
    Ok(match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div => a.checked_div(b).map(|d| d.normalize()),
        BinOp::IntDiv => a.checked_div(b).map(|d| d.trunc()),
        BinOp::Mod => a.checked_rem(b),
        _ => None,
    }
    .filter(|d| d.to_f64().is_some()))
}

#[cfg(test)]
mod union_tests {
    fn eval(expr: &str) -> Vec<crate::Value> {
        let doc = conform_json::parse(b"{\"resourceType\":\"Basic\"}").expect("json");
        let ctx = crate::Context::new();
        let e = crate::parse(expr).expect("parses");
        let items = crate::evaluate(&e, &doc, doc.root(), &ctx).expect("evaluates");
        items
            .iter()
            .filter_map(|i| crate::item_value(&doc, i, &ctx))
            .collect()
    }

    fn list(items: impl Iterator<Item = String>) -> String {
        format!("({})", items.collect::<Vec<_>>().join(" | "))
    }

    #[test]
    fn long_unions_of_strings_keep_the_first_of_each_in_order() {
        let many = list((0..40).map(|i| format!("'u{}'", i % 25)));
        let got = eval(&format!("{many}.count()"));
        assert_eq!(got, [crate::Value::Integer(25)]);
        let distinct = list((0..40).map(|i| format!("'u{i}'")));
        assert_eq!(
            eval(&format!("{distinct}.isDistinct()")),
            [crate::Value::Boolean(true)]
        );
        let first = eval(&format!("{many}.first()"));
        assert_eq!(first, [crate::Value::String("u0".into())]);
        // Not all strings: numbers of different types still meet (1 = 1.0).
        let mixed = list(
            (0..20)
                .map(|i| format!("'s{i}'"))
                .chain(["1".into(), "1.0".into()]),
        );
        assert_eq!(
            eval(&format!("{mixed}.count()")),
            [crate::Value::Integer(21)]
        );
    }
}
