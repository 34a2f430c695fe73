//! String functions. Positions are in characters, not bytes.

use super::operators::singleton;
use super::Ev;
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, Value};

type Arg<'a> = dyn Fn(usize) -> EResult<Items> + 'a;

pub(crate) fn handles(name: &str) -> bool {
    matches!(
        name,
        "indexOf"
            | "substring"
            | "startsWith"
            | "endsWith"
            | "contains"
            | "upper"
            | "lower"
            | "replace"
            | "matches"
            | "replaceMatches"
            | "length"
            | "toChars"
            | "trim"
            | "split"
            | "matchesFull"
            | "encode"
            | "decode"
            | "escape"
            | "unescape"
    )
}

fn str_of(ev: &Ev, c: &[Item], what: &str) -> EResult<Option<String>> {
    match singleton(ev, c)? {
        None if c.is_empty() => Ok(None),
        None => bail!("{what} needs a string, got a complex value"),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => bail!("{what} needs a string, got {}", v.type_name()),
    }
}

/// Compiles a pattern as FHIRPath's regular expressions read (`.` matches
/// new lines), within a size limit a hostile pattern cannot pass.
pub(crate) fn build_regex(p: &str) -> EResult<regex::Regex> {
    regex::RegexBuilder::new(p)
        .dot_matches_new_line(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| crate::EvalError::new(format!("invalid regex: {e}")))
}

/// Compiles a pattern, caching per thread: invariants run the same few
/// patterns over every resource, and compiling dominates matching. The
/// cache hands out shared handles, not clones: a cloned `Regex` starts
/// with an empty match cache and rebuilds it on its first search, which
/// cost more than the match itself.
pub(crate) fn regex(p: &str) -> EResult<std::rc::Rc<regex::Regex>> {
    thread_local! {
        static CACHE: std::cell::RefCell<rustc_hash::FxHashMap<String, std::rc::Rc<regex::Regex>>> =
            Default::default();
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(p).cloned()) {
        return Ok(r);
    }
    let r = std::rc::Rc::new(build_regex(p)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(p.to_string(), r.clone());
    });
    Ok(r)
}

pub(crate) fn call(ev: &Ev, name: &str, input: &[Item], arg: &Arg) -> EResult<Items> {
    let Some(s) = str_of(ev, input, name)? else {
        return Ok(Items::new());
    };
    let sarg = |k| str_of(ev, &arg(k)?, name);
    let int_arg = |k| -> EResult<Option<i64>> {
        match singleton(ev, &arg(k)?)? {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(i)),
            Some(_) => bail!("{name} needs an integer"),
        }
    };
    let v = match name {
        "upper" => Value::String(s.to_uppercase()),
        "lower" => Value::String(s.to_lowercase()),
        "length" => Value::Integer(s.chars().count() as i64),
        "toChars" => {
            return Ok(s
                .chars()
                .map(|c| Item::Value(Value::String(c.to_string())))
                .collect())
        }
        "indexOf" => {
            let Some(t) = sarg(0)? else {
                return Ok(Items::new());
            };
            Value::Integer(match s.find(&t) {
                Some(b) => s[..b].chars().count() as i64,
                None => -1,
            })
        }
        "substring" => {
            let Some(start) = int_arg(0)? else {
                return Ok(Items::new());
            };
            let n = s.chars().count() as i64;
            if start < 0 || start >= n {
                return Ok(Items::new());
            }
            let len = int_arg(1)?.unwrap_or(n).max(0);
            Value::String(s.chars().skip(start as usize).take(len as usize).collect())
        }
        "startsWith" | "endsWith" | "contains" => {
            let Some(t) = sarg(0)? else {
                return Ok(Items::new());
            };
            Value::Boolean(match name {
                "startsWith" => s.starts_with(&t),
                "endsWith" => s.ends_with(&t),
                _ => s.contains(&t),
            })
        }
        "replace" => {
            let (Some(p), Some(r)) = (sarg(0)?, sarg(1)?) else {
                return Ok(Items::new());
            };
            Value::String(if p.is_empty() {
                // the spec inserts the replacement around every character
                let mut out = r.clone();
                for c in s.chars() {
                    out.push(c);
                    out.push_str(&r);
                }
                out
            } else {
                s.replace(&p, &r)
            })
        }
        "trim" => Value::String(s.trim().to_string()),
        "split" => {
            let Some(sep) = sarg(0)? else {
                return Ok(Items::new());
            };
            let parts: Items = if sep.is_empty() {
                s.chars()
                    .map(|c| Item::Value(Value::String(c.to_string())))
                    .collect()
            } else {
                s.split(sep.as_str())
                    .map(|p| Item::Value(Value::String(p.to_string())))
                    .collect()
            };
            return Ok(parts);
        }
        "matchesFull" => {
            let Some(p) = sarg(0)? else {
                return Ok(Items::new());
            };
            Value::Boolean(regex(&format!("^(?:{p})$"))?.is_match(&s))
        }
        "encode" | "decode" | "escape" | "unescape" => {
            let Some(f) = sarg(0)? else {
                return Ok(Items::new());
            };
            match super::codec::apply(name, &f, &s) {
                Some(r) => Value::String(r),
                None => return Ok(Items::new()),
            }
        }
        "matches" => {
            let Some(p) = sarg(0)? else {
                return Ok(Items::new());
            };
            Value::Boolean(regex(&p)?.is_match(&s))
        }
        "replaceMatches" => {
            let (Some(p), Some(r)) = (sarg(0)?, sarg(1)?) else {
                return Ok(Items::new());
            };
            if p.is_empty() {
                Value::String(s)
            } else {
                Value::String(regex(&p)?.replace_all(&s, r.as_str()).into_owned())
            }
        }
        _ => bail!("unknown string function {name}"),
    };
    Ok(smallvec::smallvec![Item::Value(v)])
}
