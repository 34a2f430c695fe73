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
///
/// Read from the plan cache, a pattern comes with DFAs of its forms
/// ([`TextRegex::stored`]), so a run builds none where the plans were
/// stored: the ASCII form's, and where that does not answer every text
/// the Unicode form's, in the sparse encoding (`eld-19`'s is 55 KB sparse,
/// 500 KB dense, and takes 10 ms to build), decoded on the first text
/// that needs it.
pub(crate) struct TextRegex {
    /// The ASCII form as a DFA, read from the plan cache
    /// ([`TextRegex::stored`]): it searches with nothing built first.
    ascii_dfa: Option<DenseDfa>,
    /// Whether the ASCII DFA answers every text, whatever its characters:
    /// the pattern, read in Unicode, names no character outside ASCII (and
    /// no Unicode word boundary), so no other can be part of a match and
    /// the two forms agree (`sdf-0`'s name pattern on `Ärzte`).
    ascii_for_all: bool,
    /// The ASCII form as a forward and a reverse DFA, which tell where
    /// each match starts as well as ends: `replaceMatches()` on an ASCII
    /// text, read from the plan cache like `ascii_dfa`.
    ascii_finder: Option<DfaRegex>,
    /// The Unicode form as a sparse DFA's bytes, from the plan cache, for
    /// a text outside ASCII when the ASCII DFA does not answer every text;
    /// decoded into `unicode_dfa` on the first such text.
    unicode_stored: Option<Box<[u8]>>,
    unicode_dfa: std::sync::OnceLock<Option<SparseDfa>>,
    /// The ASCII form, built at once by [`TextRegex::new`] and on first
    /// need beside a DFA; `None` inside: the pattern has no ASCII form.
    ascii: std::sync::OnceLock<Option<regex::bytes::Regex>>,
    unicode: std::sync::OnceLock<Result<regex::Regex, String>>,
    pattern: Box<str>,
}

type DenseDfa = regex_automata::dfa::dense::DFA<Vec<u32>>;
type DfaRegex = regex_automata::dfa::regex::Regex<DenseDfa>;
type SparseDfa = regex_automata::dfa::sparse::DFA<Vec<u8>>;

/// What the plan cache keeps of a pattern, so that a run reading it builds
/// nothing to search with ([`TextRegex::stored_forms`]).
#[derive(Default, PartialEq, Debug)]
pub(crate) struct StoredForms {
    /// [`TextRegex::ascii_dfa`]'s encoding.
    pub(crate) dfa: Option<Encoding>,
    pub(crate) ascii_for_all: bool,
    /// [`TextRegex::ascii_finder`]'s forward and reverse DFAs, kept only
    /// for a `replaceMatches()` pattern (they double a pattern's size).
    pub(crate) finder: Option<(Encoding, Encoding)>,
    /// [`TextRegex::unicode_stored`].
    pub(crate) unicode: Option<Encoding>,
}

/// A DFA's bytes as the plan cache keeps them.
type Encoding = Box<[u8]>;

impl StoredForms {
    pub(crate) fn as_read(&self) -> ReadForms<'_> {
        ReadForms {
            dfa: self.dfa.as_deref(),
            ascii_for_all: self.ascii_for_all,
            finder: self.finder.as_ref().map(|(f, r)| (&**f, &**r)),
            unicode: self.unicode.as_deref(),
        }
    }
}

/// [`StoredForms`] as read back, borrowed from the cache.
#[derive(Default, Clone, Copy)]
pub(crate) struct ReadForms<'a> {
    pub(crate) dfa: Option<&'a [u8]>,
    pub(crate) ascii_for_all: bool,
    pub(crate) finder: Option<(&'a [u8], &'a [u8])>,
    pub(crate) unicode: Option<&'a [u8]>,
}

/// How many regular expressions this process built, and how many it read
/// as DFAs from the plan cache ([`regexes_built`]).
static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many regular expressions this process has built to search with
/// (a pattern made afresh, and each form built later for `matches()`), and
/// how many it read ready from the plan cache: a run
/// whose plans come from the cache should build none for ASCII texts, nor
/// for any text when a pattern names only ASCII characters (a
/// `replaceMatches()` replacement naming a group excepted: a DFA finds
/// none).
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
            ascii_for_all: false,
            ascii_finder: None,
            unicode_stored: None,
            unicode_dfa: std::sync::OnceLock::new(),
            ascii: std::sync::OnceLock::new(),
            unicode: std::sync::OnceLock::new(),
            pattern: p.into(),
        }
    }

    /// The pattern with what [`TextRegex::stored_forms`] made of it (of
    /// this pattern: the plan cache is checksummed and keyed by this
    /// build). Without a usable ASCII DFA the pattern is built as
    /// [`TextRegex::new`] builds it; a finder that does not read back is
    /// left to the regex, built where a replacement needs it.
    pub(crate) fn stored(p: &str, forms: ReadForms<'_>) -> EResult<TextRegex> {
        match forms.dfa.and_then(decode_dfa) {
            // built from the ASCII form within the size limit when
            // stored: the ASCII form is valid
            Some(dfa) => {
                READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut r = TextRegex::unbuilt(p, Some(dfa));
                r.ascii_for_all = forms.ascii_for_all;
                r.ascii_finder = forms.finder.and_then(|(forward, reverse)| {
                    let (forward, reverse) = (decode_dfa(forward)?, decode_dfa(reverse)?);
                    Some(
                        regex_automata::dfa::regex::Builder::new()
                            .build_from_dfas(forward, reverse),
                    )
                });
                r.unicode_stored = forms.unicode.map(Into::into);
                Ok(r)
            }
            None => TextRegex::new(p),
        }
    }

    /// What the plan cache keeps of the pattern (built anew on each call:
    /// the plans' store keeps one a pattern): its ASCII form as a DFA,
    /// whether that answers every text, and with `finder` (a
    /// `replaceMatches()` pattern) the forward and reverse DFAs that find
    /// where its matches are; where the ASCII DFA does not answer every
    /// text, the Unicode form as a sparse DFA. Nothing when the pattern has
    /// no ASCII form or its DFA passes the size limit (the regex is then
    /// built where it is used); no Unicode DFA when that form is invalid
    /// or its DFA cannot be built within the limit (a Unicode word
    /// boundary: a DFA cannot see one).
    pub(crate) fn stored_forms(&self, finder: bool) -> StoredForms {
        // only where `regex` builds the ASCII form too, so a pattern read
        // back is valid exactly where it was
        let Some(dfa) = self.ascii().and_then(|_| build_dfa(&self.pattern)) else {
            return StoredForms::default();
        };
        let encode = |dfa: &DenseDfa| -> Encoding {
            let (bytes, padding) = dfa.to_bytes_little_endian();
            bytes[padding..].into()
        };
        let ascii_for_all = names_only_ascii(&self.pattern);
        // only where `regex` builds the Unicode form, so that a text
        // outside ASCII finds the pattern valid exactly where it did
        let unicode = (!ascii_for_all && self.unicode().is_ok())
            .then(|| build_unicode_dfa(&self.pattern))
            .flatten()
            .map(|dfa| dfa.to_bytes_little_endian().into());
        StoredForms {
            dfa: Some(encode(&dfa)),
            ascii_for_all,
            finder: finder
                .then(|| build_finder(&self.pattern))
                .flatten()
                .map(|re| (encode(re.forward()), encode(re.reverse()))),
            unicode,
        }
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
        if self.ascii_for_all || text.is_ascii() {
            if let Some(found) = self.ascii_dfa.as_ref().and_then(|d| dfa_is_match(d, text)) {
                return Ok(found);
            }
            count_build(&self.ascii);
            if let Some(r) = self.ascii() {
                return Ok(r.is_match(text.as_bytes()));
            }
        }
        if let Some(found) = self.unicode_dfa().and_then(|d| dfa_is_match(d, text)) {
            return Ok(found);
        }
        count_build(&self.unicode);
        Ok(self.unicode()?.is_match(text))
    }

    /// The Unicode form's DFA from the plan cache, decoded on first need
    /// (checking a sparse DFA's bytes costs a thirtieth of building it).
    fn unicode_dfa(&self) -> Option<&SparseDfa> {
        self.unicode_dfa
            .get_or_init(|| {
                let bytes = self.unicode_stored.as_deref()?;
                let (dfa, _) = regex_automata::dfa::sparse::DFA::from_bytes(bytes).ok()?;
                READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Some(dfa.to_owned())
            })
            .as_ref()
    }

    /// Whether replacements on an ASCII text need no regex built.
    #[cfg(test)]
    pub(crate) fn replaces_as_stored(&self) -> bool {
        self.ascii_finder.is_some()
    }

    /// `text` with every match replaced by `with` (`$1` for a group).
    pub(crate) fn replace_all(&self, text: &str, with: &str) -> EResult<String> {
        // a DFA finds no groups: a replacement naming one needs the regex
        if let Some(finder) = self.ascii_finder.as_ref().filter(|_| text.is_ascii()) {
            if !with.contains('$') {
                if let Some(replaced) = replace_found(finder, text, with) {
                    return Ok(replaced);
                }
            }
        }
        if text.is_ascii() {
            count_build(&self.ascii);
        }
        if let Some(r) = self.ascii().filter(|_| text.is_ascii()) {
            // ASCII pieces and the replacement: UTF-8
            if let Ok(s) =
                String::from_utf8(r.replace_all(text.as_bytes(), with.as_bytes()).into_owned())
            {
                return Ok(s);
            }
        }
        count_build(&self.unicode);
        Ok(self.unicode()?.replace_all(text, with).into_owned())
    }
}

/// Whether `dfa` matches somewhere in `text`; `None` if the search
/// fails, which a stored DFA cannot (none is built with quit bytes).
fn dfa_is_match(dfa: &impl regex_automata::dfa::Automaton, text: &str) -> Option<bool> {
    let input = regex_automata::Input::new(text).earliest(true);
    dfa.try_search_fwd(&input).ok().map(|found| found.is_some())
}

/// Pattern `p` read with `syntax` as a dense DFA, within the size limit.
fn build_dense(p: &str, syntax: regex_automata::util::syntax::Config) -> Option<DenseDfa> {
    regex_automata::dfa::dense::Builder::new()
        .syntax(syntax)
        .thompson(nfa_limit())
        .configure(dfa_limit())
        .build(p)
        .ok()
}

/// The ASCII form of `p` as a DFA (as `regex` reads the pattern with
/// Unicode off and `.` matching new lines), within the size limit.
fn build_dfa(p: &str) -> Option<DenseDfa> {
    build_dense(p, ascii_syntax())
}

/// The Unicode form as a sparse DFA, built within the size limit as a
/// dense one first; `None` if it cannot be (a Unicode word boundary needs
/// quit bytes, which a stored DFA is not built with).
fn build_unicode_dfa(p: &str) -> Option<SparseDfa> {
    let syntax = regex_automata::util::syntax::Config::new()
        .unicode(true)
        .utf8(true)
        .dot_matches_new_line(true);
    build_dense(p, syntax)?.to_sparse().ok()
}

/// The ASCII form as a forward and a reverse DFA, within the size limit,
/// finding matches as `regex` finds them (leftmost first, an empty match
/// never right after another).
fn build_finder(p: &str) -> Option<DfaRegex> {
    regex_automata::dfa::regex::Builder::new()
        .syntax(ascii_syntax())
        .thompson(nfa_limit())
        .dense(dfa_limit())
        .build(p)
        .ok()
}

/// [`TextRegex::SIZE_LIMIT`] on the NFA a DFA is built from...
fn nfa_limit() -> regex_automata::nfa::thompson::Config {
    regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(TextRegex::SIZE_LIMIT))
}

/// ... and on the DFA and the work of building it.
fn dfa_limit() -> regex_automata::dfa::dense::Config {
    regex_automata::dfa::dense::Config::new()
        .dfa_size_limit(Some(TextRegex::SIZE_LIMIT))
        .determinize_size_limit(Some(TextRegex::SIZE_LIMIT))
}

/// `text` (ASCII) with each match `finder` finds replaced by `with` (no
/// group in it), as `regex`'s `replace_all` replaces them; `None` if a
/// search fails (an ASCII form has no quit bytes: it cannot).
fn replace_found(finder: &DfaRegex, text: &str, with: &str) -> Option<String> {
    let mut searcher = regex_automata::util::iter::Searcher::new(regex_automata::Input::new(text));
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    while let Some(m) = searcher
        .try_advance(|input| finder.try_search(input))
        .ok()?
    {
        out.push_str(&text[last..m.start()]);
        out.push_str(with);
        last = m.end();
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// The syntax of the ASCII form: as `regex` reads the pattern with Unicode
/// off and `.` matching new lines.
fn ascii_syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
        .dot_matches_new_line(true)
}

/// Whether pattern `p`, read as the Unicode form reads it, can match no
/// character outside ASCII and asks for no Unicode word boundary: then a
/// match is ASCII whatever the text, and the ASCII form, searching the
/// text's bytes, finds what the Unicode form finds. `\s`, `\w`, `\d`, `.`,
/// a negated class and case folding (`(?i)k` is also the Kelvin sign) all
/// name characters outside ASCII.
fn names_only_ascii(p: &str) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind, Look};
    fn ascii(h: &Hir) -> bool {
        match h.kind() {
            HirKind::Empty => true,
            HirKind::Literal(l) => l.0.is_ascii(),
            HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| r.end().is_ascii()),
            HirKind::Class(Class::Bytes(c)) => c.ranges().iter().all(|r| r.end().is_ascii()),
            HirKind::Look(look) => matches!(
                look,
                Look::Start
                    | Look::End
                    | Look::StartLF
                    | Look::EndLF
                    | Look::StartCRLF
                    | Look::EndCRLF
                    | Look::WordAscii
                    | Look::WordAsciiNegate
                    | Look::WordStartAscii
                    | Look::WordEndAscii
                    | Look::WordStartHalfAscii
                    | Look::WordEndHalfAscii
            ),
            HirKind::Repetition(r) => ascii(&r.sub),
            HirKind::Capture(c) => ascii(&c.sub),
            HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().all(ascii),
        }
    }
    regex_syntax::ParserBuilder::new()
        .dot_matches_new_line(true)
        .build()
        .parse(p)
        .is_ok_and(|h| ascii(&h))
}

/// A DFA from [`TextRegex::stored_forms`]'s bytes, which must be read from
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
    shared_for(p, false, make)
}

/// [`shared`], for a `replaceMatches()` pattern when `replaces`: the plan
/// cache stores one with what finds its matches, which a `matches()` one
/// lacks. So a replacing pattern read after the same text as a matching
/// one is not handed that one's regex (a replacement would build the
/// regex crate's), while a replacing one, which matches as well, is
/// handed to any use of its text.
pub(crate) fn shared_for(
    p: &str,
    replaces: bool,
    make: impl FnOnce() -> EResult<TextRegex>,
) -> EResult<Arc<TextRegex>> {
    static MATCHING: ByPattern<Arc<TextRegex>> = ByPattern::new();
    static REPLACING: ByPattern<Arc<TextRegex>> = ByPattern::new();
    if let Some(kept) = REPLACING.get(p) {
        return Ok(kept);
    }
    let patterns = if replaces { &REPLACING } else { &MATCHING };
    // an invalid pattern is not kept: it is an error each time it is met
    patterns.get_or_make(p, || make().map(Arc::new))
}

/// What this process made of each pattern text, kept for the process
/// behind a lock: the regexes the checks search with ([`shared`]), the
/// DFA encodings the plans' store writes.
pub(crate) struct ByPattern<T>(std::sync::Mutex<Option<rustc_hash::FxHashMap<Box<str>, T>>>);

impl<T: Clone> ByPattern<T> {
    pub(crate) const fn new() -> ByPattern<T> {
        ByPattern(std::sync::Mutex::new(None))
    }

    /// What was made of `p`, if anything was.
    pub(crate) fn get(&self, p: &str) -> Option<T> {
        let made = self.0.lock().unwrap_or_else(|e| e.into_inner());
        made.as_ref()?.get(p).cloned()
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
    /// ASCII, `eld-19`'s among them, one with no ASCII form, and some that
    /// name only ASCII characters (one matching empty texts, as
    /// replacements must handle).
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
        r"\..*",
        r"(?i)ab",
        r"a*",
        r"(b|:)[0-9]",
    ];

    /// Each pattern as a run reads it: built afresh, and read back from
    /// what the plan cache keeps, as a `matches()` and as a
    /// `replaceMatches()` pattern.
    fn forms(p: &str) -> [TextRegex; 3] {
        let built = TextRegex::new(p).expect("builds");
        let matching = built.stored_forms(false);
        let replacing = built.stored_forms(true);
        [
            built,
            TextRegex::stored(p, matching.as_read()).expect("reads back"),
            TextRegex::stored(p, replacing.as_read()).expect("reads back"),
        ]
    }

    proptest! {
        /// On any text, ASCII or not, the answers are those of the pattern
        /// in Unicode: matches, and replacements with and without a group.
        #[test]
        fn answers_as_the_unicode_pattern(
            texts in prop::collection::vec("[abkKsS019 _.\t\n:;\u{17F}\u{212A}\u{E9}\u{A0}\u{85}\u{660}]{0,12}", 1..40)
        ) {
            for p in PATTERNS {
                let unicode = regex::RegexBuilder::new(p).dot_matches_new_line(true).build().expect("builds");
                for ours in &forms(p) {
                    for t in &texts {
                        prop_assert_eq!(ours.is_match(t).expect("answers"), unicode.is_match(t), "{} on {:?}", p, t);
                        for with in ["<$1>", "<>", ""] {
                            prop_assert_eq!(
                                ours.replace_all(t, with).expect("answers"),
                                unicode.replace_all(t, with).into_owned(),
                                "{} on {:?} with {:?}", p, t, with
                            );
                        }
                    }
                }
            }
        }
    }

    /// Every pattern with an ASCII form is kept as a DFA, which is what a
    /// pattern read back searches ASCII texts with, and any text when the
    /// pattern names only ASCII characters; one that names others keeps
    /// its Unicode form's DFA too, for the other texts, unless it asks for
    /// a Unicode word boundary (`\b`). A `replaceMatches()` pattern also
    /// keeps what finds its matches. Nothing else is built to answer those
    /// texts; the Unicode-only pattern is built where it is used.
    #[test]
    fn patterns_with_an_ascii_form_are_stored_as_dfas() {
        // `(?i)ab`: neither letter folds to a character outside ASCII (`k`
        // and `s` do)
        let only_ascii = [
            r"^[A-Z]([A-Za-z0-9_]){0,254}$",
            r"(b|:)[0-9]",
            r"a*",
            r"(?i)ab",
        ];
        for p in PATTERNS {
            let built = TextRegex::new(p).expect("builds");
            let ascii_only = !p.contains(r"\p{");
            for replaces in [false, true] {
                let kept = built.stored_forms(replaces);
                assert_eq!(kept.dfa.is_some(), ascii_only, "{p}");
                assert_eq!(kept.finder.is_some(), ascii_only && replaces, "{p}");
                assert_eq!(kept.ascii_for_all, only_ascii.contains(p), "{p}");
                let unicode_dfa = ascii_only && !only_ascii.contains(p) && *p != r"\bab\b";
                assert_eq!(kept.unicode.is_some(), unicode_dfa, "{p}");
                let stored = TextRegex::stored(p, kept.as_read()).expect("reads back");
                assert_eq!(stored.ascii_dfa.is_some(), ascii_only, "{p}");
                assert!(stored.is_match("ab cd").is_ok());
                if stored.ascii_for_all || unicode_dfa {
                    assert!(stored.is_match("äb cd").is_ok());
                }
                if replaces {
                    assert!(stored.replace_all("ab.cd", "-").is_ok());
                }
                if ascii_only {
                    assert!(
                        stored.ascii.get().is_none() && stored.unicode.get().is_none(),
                        "{p}: built to answer"
                    );
                }
            }
        }
        // damaged or foreign bytes: the pattern is built instead
        let damaged = super::ReadForms {
            dfa: Some(b"not a dfa"),
            ascii_for_all: true,
            finder: Some((b"not a dfa", b"nor this")),
            unicode: None,
        };
        let damaged = TextRegex::stored("^a+$", damaged).expect("builds");
        assert!(damaged.ascii_dfa.is_none() && damaged.ascii_finder.is_none());
        assert!(damaged.is_match("aa").expect("answers"));
        assert!(!damaged.is_match("äa").expect("answers"));
        // a finder that does not read back: the regex replaces
        let kept = TextRegex::new(r"\..*").expect("builds").stored_forms(false);
        let finder = Some((&b"not a dfa"[..], &b"nor this"[..]));
        let stored = TextRegex::stored(
            r"\..*",
            super::ReadForms {
                finder,
                ..kept.as_read()
            },
        )
        .expect("reads back");
        assert!(stored.ascii_finder.is_none());
        assert_eq!(stored.replace_all("a.b.c", "").expect("answers"), "a");
        // a Unicode DFA that does not read back: the regex answers
        let kept = TextRegex::new(r"^\w+$")
            .expect("builds")
            .stored_forms(false);
        assert!(kept.unicode.is_some());
        let stored = TextRegex::stored(
            r"^\w+$",
            super::ReadForms {
                unicode: Some(b"not a dfa"),
                ..kept.as_read()
            },
        )
        .expect("reads back");
        assert!(stored.is_match("äb").expect("answers"));
        assert!(!stored.is_match("ä b").expect("answers"));
        assert!(stored.unicode.get().is_some(), "built instead");
    }

    #[test]
    fn an_invalid_pattern_is_an_error_in_either_form() {
        assert!(TextRegex::new("a(").is_err());
        assert!(TextRegex::new(r"\p{Nope}").is_err());
        let huge = TextRegex::new("((a{100}){100}){100}");
        assert!(huge.is_err(), "over the size limit");
    }
}
