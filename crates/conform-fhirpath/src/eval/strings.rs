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

/// A FHIRPath regular expression (`.` matches new lines), built within a
/// size limit a hostile pattern cannot pass, in the form each text needs.
///
/// The texts invariants test are mostly ASCII (paths, names, codes), and on
/// an ASCII text a pattern means the same whether its classes and case
/// folding are Unicode's or ASCII's: all `\s`, `\w`, `\d`, `\b`, `.` and
/// `(?i)` add in Unicode are characters outside ASCII. Its ASCII form can
/// be far cheaper to build: R4's `eld-19` repeats a negated class with
/// `\s` in it 64 times, 5 ms in Unicode, 0.3 ms in ASCII. So the ASCII
/// form answers ASCII texts, and the Unicode form is built on the first
/// other text, or at once for a pattern with no ASCII form (`\p{L}`). A
/// pattern is invalid where the form a text needs cannot be built: on an
/// ASCII text, a pattern whose Unicode form alone passes the size limit
/// is answered.
pub(crate) struct TextRegex {
    /// `None`: the pattern has no ASCII form.
    ascii: Option<regex::bytes::Regex>,
    unicode: std::sync::OnceLock<Result<regex::Regex, String>>,
    pattern: Box<str>,
}

impl std::fmt::Debug for TextRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TextRegex").field(&self.pattern).finish()
    }
}

impl TextRegex {
    pub(crate) fn new(p: &str) -> EResult<TextRegex> {
        let ascii = regex::bytes::RegexBuilder::new(p)
            .unicode(false)
            .dot_matches_new_line(true)
            .size_limit(Self::SIZE_LIMIT)
            .build()
            .ok();
        let r = TextRegex {
            ascii,
            unicode: std::sync::OnceLock::new(),
            pattern: p.into(),
        };
        if r.ascii.is_none() {
            r.unicode()?;
        }
        Ok(r)
    }

    const SIZE_LIMIT: usize = 1 << 20;

    fn unicode(&self) -> EResult<&regex::Regex> {
        self.unicode
            .get_or_init(|| {
                regex::RegexBuilder::new(&self.pattern)
                    .dot_matches_new_line(true)
                    .size_limit(Self::SIZE_LIMIT)
                    .build()
                    .map_err(|e| format!("invalid regex: {e}"))
            })
            .as_ref()
            .map_err(|e| crate::EvalError::new(e.clone()))
    }

    /// The ASCII form, when it answers for `text`.
    fn ascii_for(&self, text: &str) -> Option<&regex::bytes::Regex> {
        self.ascii.as_ref().filter(|_| text.is_ascii())
    }

    pub(crate) fn is_match(&self, text: &str) -> EResult<bool> {
        match self.ascii_for(text) {
            Some(r) => Ok(r.is_match(text.as_bytes())),
            None => Ok(self.unicode()?.is_match(text)),
        }
    }

    /// `text` with every match replaced by `with` (`$1` for a group).
    pub(crate) fn replace_all(&self, text: &str, with: &str) -> EResult<String> {
        if let Some(r) = self.ascii_for(text) {
            // ASCII pieces and the replacement: UTF-8
            if let Ok(s) =
                String::from_utf8(r.replace_all(text.as_bytes(), with.as_bytes()).into_owned())
            {
                return Ok(s);
            }
        }
        Ok(self.unicode()?.replace_all(text, with).into_owned())
    }
}

/// Compiles a pattern, caching per thread: invariants run the same few
/// patterns over every resource, and compiling dominates matching. The
/// cache hands out shared handles, not clones: a cloned `Regex` starts
/// with an empty match cache and rebuilds it on its first search, which
/// cost more than the match itself.
pub(crate) fn regex(p: &str) -> EResult<std::rc::Rc<TextRegex>> {
    thread_local! {
        static CACHE: std::cell::RefCell<rustc_hash::FxHashMap<String, std::rc::Rc<TextRegex>>> =
            Default::default();
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(p).cloned()) {
        return Ok(r);
    }
    let r = std::rc::Rc::new(TextRegex::new(p)?);
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
            Value::Boolean(regex(&format!("^(?:{p})$"))?.is_match(&s)?)
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
            Value::Boolean(regex(&p)?.is_match(&s)?)
        }
        "replaceMatches" => {
            let (Some(p), Some(r)) = (sarg(0)?, sarg(1)?) else {
                return Ok(Items::new());
            };
            if p.is_empty() {
                Value::String(s)
            } else {
                Value::String(regex(&p)?.replace_all(&s, &r)?)
            }
        }
        _ => bail!("unknown string function {name}"),
    };
    Ok(smallvec::smallvec![Item::Value(v)])
}

#[cfg(test)]
mod tests {
    use super::TextRegex;
    use proptest::prelude::*;

    /// Patterns whose classes or case folding differ between Unicode and
    /// ASCII, `eld-19`'s among them, and one with no ASCII form.
    const PATTERNS: &[&str] = &[
        r#"[^\s\.,:;\'"\/|?!@#$%&*()\[\]{}]{1,64}(\.[^\s\.,:;\'"\/|?!@#$%&*()\[\]{}]{1,64}(\[x\])?(\:[^\s\.]+)?)*"#,
        r"^\w+$",
        r"(?i)^k+s$",
        r"\bab\b",
        r"^\d{2}",
        r"\s",
        r"^.{3}$",
        r"[^a]",
        r"\S+\s\S+",
        r"^[A-Z]([A-Za-z0-9_]){0,254}$",
        r"\p{L}+",
        r"(a)(\w)",
    ];

    proptest! {
        /// On any text, ASCII or not, the answers are those of the pattern
        /// in Unicode: matches and replacements.
        #[test]
        fn answers_as_the_unicode_pattern(
            texts in prop::collection::vec("[abkKsS019 _.\t\n:;\u{17F}\u{212A}\u{E9}\u{A0}\u{85}\u{660}]{0,12}", 1..40)
        ) {
            for p in PATTERNS {
                let ours = TextRegex::new(p).expect("builds");
                let unicode = regex::RegexBuilder::new(p).dot_matches_new_line(true).build().expect("builds");
                for t in &texts {
                    prop_assert_eq!(ours.is_match(t).expect("answers"), unicode.is_match(t), "{} on {:?}", p, t);
                    prop_assert_eq!(
                        ours.replace_all(t, "<$1>").expect("answers"),
                        unicode.replace_all(t, "<$1>").into_owned(),
                        "{} on {:?}", p, t
                    );
                }
            }
        }
    }

    #[test]
    fn an_invalid_pattern_is_an_error_in_either_form() {
        assert!(TextRegex::new("a(").is_err());
        assert!(TextRegex::new(r"\p{Nope}").is_err());
        let huge = TextRegex::new("((a{100}){100}){100}");
        assert!(huge.is_err(), "over the size limit");
    }
}
