//! Function dispatch: the arity table the parser checks against, and the
//! existence, filtering, subsetting, combining, tree and utility functions.
//! Strings, math, conversions, boundaries and the FHIR additions live in
//! their own modules.

use super::navigate::all_children;
use super::operators::{equals, plain_str, singleton, truth, union};
use super::types::{is_exact_type, is_type, to_value, type_of};
use super::{convert, dates, fhir, math, strings, Ev, Scope};
use crate::ast::{Node, TypeSpec};
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, Value};

/// `(min, max)` argument counts of every known function.
pub(crate) fn arity(name: &str) -> Option<(usize, usize)> {
    Some(match name {
        "empty" | "allTrue" | "anyTrue" | "allFalse" | "anyFalse" | "count" | "distinct"
        | "isDistinct" | "single" | "first" | "last" | "tail" | "not" | "children"
        | "descendants" | "now" | "timeOfDay" | "today" | "hasValue" | "getValue" | "resolve"
        | "htmlChecks" | "upper" | "lower" | "length" | "toChars" | "abs" | "ceiling" | "exp"
        | "floor" | "ln" | "sqrt" | "truncate" | "toBoolean" | "convertsToBoolean"
        | "toInteger" | "convertsToInteger" | "toDecimal" | "convertsToDecimal" | "toString"
        | "convertsToString" | "toDate" | "convertsToDate" | "toDateTime"
        | "convertsToDateTime" | "toTime" | "convertsToTime" | "type" | "hasTemplateIdOf" => (0, 0),
        "exists" | "round" | "join" | "lowBoundary" | "highBoundary" => (0, 1),
        "precision" | "trim" => (0, 0),
        "split" | "matchesFull" | "encode" | "decode" | "escape" | "unescape" | "comparable" => {
            (1, 1)
        }
        "sort" => (0, 8),
        "toQuantity" | "convertsToQuantity" => (0, 1),
        "all" | "subsetOf" | "supersetOf" | "where" | "select" | "repeat" | "ofType" | "skip"
        | "take" | "intersect" | "exclude" | "combine" | "union" | "indexOf" | "startsWith"
        | "endsWith" | "contains" | "matches" | "log" | "power" | "extension" | "memberOf"
        | "conformsTo" | "is" | "as" | "elementDefinition" | "slice" => (1, 1),
        "substring" | "trace" | "aggregate" => (1, 2),
        "replace" | "replaceMatches" => (2, 2),
        "iif" => (2, 3),
        _ => return None,
    })
}

fn b(v: bool) -> EResult<Items> {
    Ok(smallvec::smallvec![Item::Value(Value::Boolean(v))])
}
fn val(v: Value) -> Items {
    smallvec::smallvec![Item::Value(v)]
}

/// The first argument; the parser checks arities, but trees can also be
/// built by hand.
fn first(args: &[Node]) -> EResult<&Node> {
    match args.first() {
        Some(a) => Ok(a),
        None => bail!("missing argument"),
    }
}

/// Evaluates `arg` once per item of `input` with `$this`/`$index` bound.
fn per_item(ev: &Ev, arg: &Node, input: &[Item], scope: &Scope) -> EResult<Vec<Items>> {
    let mut out = Vec::with_capacity(input.len());
    each_item(ev, arg, input, scope, |_, r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// [`per_item`] handing each result to `f` as it comes, for the functions
/// that only fold the results (`all`, `exists`, `where`): every item is
/// still evaluated, so an error anywhere surfaces as before, but no
/// collection of collections is built on every element.
fn each_item(
    ev: &Ev,
    arg: &Node,
    input: &[Item],
    scope: &Scope,
    mut f: impl FnMut(usize, Items) -> EResult<()>,
) -> EResult<()> {
    for (i, item) in input.iter().enumerate() {
        let s = Scope {
            this: Some(item.clone()),
            index: Some(i as i64),
            total: scope.total.clone(),
        };
        f(i, ev.eval(arg, std::slice::from_ref(item), &s)?)?;
    }
    Ok(())
}

/// Reads a type specifier given as a function argument (`ofType(FHIR.Quantity)`).
fn type_arg(n: &Node) -> EResult<TypeSpec> {
    match n {
        Node::Member(name) => Ok(TypeSpec {
            namespace: None,
            name: name.clone(),
        }),
        Node::Path(t, name) => match &**t {
            Node::Member(ns) => Ok(TypeSpec {
                namespace: Some(ns.clone()),
                name: name.clone(),
            }),
            _ => bail!("expected a type name"),
        },
        _ => bail!("expected a type name"),
    }
}

pub(crate) fn call(
    ev: &Ev,
    name: &str,
    input: &[Item],
    args: &[Node],
    outer: &[Item],
    scope: &Scope,
) -> EResult<Items> {
    // non-lambda arguments see the same focus as the call itself
    let arg = |k: usize| -> EResult<Items> {
        match args.get(k) {
            Some(a) => ev.eval(a, outer, scope),
            None => Ok(Items::new()),
        }
    };
    Ok(match name {
        "empty" => return b(input.is_empty()),
        "exists" => match args.first() {
            None => return b(!input.is_empty()),
            Some(a) => {
                let mut any = false;
                each_item(ev, a, input, scope, |_, c| {
                    any |= truth(ev, &c)? == Some(true);
                    Ok(())
                })?;
                return b(any);
            }
        },
        "all" => {
            let mut all = true;
            each_item(ev, first(args)?, input, scope, |_, c| {
                // as before: the first item not true decides, and later
                // items are evaluated but not read
                if all {
                    all = truth(ev, &c)? == Some(true);
                }
                Ok(())
            })?;
            return b(all);
        }
        "allTrue" | "anyTrue" | "allFalse" | "anyFalse" => {
            let want = matches!(name, "allTrue" | "anyTrue");
            let mut hits = 0;
            for i in input {
                match to_value(ev, i) {
                    Some(Value::Boolean(x)) => hits += usize::from(x == want),
                    _ => bail!("{name}() needs booleans"),
                }
            }
            return b(if name.starts_with("all") {
                hits == input.len()
            } else {
                hits > 0
            });
        }
        "subsetOf" | "supersetOf" => {
            let other = arg(0)?;
            let (small, big) = if name == "subsetOf" {
                (input, &other[..])
            } else {
                (&other[..], input)
            };
            return b(small
                .iter()
                .all(|x| big.iter().any(|y| equals(ev, x, y) == Some(true))));
        }
        "count" => val(Value::Integer(input.len() as i64)),
        "distinct" => union(ev, input, &[])?,
        "isDistinct" => return b(union(ev, input, &[])?.len() == input.len()),
        "where" => {
            let mut out = Items::new();
            each_item(ev, first(args)?, input, scope, |i, c| {
                if truth(ev, &c)? == Some(true) {
                    out.push(input[i].clone());
                }
                Ok(())
            })?;
            out
        }
        "select" => {
            let mut out = Items::new();
            each_item(ev, first(args)?, input, scope, |_, mut c| {
                out.append(&mut c);
                Ok(())
            })?;
            out
        }
        "repeat" => {
            let mut out: Items = Items::new();
            let mut frontier = Items::from(input);
            while !frontier.is_empty() {
                let next: Items = per_item(ev, first(args)?, &frontier, scope)?
                    .into_iter()
                    .flatten()
                    .collect();
                frontier = Items::new();
                for n in next {
                    // each new item is compared with all found so far
                    ev.charge(out.len())?;
                    if !out.iter().any(|o| equals(ev, o, &n) == Some(true)) {
                        out.push(n.clone());
                        frontier.push(n);
                    }
                }
            }
            out
        }
        "ofType" => {
            let ts = type_arg(first(args)?)?;
            super::types::check_type(ev, &ts)?;
            input
                .iter()
                .filter(|i| is_exact_type(ev, i, &ts))
                .cloned()
                .collect()
        }
        "is" | "as" => {
            let ts = type_arg(first(args)?)?;
            super::types::check_type(ev, &ts)?;
            // R4 core invariants (dom-3) apply `as()` to whole collections;
            // with the lenient option it then filters like `ofType()`
            if name == "as" && input.len() > 1 && ev.ctx.lenient_as {
                return Ok(input
                    .iter()
                    .filter(|i| is_exact_type(ev, i, &ts))
                    .cloned()
                    .collect());
            }
            if input.len() > 1 {
                bail!("{name}() needs a single item");
            }
            match (name, input.first()) {
                (_, None) => Items::new(),
                ("is", Some(i)) => return b(is_type(ev, i, &ts)),
                (_, Some(i)) => [i.clone()]
                    .into_iter()
                    .filter(|i| is_exact_type(ev, i, &ts))
                    .collect(),
            }
        }
        "single" => match input.len() {
            0 | 1 => Items::from(input),
            _ => bail!("single() on {} items", input.len()),
        },
        "first" => input.first().cloned().into_iter().collect(),
        "last" => input.last().cloned().into_iter().collect(),
        "tail" => input.iter().skip(1).cloned().collect(),
        "skip" | "take" => {
            let n = match singleton(ev, &arg(0)?)? {
                Some(Value::Integer(n)) => n,
                None => return Ok(Items::new()),
                _ => bail!("{name}() needs an integer"),
            };
            let n = n.clamp(0, input.len() as i64) as usize;
            if name == "skip" {
                Items::from(&input[n..])
            } else {
                Items::from(&input[..n])
            }
        }
        "intersect" => {
            let other = arg(0)?;
            let common: Items = input
                .iter()
                .filter(|x| other.iter().any(|y| equals(ev, x, y) == Some(true)))
                .cloned()
                .collect();
            union(ev, &common, &[])?
        }
        "exclude" => {
            let other = arg(0)?;
            input
                .iter()
                .filter(|x| !other.iter().any(|y| equals(ev, x, y) == Some(true)))
                .cloned()
                .collect()
        }
        "union" => union(ev, input, &arg(0)?)?,
        "combine" => input.iter().cloned().chain(arg(0)?).collect(),
        "iif" => {
            if input.len() > 1 {
                bail!("iif() on a collection of {} items", input.len());
            }
            let s = Scope {
                this: input.first().cloned().or(scope.this.clone()),
                ..scope.clone()
            };
            let cond = ev.eval(first(args)?, input, &s)?;
            let c = match cond.as_slice() {
                [] => false,
                [i] => match to_value(ev, i) {
                    Some(Value::Boolean(x)) => x,
                    _ => bail!("iif() criterion must be a boolean"),
                },
                _ => bail!("iif() criterion must be a single boolean"),
            };
            match if c { args.get(1) } else { args.get(2) } {
                Some(a) => ev.eval(a, input, &s)?,
                None => Items::new(),
            }
        }
        "not" => match truth(ev, input)? {
            Some(x) => return b(!x),
            None => Items::new(),
        },
        "aggregate" => {
            let mut total = match args.get(1) {
                Some(a) => ev.eval(a, outer, scope)?,
                None => Items::new(),
            };
            for (i, item) in input.iter().enumerate() {
                let s = Scope {
                    this: Some(item.clone()),
                    index: Some(i as i64),
                    total: Some(total),
                };
                total = ev.eval(first(args)?, std::slice::from_ref(item), &s)?;
            }
            total
        }
        "children" => input.iter().flat_map(|i| all_children(ev, i)).collect(),
        "descendants" => {
            let mut out = Items::new();
            let mut frontier: Items = input.iter().flat_map(|i| all_children(ev, i)).collect();
            while !frontier.is_empty() {
                ev.charge(frontier.len())?;
                let next: Items = frontier.iter().flat_map(|i| all_children(ev, i)).collect();
                out.append(&mut frontier);
                frontier = next;
            }
            out
        }
        "trace" => {
            if let Some(t) = ev.ctx.trace {
                let label = match singleton(ev, &arg(0)?)? {
                    Some(Value::String(s)) => s,
                    _ => String::new(),
                };
                match args.get(1) {
                    Some(p) => t(&label, &per_item(ev, p, input, scope)?.concat()),
                    None => t(&label, input),
                }
            }
            Items::from(input)
        }
        "now" => val(Value::DateTime(dates::now())),
        "today" => {
            let mut d = dates::now();
            d.prec = 3;
            d.tz = None;
            val(Value::Date(d))
        }
        "timeOfDay" => {
            let mut d = dates::now();
            d.is_time = true;
            d.tz = None;
            val(Value::Time(d))
        }
        "type" => {
            let mut out = Items::new();
            for i in input {
                if let Some((ns, n)) = type_of(ev, i) {
                    out.push(Item::Value(Value::TypeInfo {
                        namespace: ns.into(),
                        name: n,
                    }));
                }
            }
            out
        }
        "elementDefinition" | "slice" | "hasTemplateIdOf" => Items::new(),
        "join" => {
            let sep = match singleton(ev, &arg(0)?)? {
                Some(Value::String(s)) => s,
                _ => String::new(),
            };
            let mut parts = Vec::new();
            for i in input {
                match to_value(ev, i) {
                    Some(Value::String(s)) => parts.push(s),
                    _ => bail!("join() needs strings"),
                }
            }
            val(Value::String(parts.join(&sep)))
        }
        "sort" => sort(ev, input, args, scope)?,
        "precision" | "lowBoundary" | "highBoundary" => {
            let Some(v) = singleton(ev, input)? else {
                return Ok(Items::new());
            };
            let digits = match singleton(ev, &arg(0)?)? {
                Some(Value::Integer(i)) => Some(i),
                _ => None,
            };
            let r = match name {
                "precision" => super::boundary::precision(&v).map(Value::Integer),
                _ => super::boundary::boundary(&v, digits, name == "highBoundary"),
            };
            r.map(Item::Value).into_iter().collect()
        }
        "comparable" => match (singleton(ev, input)?, singleton(ev, &arg(0)?)?) {
            (Some(Value::Quantity(a, ua)), Some(Value::Quantity(c, uc))) => {
                return b(super::quantity::common((&a, &ua), (&c, &uc), false).is_some())
            }
            (None, _) | (_, None) => Items::new(),
            _ => bail!("comparable() needs quantities"),
        },
        _ if fhir::handles(name) => fhir::call(ev, name, input, &arg)?,
        "matches" => match (args, input) {
            // the pattern of an invariant is a literal: matched in place,
            // without copying it or the string
            ([Node::Literal(Value::String(p))], [i]) => match plain_str(ev, i) {
                Some(s) => return b(strings::regex(p)?.is_match(&s)?),
                None => strings::call(ev, name, input, &arg)?,
            },
            _ => strings::call(ev, name, input, &arg)?,
        },
        _ if strings::handles(name) => strings::call(ev, name, input, &arg)?,
        _ if math::handles(name) => math::call(ev, name, input, &arg)?,
        _ if convert::handles(name) => convert::call(ev, name, input, &arg)?,
        _ => bail!("function {name}() is not supported"),
    })
}

/// `sort(keys...)`: stable sort by each key in turn; a key written `-expr`
/// sorts descending.
fn sort(ev: &Ev, input: &[Item], args: &[Node], scope: &Scope) -> EResult<Items> {
    use std::cmp::Ordering;
    let keys: Vec<(&Node, bool)> = if args.is_empty() {
        vec![(&Node::This, false)]
    } else {
        args.iter()
            .map(|a| match a {
                Node::Negate(inner) => (&**inner, true),
                a => (a, false),
            })
            .collect()
    };
    let mut rows = Vec::new();
    for (i, item) in input.iter().enumerate() {
        let mut vals = Vec::new();
        for (k, _) in &keys {
            let r = per_item(ev, k, std::slice::from_ref(item), scope)?.concat();
            vals.push(singleton(ev, &r)?);
        }
        rows.push((i, vals));
    }
    let mut err = None;
    rows.sort_by(|a, c| {
        for (k, (_, desc)) in keys.iter().enumerate() {
            let o = match (&a.1[k], &c.1[k]) {
                (None, None) => Ordering::Equal,
                // empty keys sort after values (so first under `-key`)
                (None, _) => Ordering::Greater,
                (_, None) => Ordering::Less,
                (Some(x), Some(y)) => match super::operators::compare(x, y) {
                    Ok(o) => o.unwrap_or(Ordering::Equal),
                    Err(e) => {
                        err = Some(e);
                        Ordering::Equal
                    }
                },
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    if let Some(e) = err {
        return Err(e);
    }
    Ok(rows.into_iter().map(|(i, _)| input[i].clone()).collect())
}
