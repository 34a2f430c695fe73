//! String functions. Positions are in characters, not bytes.

use super::operators::singleton;
use super::Ev;
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, Value};
use std::sync::Arc;

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
    /// The ASCII form as a DFA, read from the plan cache
    /// ([`TextRegex::stored`]): it searches with nothing built first.
    ascii_dfa: Option<DenseDfa>,
    /// The ASCII form, built at once by [`TextRegex::new`] and on first
    /// need beside a DFA; `None` inside: the pattern has no ASCII form.
    ascii: std::sync::OnceLock<Option<regex::bytes::Regex>>,
    unicode: std::sync::OnceLock<Result<regex::Regex, String>>,
    pattern: Box<str>,
}

type DenseDfa = regex_automata::dfa::dense::DFA<Vec<u32>>;

/// How many regular expressions this process built, and how many it read
/// as DFAs from the plan cache ([`regexes_built`]).
static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many regular expressions this process has built to search with
/// (a pattern made afresh, and each form built later for `matches()`), and
/// how many it read ready from the plan cache: a run
/// whose plans come from the cache should build none for ASCII texts.
/// (`replaceMatches()` builds its pattern where it is first used: a DFA
/// tells where a match ends, not where it starts.)
pub fn regexes_built() -> (usize, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    (BUILT.load(Relaxed), READ.load(Relaxed))
}

/// Counts a build for a search when `form` is about to be built.
fn count_build<T>(form: &std::sync::OnceLock<T>) {
    if form.get().is_none() {
        BUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl std::fmt::Debug for TextRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TextRegex").field(&self.pattern).finish()
    }
}

impl TextRegex {
    pub(crate) fn new(p: &str) -> EResult<TextRegex> {
        BUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = TextRegex::unbuilt(p, None);
        if r.ascii().is_none() {
            r.unicode()?;
        }
        Ok(r)
    }

    fn unbuilt(p: &str, ascii_dfa: Option<DenseDfa>) -> TextRegex {
        TextRegex {
            ascii_dfa,
            ascii: std::sync::OnceLock::new(),
            unicode: std::sync::OnceLock::new(),
            pattern: p.into(),
        }
    }

    /// The pattern with its ASCII form read from `dfa`, an encoding made by
    /// [`TextRegex::dfa_encoding`] (of this pattern: the plan cache is
    /// checksummed and keyed by this build). Without a usable encoding the
    /// pattern is built as [`TextRegex::new`] builds it.
    pub(crate) fn stored(p: &str, dfa: Option<&[u8]>) -> EResult<TextRegex> {
        match dfa.and_then(decode_dfa) {
            // built from the ASCII form within the size limit when
            // stored: the ASCII form is valid
            Some(dfa) => {
                READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(TextRegex::unbuilt(p, Some(dfa)))
            }
            None => TextRegex::new(p),
        }
    }

    /// The ASCII form as a DFA, encoded to be kept in the plan cache
    /// (built anew on each call: the plans' store keeps one a pattern);
    /// `None` when the pattern has no ASCII form or its DFA passes the
    /// size limit (the regex is then built where it is used).
    pub(crate) fn dfa_encoding(&self) -> Option<Box<[u8]>> {
        // only where `regex` builds the ASCII form too, so a pattern read
        // back is valid exactly where it was
        self.ascii()?;
        let dfa = build_dfa(&self.pattern)?;
        let (bytes, padding) = dfa.to_bytes_little_endian();
        Some(bytes[padding..].into())
    }

    const SIZE_LIMIT: usize = 1 << 20;

    fn ascii(&self) -> Option<&regex::bytes::Regex> {
        self.ascii
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.pattern)
                    .unicode(false)
                    .dot_matches_new_line(true)
                    .size_limit(Self::SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
    }

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

    pub(crate) fn is_match(&self, text: &str) -> EResult<bool> {
        if text.is_ascii() {
            if let Some(dfa) = &self.ascii_dfa {
                use regex_automata::dfa::Automaton;
                let input = regex_automata::Input::new(text).earliest(true);
                // (an ASCII form has no quit bytes: a search cannot fail)
                if let Ok(found) = dfa.try_search_fwd(&input) {
                    return Ok(found.is_some());
                }
            }
            count_build(&self.ascii);
            if let Some(r) = self.ascii() {
                return Ok(r.is_match(text.as_bytes()));
            }
        }
        count_build(&self.unicode);
        Ok(self.unicode()?.is_match(text))
    }

    /// `text` with every match replaced by `with` (`$1` for a group).
    pub(crate) fn replace_all(&self, text: &str, with: &str) -> EResult<String> {
        if let Some(r) = self.ascii().filter(|_| text.is_ascii()) {
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

/// The ASCII form of `p` as a DFA (as `regex` reads the pattern with
/// Unicode off and `.` matching new lines), within the size limit.
fn build_dfa(p: &str) -> Option<DenseDfa> {
    use regex_automata::{dfa::dense, nfa::thompson, util::syntax};
    dense::Builder::new()
        .syntax(
            syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .dot_matches_new_line(true),
        )
        .thompson(thompson::Config::new().nfa_size_limit(Some(TextRegex::SIZE_LIMIT)))
        .configure(
            dense::Config::new()
                .dfa_size_limit(Some(TextRegex::SIZE_LIMIT))
                .determinize_size_limit(Some(TextRegex::SIZE_LIMIT)),
        )
        .build(p)
        .ok()
}

/// A DFA from [`TextRegex::dfa_encoding`]'s bytes, which must be read from
/// memory aligned for its `u32` transitions: copied to such a place first.
fn decode_dfa(bytes: &[u8]) -> Option<DenseDfa> {
    let mut aligned = vec![0u8; bytes.len() + 3];
    let at = aligned.as_ptr().align_offset(4);
    let aligned = aligned.get_mut(at..at + bytes.len())?;
    aligned.copy_from_slice(bytes);
    let (dfa, _) = regex_automata::dfa::dense::DFA::from_bytes(aligned).ok()?;
    Some(dfa.to_owned())
}

/// Compiles a pattern, caching per thread: invariants run the same few
/// patterns over every resource, and compiling dominates matching. The
/// cache hands out shared handles, not clones: a cloned `Regex` starts
/// with an empty match cache and rebuilds it on its first search, which
/// cost more than the match itself. A pattern new to the thread is taken
/// from the process's ([`shared`]), where the compiled checks' patterns
/// are, read from the plan cache.
pub(crate) fn regex(p: &str) -> EResult<Arc<TextRegex>> {
    thread_local! {
        static CACHE: std::cell::RefCell<rustc_hash::FxHashMap<String, Arc<TextRegex>>> =
            Default::default();
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(p).cloned()) {
        return Ok(r);
    }
    let r = shared(p, || TextRegex::new(p))?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(p.to_string(), r.clone());
    });
    Ok(r)
}

/// The process's compiled pattern `p`, made by `make` if it has none yet
/// (one read from the plan cache comes with its DFA): many invariants test
/// names with the same pattern (`sdf-0`, `vsd-0`, ...), and building one
/// costs far more than matching with it. Behind a lock: the compiled
/// checks ask once per check, the evaluator once per thread.
pub(crate) fn shared(
    p: &str,
    make: impl FnOnce() -> EResult<TextRegex>,
) -> EResult<Arc<TextRegex>> {
    static PATTERNS: ByPattern<Arc<TextRegex>> = ByPattern::new();
    // an invalid pattern is not kept: it is an error each time it is met
    PATTERNS.get_or_make(p, || make().map(Arc::new))
}

/// What this process made of each pattern text, kept for the process
/// behind a lock: the regexes the checks search with ([`shared`]), the
/// DFA encodings the plans' store writes.
pub(crate) struct ByPattern<T>(std::sync::Mutex<Option<rustc_hash::FxHashMap<Box<str>, T>>>);

impl<T: Clone> ByPattern<T> {
    pub(crate) const fn new() -> ByPattern<T> {
        ByPattern(std::sync::Mutex::new(None))
    }

    /// What was made of `p`, made by `make` if nothing was yet; an error
    /// is not kept.
    pub(crate) fn get_or_make<E>(
        &self,
        p: &str,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut made = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let made = made.get_or_insert_with(Default::default);
        if let Some(v) = made.get(p) {
            return Ok(v.clone());
        }
        let v = make()?;
        made.insert(p.into(), v.clone());
        Ok(v)
    }
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
                let built = TextRegex::new(p).expect("builds");
                let stored = TextRegex::stored(p, built.dfa_encoding().as_deref()).expect("reads back");
                let unicode = regex::RegexBuilder::new(p).dot_matches_new_line(true).build().expect("builds");
                for ours in [&built, &stored] {
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
    }

    /// Every pattern with an ASCII form is kept as a DFA, which is what a
    /// pattern read back searches ASCII texts with; the Unicode-only one
    /// is built where it is used.
    #[test]
    fn patterns_with_an_ascii_form_are_stored_as_dfas() {
        for p in PATTERNS {
            let built = TextRegex::new(p).expect("builds");
            let stored = TextRegex::stored(p, built.dfa_encoding().as_deref()).expect("reads back");
            let ascii_only = !p.contains(r"\p{");
            assert_eq!(built.dfa_encoding().is_some(), ascii_only, "{p}");
            assert_eq!(stored.ascii_dfa.is_some(), ascii_only, "{p}");
            // nothing else was built to answer an ASCII text
            assert!(stored.is_match("ab cd").is_ok());
            if ascii_only {
                assert!(
                    stored.ascii.get().is_none() && stored.unicode.get().is_none(),
                    "{p}"
                );
            }
        }
        // damaged or foreign bytes: the pattern is built instead
        let damaged = TextRegex::stored("^a+$", Some(b"not a dfa")).expect("builds");
        assert!(damaged.ascii_dfa.is_none());
        assert!(damaged.is_match("aa").expect("answers"));
    }

    #[test]
    fn an_invalid_pattern_is_an_error_in_either_form() {
        assert!(TextRegex::new("a(").is_err());
        assert!(TextRegex::new(r"\p{Nope}").is_err());
        let huge = TextRegex::new("((a{100}){100}){100}");
        assert!(huge.is_err(), "over the size limit");
    }
}
