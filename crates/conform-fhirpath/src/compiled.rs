//! Invariants of the common shapes compiled into direct checks on the JSON
//! tree: `a.b.exists()`, `x.empty() or y.empty()`, `implies`, `not()`,
//! `iif()`, `path = 'literal'` (text, Boolean or `%ucum`), `in` a literal
//! set, `path.matches('literal')` with the pattern compiled once,
//! `startsWith()` and the like, comparisons and equality of numbers, dates
//! and times (`min <= max.toInteger()`, `start <= end`, sums of counts),
//! `hasValue()`, `isDistinct()` (of a path, or of a `select()` of texts),
//! `%rootResource != $this`, and `all(...)`,
//! `exists(...)`, `where(...).exists()` and `select(...).exists()` over
//! such checks, on paths that may hold `where()`, `first()`, `tail()`,
//! `children().name` (where no `first()` or `tail()` follows) and
//! begin with a union or with `%resource` (typed from the focus type: a
//! resource's own, or the resource a backbone element's type is named
//! after). Texts compared with `=` or tested with `startsWith()` and the
//! like may be paths, `a & b`, or `replaceMatches()` with literal
//! arguments (`sdf-8`: `path.startsWith(%resource.snapshot.element.first().path
//! & '.')`). `trace()` passes its input on and writes nothing, and
//! `%ucum` and the like are their fixed texts: a compiled check is for a
//! caller that sets no trace sink and no variables of those names (the
//! validator).
//!
//! The paths are resolved against the model once, for the focus type the
//! invariant is attached to, so a check neither asks the model nor builds
//! a collection while it runs. Everything else, and every case a check
//! cannot answer exactly as the evaluator would (several items where one
//! is needed, a value of an unexpected JSON kind), is left to the
//! evaluator: [`Compiled::holds`] says [`Defer`]. In debug builds the
//! validator answers every compiled check both ways and compares.

use crate::ast::{BinOp, Expr, Node};
use crate::eval::navigate::{
    allowed_variant, each_variant, for_each_pair, Found, Key, MemberHeads,
};
use crate::eval::strings::{ByPattern, StoredForms, TextRegex};
use crate::model::{system_type_of, ChildInfo, Model};
use crate::value::Value;
use conform_json::{Document, Kind, NodeId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::ops::ControlFlow;
use std::sync::Arc;

/// An expression compiled for one focus type; see the module comment.
#[derive(Debug)]
pub struct Compiled {
    focus_type: Arc<str>,
    root: Arc<Cond>,
    guard: Option<Guard>,
}

/// A compiled check's conditions apart from its focus type, which the
/// checks of one expression for many focus types mostly share (`dom-2` on
/// each of some 150 resource types): stored once for all of them and read
/// once ([`Compiled::form`], [`Compiled::with_form`]).
#[derive(Debug, Clone)]
pub struct Form(Arc<Cond>);

impl Serialize for Form {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Form {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Form, D::Error> {
        Cond::deserialize(d).map(|c| Form(Arc::new(c)))
    }
}

/// Stored (in the plan cache) as its focus type and conditions; the guard,
/// made of key summary bits, is worked out again when it is read, so a
/// stored check never carries bits of another build's summary.
impl Serialize for Compiled {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.focus_type, &self.root).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Compiled {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Compiled, D::Error> {
        let (focus_type, form) = <(Arc<str>, Form)>::deserialize(d)?;
        Ok(Compiled::with_form(focus_type, &form))
    }
}

/// Members whose absence from the focus decides a check before it reads
/// anything, with its answer then: the first condition a check evaluates
/// is often about one member most values lack (`sliceIsConstraining.exists()
/// implies ...`, `contentReference.empty() or ...`, `contained...`). Read
/// from the focus object's key summary: one test instead of a walk. A
/// caller that runs many checks on each value keeps the guards beside
/// them ([`Compiled::guard`]), so a check so decided is not even read.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// [`Key::bits`] of the members (any one present: no answer).
    bits: u64,
    answer: Option<bool>,
}

impl Guard {
    /// Below this step limit a guard is not used, so a check that would
    /// stop at the limit still defers (its walk takes a few steps).
    pub const MIN_STEPS: u64 = 64;

    /// The guard of `c`, as [`Cond::truth`] evaluates it: a condition on a
    /// path that reaches nothing when its first member is absent, or one
    /// that `and`, `or`, `implies` or `not()` decide from such a condition
    /// on their left, which they evaluate first.
    fn of(c: &Cond) -> Option<Guard> {
        let on = |path: &Path, answer: Option<bool>| {
            Some(Guard {
                bits: path.lead_bits()?,
                answer,
            })
        };
        match c {
            // an empty path: `exists()` is false, `empty()` true
            Cond::Exists { path, negate } => on(path, Some(*negate)),
            Cond::HasValue(path) => on(path, Some(false)),
            // nothing is distinct, and `all()` of nothing is true
            Cond::Distinct(path) | Cond::DistinctTexts { path, .. } | Cond::All { path, .. } => {
                on(path, Some(true))
            }
            Cond::Any { path, negate, .. } => on(path, Some(*negate)),
            Cond::Not(a) => Guard::of(a).map(|g| Guard {
                answer: g.answer.map(|x| !x),
                ..g
            }),
            // as the left-leaning tree of `and`s (`or`s) the parts stand
            // for: a part that decides ends it; one that does not joins
            // the next part's members, so that with theirs absent too the
            // answer is known (`contained.meta.versionId.empty() and
            // contained.meta.lastUpdated.empty()`)
            Cond::Chain { or, parts } => {
                let (first, rest) = parts.split_first()?;
                let mut g = Guard::of(first)?;
                let op = if *or { BinOp::Or } else { BinOp::And };
                for part in rest {
                    if g.answer == Some(*or) {
                        break;
                    }
                    let h = Guard::of(part)?;
                    g = Guard {
                        bits: g.bits | h.bits,
                        answer: crate::eval::operators::logic(op, g.answer, h.answer),
                    };
                }
                Some(g)
            }
            Cond::Logic(op, a, b) => {
                let g = Guard::of(a)?;
                let answer = match (op, g.answer) {
                    (BinOp::Implies, Some(false)) => Some(true),
                    // the left side alone does not decide: with the right
                    // side's members absent too, both answers are known
                    _ => {
                        let h = Guard::of(b)?;
                        return Some(Guard {
                            bits: g.bits | h.bits,
                            answer: crate::eval::operators::logic(*op, g.answer, h.answer),
                        });
                    }
                };
                Some(Guard { answer, ..g })
            }
            _ => None,
        }
    }

    /// The check's answer on `focus` when it has none of the members (a
    /// value that is not an object has none), as [`Compiled::holds`] would
    /// give it; `None`: the check must run. Below [`Guard::MIN_STEPS`],
    /// never an answer.
    pub fn answer(&self, doc: &Document, focus: NodeId, max_steps: u64) -> Option<Option<bool>> {
        if max_steps < Self::MIN_STEPS {
            return None;
        }
        let holds_one = doc.kind(focus) == Kind::Object && doc.may_have_key(focus, self.bits);
        (!holds_one).then_some(self.answer)
    }
}

/// The compiled check cannot answer on this input: evaluate the
/// expression instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defer;

type Truth = Result<Option<bool>, Defer>;

/// A condition with FHIRPath's three-valued truth (`None`: empty).
#[derive(Debug, Serialize, Deserialize)]
enum Cond {
    /// `xor`, `implies`.
    Logic(BinOp, Box<Cond>, Box<Cond>),
    /// `a and b and ...` (`or` when `or`), read left to right until one
    /// part decides: what the parser's left-leaning tree of them answers,
    /// without a call for each operator (`eld-5` and's nine).
    Chain { or: bool, parts: Box<[Cond]> },
    /// `x.not()`
    Not(Box<Cond>),
    /// `a = b` or `a != b` of two truths (`extension.exists() !=
    /// value.exists()`).
    SameTruth {
        ne: bool,
        a: Box<Cond>,
        b: Box<Cond>,
    },
    /// `path.exists()`, or `path.empty()` when `negate`.
    Exists { path: Path, negate: bool },
    /// A path read as a Boolean (`isModifier`).
    Truth(Path),
    /// `path = 'text'` (`!=` when `ne`), the path ending in a string-like
    /// primitive.
    StrEq {
        path: Path,
        text: Box<str>,
        ne: bool,
    },
    /// `path.startsWith(text)`, `endsWith` or `contains`.
    Text {
        path: Path,
        test: TextTest,
        arg: TextExpr,
        /// The argument reads no more than literals and `%resource`, so
        /// it is the same on every item of a run (`sdf-8`'s, under
        /// `all()`): it is worked out once ([`Run::fixed_text`]).
        fixed: bool,
    },
    /// `a = b` (`!=` when `ne`) of two texts, neither a literal.
    TextEq { a: TextExpr, b: TextExpr, ne: bool },
    /// `path.isDistinct()` over text values.
    Distinct(Path),
    /// `path.select(text).isDistinct()`, `text` read on each item
    /// (`bdl-7`: `entry.select(fullUrl & resource.meta.versionId)`).
    DistinctTexts { path: Path, text: TextExpr },
    /// `path.matches('pattern')`
    Matches { path: Path, pattern: Pattern },
    /// `a <op> b` (`<`, `>`, `<=`, `>=`) of numbers, dates or times.
    Compare { op: BinOp, a: Operand, b: Operand },
    /// `a = b` (`!=` when `ne`) of numbers, dates or times.
    Equal { ne: bool, a: Operand, b: Operand },
    /// `path.hasValue()`
    HasValue(Path),
    /// `path in ('a' | 'b')`
    TextIn { path: Path, texts: Box<[Box<str>]> },
    /// `iif(criterion, then, else)` on the focus.
    Iif {
        criterion: Box<Cond>,
        then: Box<Cond>,
        otherwise: Option<Box<Cond>>,
    },
    /// `%rootResource != $this`: false on the root resource itself, true on
    /// a contained one (the root holds it, so their contents differ).
    NotRoot,
    /// `path.all(each)`
    All { path: Path, each: Box<Cond> },
    /// `path.exists(each)`, `path.where(each).exists()`, or with `negate`
    /// `path.where(each).empty()`: whether `each` is true on any item. With
    /// `selected`, `path.select(each).exists()`: whether it is not empty on
    /// any (each item adds its result, `false` too).
    Any {
        path: Path,
        each: Box<Cond>,
        negate: bool,
        selected: bool,
    },
    /// Every part (each always true or false) evaluated, then `and`-ed or
    /// `or`-ed: the sides of a union under `all()`/`exists()`.
    Each { and: bool, parts: Box<[Cond]> },
    /// `a.intersect(b).exists()`, or `.empty()` when `negate`: whether an
    /// item `a` reaches equals one `b` reaches, both paths read from the
    /// same focus, as a call's arguments are. Items are texts (`texts`),
    /// equal when their texts are, or objects (`obs-7`'s Codings), equal
    /// when they and their `_name` twins are the same JSON.
    Shared {
        a: Path,
        b: Path,
        negate: bool,
        texts: bool,
    },
    /// `path = true` (`!=` when `ne`), the path ending in a boolean.
    BoolEq { path: Path, value: bool, ne: bool },
}

/// An operand of a comparison: a number, date or time.
#[derive(Debug, Serialize, Deserialize)]
enum Operand {
    /// A path to a primitive of a number, date or time type: its value.
    Scalar(Path),
    /// `path.toInteger()` of a text primitive.
    ToInteger(Path),
    /// `path.count()`
    Count(Path),
    /// `a + b`
    Sum(Box<Operand>, Box<Operand>),
    Literal(Value),
}

/// A text: a literal, the one text a path reaches, `a & b`, or
/// `x.replaceMatches('pattern', 'replacement')`.
#[derive(Debug, Serialize, Deserialize)]
enum TextExpr {
    Literal(Box<str>),
    Path(Path),
    /// `a & b`: an empty side reads as `''`.
    Concat(Box<TextExpr>, Box<TextExpr>),
    Replace {
        of: Box<TextExpr>,
        pattern: Pattern,
        with: Box<str>,
    },
}

/// A literal regular expression, compiled when first needed and shared
/// ([`shared_regex`]).
struct Pattern {
    text: Box<str>,
    /// A `replaceMatches()` pattern, which needs to find where its matches
    /// start, not only whether there is one.
    replaces: bool,
    regex: std::sync::OnceLock<Option<Arc<TextRegex>>>,
}

/// The pattern's text: its regex is what the text builds (or what the
/// plan cache held of it), built or not.
impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pattern").field(&self.text).finish()
    }
}

/// Stored as its text, whether it replaces, and what the plan cache keeps
/// of it ([`TextRegex::stored_forms`]): a run that reads the plans from
/// their cache builds no regular expression for an ASCII text, nor for
/// any text when the pattern names only ASCII characters.
impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let forms = stored_forms(&self.text, self.replaces);
        fn block(b: &[u8]) -> Block<'_> {
            Block(Cow::Borrowed(b))
        }
        let read = forms.as_read();
        (
            &*self.text,
            self.replaces,
            read.dfa.map(block),
            read.ascii_for_all,
            read.finder.map(|(f, r)| (block(f), block(r))),
            read.unicode.map(block),
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pattern, D::Error> {
        type Stored<'a> = (
            Cow<'a, str>,
            bool,
            Option<Block<'a>>,
            bool,
            Option<(Block<'a>, Block<'a>)>,
            Option<Block<'a>>,
        );
        let (text, replaces, dfa, ascii_for_all, finder, unicode) = Stored::deserialize(d)?;
        let forms = crate::eval::strings::ReadForms {
            dfa: dfa.as_ref().map(|b| &*b.0),
            ascii_for_all,
            finder: finder.as_ref().map(|(f, r)| (&*f.0, &*r.0)),
            unicode: unicode.as_ref().map(|b| &*b.0),
        };
        // one regex a pattern text and use for the process: a text that
        // both matches and replaces keeps a `replaceMatches()` one apart,
        // with the finder a `matches()` one is stored without
        let regex =
            crate::eval::strings::shared_for(&text, replaces, || TextRegex::stored(&text, forms))
                .ok();
        Ok(Pattern {
            text: text.into(),
            replaces,
            regex: std::sync::OnceLock::from(regex),
        })
    }
}

/// [`TextRegex::stored_forms`] of pattern `p`, made once a process for all
/// the checks that store it. Kept apart from [`shared_regex`]: storing the
/// plans builds nothing the checks then search with.
fn stored_forms(p: &str, replaces: bool) -> Arc<StoredForms> {
    static MATCHING: ByPattern<Arc<StoredForms>> = ByPattern::new();
    static REPLACING: ByPattern<Arc<StoredForms>> = ByPattern::new();
    let made = if replaces { &REPLACING } else { &MATCHING }.get_or_make(p, || {
        let forms = TextRegex::new(p).map(|r| r.stored_forms(replaces));
        Ok::<_, std::convert::Infallible>(Arc::new(forms.unwrap_or_default()))
    });
    made.unwrap_or_else(|never| match never {})
}

/// Bytes written and read as one block (serde's bytes), not as a sequence
/// of numbers.
struct Block<'a>(Cow<'a, [u8]>);

impl Serialize for Block<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Block<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Block<'de>, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Block<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Block<'de>, E> {
                Ok(Block(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Block<'de>, E> {
                Ok(Block(Cow::Owned(v.to_vec())))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Block<'de>, E> {
                Ok(Block(Cow::Owned(v)))
            }
        }
        d.deserialize_bytes(Bytes)
    }
}

impl Pattern {
    fn new(text: &str, replaces: bool) -> Pattern {
        Pattern {
            text: text.into(),
            replaces,
            regex: std::sync::OnceLock::new(),
        }
    }

    /// The compiled expression; one that is not valid defers, for the
    /// evaluator to report.
    fn regex(&self) -> Result<&TextRegex, Defer> {
        self.regex
            .get_or_init(|| shared_regex(&self.text))
            .as_deref()
            .ok_or(Defer)
    }

    /// Whether `text` matches, remembered per thread ([`MatchMemo`]).
    fn is_match(&self, text: &str) -> Result<bool, Defer> {
        let regex = self.regex()?;
        MATCH_MEMO.with(|memo| memo.borrow_mut().is_match(regex, text))
    }
}

thread_local! {
    static MATCH_MEMO: std::cell::RefCell<MatchMemo> = std::cell::RefCell::new(MatchMemo::new());
}

/// The answers of recent `matches()` searches on short texts, by pattern
/// and text. The same texts meet the same pattern again and again (an
/// element's path in a profile's snapshot and in its differential, and in
/// each profile of the same resource; a type code such as `string` on most
/// elements), and a look-up here costs a fraction of a search. Direct
/// mapped, texts kept inline: a miss allocates nothing, it replaces.
struct MatchMemo {
    slots: Box<[MemoSlot]>,
}

#[derive(Clone, Copy)]
struct MemoSlot {
    /// The regex's address: each is kept for the process ([`shared_regex`]),
    /// so an address names one pattern. 0: empty.
    regex: usize,
    len: u8,
    text: [u8; MatchMemo::MAX_TEXT],
    matched: bool,
}

impl MatchMemo {
    const SLOTS: usize = 512;
    /// Longer texts are searched every time.
    const MAX_TEXT: usize = 54;

    fn new() -> MatchMemo {
        let empty = MemoSlot {
            regex: 0,
            len: 0,
            text: [0; Self::MAX_TEXT],
            matched: false,
        };
        MatchMemo {
            slots: vec![empty; Self::SLOTS].into_boxed_slice(),
        }
    }

    /// Whether `text` matches (`Defer`: the form it needs cannot be built).
    fn is_match(&mut self, regex: &TextRegex, text: &str) -> Result<bool, Defer> {
        if text.len() > Self::MAX_TEXT {
            return regex.is_match(text).map_err(|_| Defer);
        }
        use std::hash::BuildHasher;
        let address = regex as *const TextRegex as usize;
        let hash = rustc_hash::FxBuildHasher.hash_one((address, text));
        let slot = &mut self.slots[(hash >> 55) as usize % Self::SLOTS];
        if slot.regex == address && &slot.text[..usize::from(slot.len)] == text.as_bytes() {
            return Ok(slot.matched);
        }
        let matched = regex.is_match(text).map_err(|_| Defer)?;
        slot.regex = address;
        slot.len = text.len() as u8;
        slot.text[..text.len()].copy_from_slice(text.as_bytes());
        slot.matched = matched;
        Ok(matched)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum TextTest {
    StartsWith,
    EndsWith,
    Contains,
}

/// Steps from the focus: members, and filters on the items reached.
#[derive(Debug, Serialize, Deserialize)]
struct Path {
    /// Whether it starts at `%resource`, not at the focus.
    from_resource: bool,
    steps: Box<[Step]>,
    /// The type of the items the last step reaches (`None` for a choice).
    item_type: Option<Arc<str>>,
    /// A `where()` criterion is evaluated on every item it meets, as the
    /// evaluator does, so a walk with one is never cut short: one the
    /// check cannot answer defers even after the outcome is known.
    filtered: bool,
    /// Whether a `first()` or `tail()` step counts the items it meets.
    counted: bool,
}

#[derive(Debug, Serialize, Deserialize)]
enum Step {
    Member(Member),
    /// `children().name`: the `name` of each child of the focus.
    Children(Children),
    /// `descendants().name`, last in a path: the `name` member of every
    /// object below the item (`que-2`'s `descendants().linkId`), read as
    /// the evaluator reads it on items of any type ([`each_descendant`]).
    Descendants(Key),
    /// `where(criterion)`: the items on which it is true.
    Where(Box<Cond>),
    /// `first()`: the first item reached so far.
    First,
    /// `tail()`: all but the first.
    Tail,
}

/// `children().name`, compiled against the model: the children whose type
/// has a `name` element (`snapshot` and `differential` for
/// `StructureDefinition` and `element`) are the carriers, and `name` is
/// looked up in their items as a member step would. Any other child
/// holding a `name` key is one the evaluator reads untyped: the check
/// defers.
#[derive(Debug, Serialize, Deserialize)]
struct Children {
    name: Key,
    carriers: Box<[Key]>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Member {
    key: Key,
    /// For a choice element (only ever the last step): its types as JSON
    /// key suffixes, as the model gives them.
    choice: Option<Box<[Arc<str>]>>,
    /// Whether the model knows this step on a type known before the run.
    /// One that is not (a step into a `Resource`, whose type is read from
    /// the data) is kept so that a path that reaches no item there still
    /// answers (`contained.contained.empty()` without `contained`), but
    /// reaching an item there defers to the evaluator.
    known: bool,
}

/// A step of a path as written, before the model resolves it.
enum Part<'n> {
    /// `%resource`, only ever first.
    Resource,
    /// `children()`
    Children,
    /// `descendants()`
    Descendants,
    Name(&'n str),
    Where(&'n Node),
    First,
    Tail,
}

/// An item in the document: a value and its `_name` twin, either of which
/// may be missing.
type Parts = (Option<NodeId>, Option<NodeId>);

/// Why a walk along a path stopped early.
enum Halt {
    /// The caller has its answer.
    Done,
    /// An item was reached where the check cannot go on.
    Defer,
}

type Flow = ControlFlow<Halt>;

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Compiles `expr` for a focus of `focus_type`, or `None` when it is not
/// one of the shapes compiled here (it is then always evaluated).
pub fn compile(expr: &Expr, focus_type: &str, model: &dyn Model) -> Option<Compiled> {
    let compiler = Compiler {
        model,
        resource_type: resource_type_of(focus_type, model),
    };
    let root = compiler.cond(expr.root(), focus_type)?;
    Some(Compiled::with_form(
        focus_type.into(),
        &Form(Arc::new(root)),
    ))
}

impl Compiled {
    /// The check made of `form` for `focus_type` (the type it was compiled
    /// for: the form says nothing of it).
    pub fn with_form(focus_type: Arc<str>, form: &Form) -> Compiled {
        Compiled {
            focus_type,
            guard: Guard::of(&form.0),
            root: form.0.clone(),
        }
    }

    /// The conditions, shared.
    pub fn form(&self) -> Form {
        Form(self.root.clone())
    }

    /// The focus type this was compiled for: on another, evaluate instead.
    pub fn focus_type(&self) -> &str {
        &self.focus_type
    }

    /// The truth of the expression on `focus`, as evaluating it and
    /// reading the result as a Boolean would give (`None`: empty). A check
    /// counts its work as the evaluator does, a step for each condition
    /// and each item reached; one that would take more than `max_steps`
    /// defers, so the evaluator reports the limit.
    /// `resource` and `root_resource` are `%resource` and `%rootResource`.
    pub fn holds(
        &self,
        doc: &Document,
        focus: &Focus,
        resource: Option<NodeId>,
        root_resource: Option<NodeId>,
        max_steps: u64,
    ) -> Result<Option<bool>, Defer> {
        if let Some(answer) = self
            .guard
            .and_then(|g| g.answer(doc, focus.node, max_steps))
        {
            return Ok(answer);
        }
        let run = Run {
            doc,
            resource,
            root_resource,
            focus,
            steps_left: std::cell::Cell::new(max_steps),
            fixed_texts: std::cell::RefCell::new(Vec::new()),
        };
        self.root.truth(&run, (Some(focus.node), None))
    }

    /// What decides the check when the focus lacks some members, if
    /// anything does ([`Compiled::holds`] tests it first).
    pub fn guard(&self) -> Option<Guard> {
        self.guard
    }
}

/// The value the checks of one element run on, shared by them: what one
/// check learns of it that another can use is kept here (its keys' heads,
/// summed up on the first choice look-up).
pub struct Focus {
    node: NodeId,
    heads: std::cell::OnceCell<Option<MemberHeads>>,
}

impl Focus {
    pub fn new(node: NodeId) -> Focus {
        Focus {
            node,
            heads: std::cell::OnceCell::new(),
        }
    }
}

/// One check's run: the document and the steps it may still take.
struct Run<'r, 's> {
    doc: &'r Document<'s>,
    /// `%resource`
    resource: Option<NodeId>,
    /// `%rootResource`
    root_resource: Option<NodeId>,
    /// `$this` at the top.
    focus: &'r Focus,
    steps_left: std::cell::Cell<u64>,
    /// The texts of fixed arguments worked out so far, by the argument's
    /// address.
    fixed_texts: std::cell::RefCell<Vec<(*const TextExpr, Option<String>)>>,
}

impl Run<'_, '_> {
    /// `f` of a fixed text argument's value, worked out on its first use
    /// in the run (no borrow is held meanwhile: working it out may meet
    /// another).
    fn fixed_text<T>(&self, arg: &TextExpr, f: impl FnOnce(Option<&str>) -> T) -> Result<T, Defer> {
        let key: *const TextExpr = arg;
        let known = |texts: &[(*const TextExpr, Option<String>)]| {
            texts.iter().position(|(k, _)| std::ptr::eq(*k, key))
        };
        // (the look-up's borrow ends before a new text is stored)
        let found = known(&self.fixed_texts.borrow());
        let i = match found {
            Some(i) => i,
            None => {
                let text = arg.value(self, (None, None))?.map(|t| t.into_owned());
                let mut texts = self.fixed_texts.borrow_mut();
                texts.push((key, text));
                texts.len() - 1
            }
        };
        Ok(f(self.fixed_texts.borrow()[i].1.as_deref()))
    }

    /// `key` in `obj`; a choice the focus lacks (an ElementDefinition's
    /// `fixed[x]`, `pattern[x]`, `defaultValue[x]`: several checks ask) is
    /// told by one bit of its keys' heads, without a pass.
    fn find(&self, key: &Key, obj: NodeId, variants: bool) -> Found {
        if variants && obj == self.focus.node {
            let heads = self
                .focus
                .heads
                .get_or_init(|| MemberHeads::build(self.doc, obj));
            if heads.as_ref().is_some_and(|h| key.absent_with_variants(h)) {
                return Found {
                    value: None,
                    companion: None,
                    variants: false,
                };
            }
        }
        key.find(self.doc, obj, variants)
    }

    fn charge(&self) -> Result<(), Defer> {
        let left = self.steps_left.get().checked_sub(1).ok_or(Defer)?;
        self.steps_left.set(left);
        Ok(())
    }
}

struct Compiler<'m> {
    model: &'m dyn Model,
    /// The type of `%resource` wherever the focus is of the type compiled
    /// for: `None` when the type does not tell it.
    resource_type: Option<Arc<str>>,
}

/// The type of the resource that holds any value of type `ty`: `ty` itself
/// for a resource type (its value is the resource), and for a backbone
/// element's type, named by its path (`StructureDefinition.snapshot`),
/// the resource the path begins with. A data type may be in any resource.
fn resource_type_of(ty: &str, model: &dyn Model) -> Option<Arc<str>> {
    let head = ty.split('.').next()?;
    (model.is_subtype(head, "Resource") && head != "Resource" && head != "DomainResource")
        .then(|| head.into())
}

impl Compiler<'_> {
    fn cond(&self, n: &Node, ty: &str) -> Option<Cond> {
        use BinOp::*;
        Some(match n {
            Node::Binary(And, ..) if let Some(fused) = self.empties_of_one_collection(n, ty) => {
                fused
            }
            Node::Binary(op @ (And | Or), a, b) => {
                let or = *op == Or;
                let mut parts = Vec::new();
                for side in [self.cond(a, ty)?, self.cond(b, ty)?] {
                    match side {
                        // `(a or b) or c`, and `a or (b or c)`, read in
                        // the same order
                        Cond::Chain { or: o, parts: more } if o == or => {
                            parts.extend(more.into_vec())
                        }
                        side => parts.push(side),
                    }
                }
                Cond::Chain {
                    or,
                    parts: parts.into(),
                }
            }
            Node::Binary(op @ (Xor | Implies), a, b) => Cond::Logic(
                *op,
                Box::new(self.cond(a, ty)?),
                Box::new(self.cond(b, ty)?),
            ),
            Node::Binary(Ne, a, b) if matches!((&**a, &**b), (Node::Env(r), Node::This) if r == "rootResource") => {
                Cond::NotRoot
            }
            Node::Binary(op @ (Eq | Ne), a, b)
                if crate::eval::logical(a) && crate::eval::logical(b) =>
            {
                Cond::SameTruth {
                    ne: *op == Ne,
                    a: Box::new(self.cond(a, ty)?),
                    b: Box::new(self.cond(b, ty)?),
                }
            }
            Node::Binary(op @ (Eq | Ne), a, b) => {
                if let Node::Literal(Value::Boolean(value)) = &**b {
                    let path = self.path(a, ty)?;
                    let t = path.item_type.as_deref()?;
                    if path.is_choice() || system_type_of(t) != Some("Boolean") {
                        return None;
                    }
                    Cond::BoolEq {
                        path,
                        value: *value,
                        ne: *op == Ne,
                    }
                } else if let Some(text) = literal_text(b) {
                    let path = self.text_path(a, ty)?;
                    Cond::StrEq {
                        path,
                        text: text.into(),
                        ne: *op == Ne,
                    }
                } else if let (Some(x), Some(y)) = (self.operand(a, ty), self.operand(b, ty)) {
                    Cond::Equal {
                        ne: *op == Ne,
                        a: x,
                        b: y,
                    }
                } else {
                    Cond::TextEq {
                        a: self.text_expr(a, ty)?,
                        b: self.text_expr(b, ty)?,
                        ne: *op == Ne,
                    }
                }
            }
            Node::Binary(op @ (Lt | Gt | Le | Ge), a, b) => Cond::Compare {
                op: *op,
                a: self.operand(a, ty)?,
                b: self.operand(b, ty)?,
            },
            Node::Binary(In, a, b) => Cond::TextIn {
                path: self.text_path(a, ty)?,
                texts: literal_texts(b)?.into(),
            },
            Node::Call {
                target: None,
                name,
                args,
            } if name == "iif"
                && (2..=3).contains(&args.len())
                && crate::eval::logical(&args[0]) =>
            {
                Cond::Iif {
                    criterion: Box::new(self.cond(&args[0], ty)?),
                    then: Box::new(self.cond(&args[1], ty)?),
                    otherwise: match args.get(2) {
                        Some(a) => Some(Box::new(self.cond(a, ty)?)),
                        None => None,
                    },
                }
            }
            // a function on the focus itself: `empty()`, `matches(...)`
            Node::Call {
                target: None,
                name,
                args,
            } => self.cond(
                &Node::Call {
                    target: Some(Box::new(Node::This)),
                    name: name.clone(),
                    args: args.clone(),
                },
                ty,
            )?,
            // `(a | b).x.all(c)`: each side on its own. A union drops
            // duplicates, which neither `all()` nor `exists()` can tell, and
            // a criterion answers the same on equal items.
            Node::Call {
                target: Some(t),
                name,
                args,
            } if matches!(name.as_str(), "exists" | "empty" | "all")
                && split_union(t).is_some() =>
            {
                let (left, right) = split_union(t)?;
                let call = |target: Node| Node::Call {
                    target: Some(Box::new(target)),
                    name: name.clone(),
                    args: args.clone(),
                };
                Cond::Each {
                    and: name != "exists",
                    parts: Box::new([self.cond(&call(left), ty)?, self.cond(&call(right), ty)?]),
                }
            }
            Node::Call {
                target: Some(t),
                name,
                args,
            } => match (name.as_str(), args.as_slice()) {
                ("exists" | "empty", []) => match &**t {
                    Node::Call {
                        target: Some(inner),
                        name: w,
                        args: wargs,
                    } if wargs.len() == 1
                        && (w == "where"
                            || (w == "select" && member_path(&wargs[0]).is_none())) =>
                    {
                        let path = self.path(inner, ty)?;
                        let each = self.each(&path, &wargs[0])?;
                        Cond::Any {
                            path,
                            each,
                            negate: name == "empty",
                            selected: w == "select",
                        }
                    }
                    Node::Call {
                        target: Some(inner),
                        name: i,
                        args: other,
                    } if i == "intersect" && other.len() == 1 => {
                        let (a, b) = (self.path(inner, ty)?, self.path(&other[0], ty)?);
                        // texts, or objects: equal as the evaluator tells
                        // either without reading their types
                        let kind = |p: &Path| {
                            let t = p.item_type.as_deref().filter(|_| !p.is_choice())?;
                            match system_type_of(t) {
                                Some("String") => Some(true),
                                Some(_) => None,
                                None => Some(false),
                            }
                        };
                        let texts = kind(&a)?;
                        if kind(&b)? != texts {
                            return None;
                        }
                        Cond::Shared {
                            a,
                            b,
                            negate: name == "empty",
                            texts,
                        }
                    }
                    _ => Cond::Exists {
                        path: self.path(t, ty)?,
                        negate: name == "empty",
                    },
                },
                ("not", []) => Cond::Not(Box::new(self.cond(t, ty)?)),
                ("hasValue", []) => Cond::HasValue(self.path(t, ty)?),
                ("exists" | "all", [arg]) => {
                    let path = self.path(t, ty)?;
                    let each = self.each(&path, arg)?;
                    if name == "all" {
                        Cond::All { path, each }
                    } else {
                        Cond::Any {
                            path,
                            each,
                            negate: false,
                            selected: false,
                        }
                    }
                }
                ("isDistinct", []) => match &**t {
                    Node::Call {
                        target: Some(inner),
                        name: select,
                        args: select_args,
                    } if select == "select"
                        && matches!(select_args.as_slice(), [arg] if member_path(arg).is_none()) =>
                    {
                        let path = self.path(inner, ty)?;
                        let item_type = path.item_type.clone().filter(|_| !path.is_choice())?;
                        Cond::DistinctTexts {
                            text: self.text_expr(&select_args[0], &item_type)?,
                            path,
                        }
                    }
                    _ => Cond::Distinct(self.text_path(t, ty)?),
                },
                // the argument is read on the focus, not on the text tested
                ("startsWith" | "endsWith" | "contains", [arg]) => {
                    let arg = self.text_expr(arg, ty)?;
                    Cond::Text {
                        path: self.text_path(t, ty)?,
                        test: match name.as_str() {
                            "startsWith" => TextTest::StartsWith,
                            "endsWith" => TextTest::EndsWith,
                            _ => TextTest::Contains,
                        },
                        fixed: arg.is_fixed() && !matches!(arg, TextExpr::Literal(_)),
                        arg,
                    }
                }
                ("matches", [Node::Literal(Value::String(p))]) => {
                    let path = self.text_path(t, ty)?;
                    Cond::Matches {
                        path,
                        pattern: Pattern::new(p, false),
                    }
                }
                _ => return None,
            },
            _ => Cond::Truth(self.path(n, ty)?),
        })
    }

    /// `c.a.empty() and c.b.empty() and ...` over one filtered collection
    /// `c` (`sdf-9`: a definition's root elements, found by a criterion on
    /// every element, written three times), compiled as
    /// `c.all(a.empty() and b.empty() and ...)`: the collection is walked
    /// once, not once a member. The two say the same: a member of the
    /// collection is empty when every item's own is, `empty()` is never
    /// empty itself, and `all()` over nothing is true, as each `empty()` of
    /// nothing is. Only for a collection whose walk tests a criterion
    /// (`where`): a plain path is cheap to walk again, and its checks keep
    /// the guards their absent members give.
    fn empties_of_one_collection(&self, n: &Node, ty: &str) -> Option<Cond> {
        fn conjuncts<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
            match n {
                Node::Binary(BinOp::And, a, b) => {
                    conjuncts(a, out);
                    conjuncts(b, out);
                }
                _ => out.push(n),
            }
        }
        fn member_empty(n: &Node) -> Option<(&Node, &str)> {
            match n {
                Node::Call {
                    target: Some(t),
                    name,
                    args,
                } if name == "empty" && args.is_empty() => match &**t {
                    Node::Path(collection, member) => Some((&**collection, member.as_str())),
                    _ => None,
                },
                _ => None,
            }
        }
        fn filtered(n: &Node) -> bool {
            match n {
                Node::Call { target, name, .. } => {
                    name == "where" || target.as_deref().is_some_and(filtered)
                }
                Node::Path(target, _) => filtered(target),
                _ => false,
            }
        }
        let mut parts = Vec::new();
        conjuncts(n, &mut parts);
        let mut members = Vec::with_capacity(parts.len());
        let mut collection = None;
        for part in parts {
            let (c, member) = member_empty(part)?;
            if *collection.get_or_insert(c) != c {
                return None;
            }
            members.push(member);
        }
        let collection = collection.filter(|c| filtered(c))?;
        let empty = |member: &str| Node::Call {
            target: Some(Box::new(Node::Member(member.to_string()))),
            name: "empty".into(),
            args: Vec::new(),
        };
        let each = members
            .iter()
            .map(|m| empty(m))
            .reduce(|a, b| Node::Binary(BinOp::And, Box::new(a), Box::new(b)))?;
        let all = Node::Call {
            target: Some(Box::new(collection.clone())),
            name: "all".into(),
            args: vec![each],
        };
        self.cond(&all, ty)
    }

    /// A path to primitives the evaluator reads as text (`String` in
    /// System terms: not dates and times, which it parses).
    fn text_path(&self, n: &Node, ty: &str) -> Option<Path> {
        let path = self.path(n, ty)?;
        let t = path.item_type.as_deref()?;
        (!path.is_choice() && system_type_of(t) == Some("String")).then_some(path)
    }

    /// A text: a literal, a path to text primitives (its one item), `a &
    /// b`, or `x.replaceMatches()` with literal arguments.
    fn text_expr(&self, n: &Node, ty: &str) -> Option<TextExpr> {
        if let Some(text) = literal_text(n) {
            return Some(TextExpr::Literal(text.into()));
        }
        Some(match n {
            Node::Binary(BinOp::Concat, a, b) => TextExpr::Concat(
                Box::new(self.text_expr(a, ty)?),
                Box::new(self.text_expr(b, ty)?),
            ),
            Node::Call {
                target: Some(t),
                name,
                args,
            } if name == "replaceMatches" => match args.as_slice() {
                [Node::Literal(Value::String(p)), Node::Literal(Value::String(r))] => {
                    TextExpr::Replace {
                        of: Box::new(self.text_expr(t, ty)?),
                        pattern: Pattern::new(p, true),
                        with: r.as_str().into(),
                    }
                }
                _ => return None,
            },
            _ => TextExpr::Path(self.text_path(n, ty)?),
        })
    }

    /// An element of every resource, after a step whose type is read from
    /// the data (`contained`): one of `Resource` (`id`, `meta`) is the
    /// same on every resource type, so its type is known; one of
    /// `DomainResource` (`text`, `contained`) is found by its key alone on
    /// any resource, and on the three that lack it (Bundle, Binary,
    /// Parameters) the evaluator finds it the same way, untyped, so the
    /// steps after it are left unknown (`false`). Only lower-case names
    /// that are no R4 choice element qualify: for those, a resource type
    /// without the element is navigated exactly as one with it.
    fn resource_element(&self, name: &str) -> Option<(ChildInfo<'_>, bool)> {
        if name.bytes().any(|b| b.is_ascii_uppercase()) || crate::choices::is_choice_name(name) {
            return None;
        }
        let (info, typed) = match self.model.child_type("Resource", name) {
            Some(info) => (info, true),
            None => (self.model.child_type("DomainResource", name)?, false),
        };
        (!info.is_choice).then_some((info, typed))
    }

    /// The carriers of `children().name` on `ty` ([`Children`]) and the
    /// type of the items reached: `None` when there are none, or the
    /// carriers' `name` elements differ in type or are choices.
    fn carriers(&self, ty: &str, name: &str) -> Option<(Box<[Key]>, Arc<str>)> {
        let mut carriers = Vec::new();
        let mut item_type: Option<Arc<str>> = None;
        for element in self.model.element_names(ty) {
            let Some(info) = self.model.child_type(ty, &element) else {
                continue;
            };
            if info.is_choice {
                continue; // its keys (`valueString`) are read untyped
            }
            let Some(inner) = info
                .types
                .first()
                .and_then(|t| self.model.child_type(t, name))
            else {
                continue;
            };
            let t = inner.types.first()?;
            if inner.is_choice || item_type.as_ref().is_some_and(|x| x != t) {
                return None;
            }
            item_type = Some(t.clone());
            carriers.push(Key::new(&element));
        }
        Some((carriers.into(), item_type?))
    }

    /// A number, date or time: a literal, a path to such a primitive,
    /// `toInteger()` of a text path, `count()`, or a sum of these.
    fn operand(&self, n: &Node, ty: &str) -> Option<Operand> {
        Some(match n {
            Node::Literal(
                v @ (Value::Integer(_)
                | Value::Decimal(_)
                | Value::Date(_)
                | Value::DateTime(_)
                | Value::Time(_)),
            ) => Operand::Literal(v.clone()),
            Node::Binary(BinOp::Add, a, b) => Operand::Sum(
                Box::new(self.operand(a, ty)?),
                Box::new(self.operand(b, ty)?),
            ),
            Node::Call { target, name, args }
                if args.is_empty() && matches!(name.as_str(), "toInteger" | "count") =>
            {
                let this = Node::This;
                let target = target.as_deref().unwrap_or(&this);
                if name == "count" {
                    Operand::Count(self.path(target, ty)?)
                } else {
                    Operand::ToInteger(self.text_path(target, ty)?)
                }
            }
            _ => {
                let path = self.path(n, ty)?;
                let t = path.item_type.as_deref()?;
                let scalar = matches!(
                    system_type_of(t),
                    Some("Integer" | "Decimal" | "Date" | "DateTime" | "Time")
                );
                if path.is_choice() || !scalar {
                    return None;
                }
                Operand::Scalar(path)
            }
        })
    }

    /// The criteria of `all()`, `exists()` or `where()`, evaluated on each
    /// item of `path`, compiled for the items' type (not a choice's, which
    /// varies by item).
    fn each(&self, path: &Path, arg: &Node) -> Option<Box<Cond>> {
        let t = path.item_type.as_deref()?;
        if path.is_choice() {
            return None;
        }
        Some(Box::new(self.cond(arg, t)?))
    }

    /// Steps from the focus (`a`, `a.b.c`, `a.where(...).b`, `a.first()`),
    /// each member known to the model on the type before it; only the
    /// last may be a choice. A step after one whose type is taken from the
    /// data (`Resource`) is unknown: reaching it defers.
    fn path(&self, n: &Node, ty: &str) -> Option<Path> {
        let mut parts = path_parts(n)?;
        let from_resource = matches!(parts.first(), Some(Part::Resource));
        let mut current: Option<Arc<str>> = if from_resource {
            parts.remove(0);
            Some(self.resource_type.clone()?)
        } else {
            Some(ty.into())
        };
        let mut steps = Vec::with_capacity(parts.len());
        let mut filtered = false;
        let mut choice = false;
        let mut fused = false;
        for (i, part) in parts.iter().enumerate() {
            if choice {
                return None; // only the last step may be a choice
            }
            if std::mem::take(&mut fused) {
                continue;
            }
            let name = match part {
                Part::Resource => return None,
                // `children().name`, one step
                Part::Children => {
                    let Some(Part::Name(name)) = parts.get(i + 1) else {
                        return None;
                    };
                    let t = current
                        .as_deref()
                        .filter(|t| !matches!(*t, "Resource" | "DomainResource"))?;
                    let (carriers, item_type) = self.carriers(t, name)?;
                    steps.push(Step::Children(Children {
                        name: Key::new(name),
                        carriers,
                    }));
                    current = Some(item_type);
                    fused = true;
                    continue;
                }
                // `descendants().name`, one step and the last: its items
                // are of any type that has `name`, so they are read as
                // texts only where every type would read them so (see
                // the step's walk); a choice's variants are not looked for
                Part::Descendants => {
                    let Some(Part::Name(name)) = parts.get(i + 1) else {
                        return None;
                    };
                    if i + 2 != parts.len() || crate::choices::is_choice_name(name) {
                        return None;
                    }
                    steps.push(Step::Descendants(Key::new(name)));
                    current = Some("string".into());
                    fused = true;
                    continue;
                }
                Part::Name(name) => *name,
                Part::Where(criterion) => {
                    let t = current.as_deref()?;
                    steps.push(Step::Where(Box::new(self.cond(criterion, t)?)));
                    filtered = true;
                    continue;
                }
                Part::First => {
                    steps.push(Step::First);
                    continue;
                }
                Part::Tail => {
                    steps.push(Step::Tail);
                    continue;
                }
            };
            let on_resource = current
                .as_deref()
                .is_some_and(|t| matches!(t, "Resource" | "DomainResource"));
            let (info, typed) = if on_resource {
                match self.resource_element(name) {
                    Some((info, typed)) => (Some(info), typed),
                    None => (None, false),
                }
            } else {
                let info = current
                    .as_deref()
                    .and_then(|t| self.model.child_type(t, name));
                (info, true)
            };
            let Some(info) = info else {
                if i == 0 {
                    return None; // it would defer on every focus
                }
                // from here on, types are known only from the data
                steps.push(Step::Member(Member {
                    key: Key::new(name),
                    choice: None,
                    known: false,
                }));
                current = None;
                continue;
            };
            if info.is_choice {
                steps.push(Step::Member(Member {
                    key: Key::new(name),
                    choice: Some(info.types.into()),
                    known: true,
                }));
                current = None;
                choice = true;
                continue;
            }
            steps.push(Step::Member(Member {
                key: Key::new(name),
                choice: None,
                known: true,
            }));
            current = if typed {
                Some(info.types.first()?.clone())
            } else {
                None
            };
        }
        let item_type = current.filter(|t| !matches!(&**t, "Resource" | "DomainResource"));
        let counted = steps.iter().any(|s| matches!(s, Step::First | Step::Tail));
        // children come in the evaluator's order only as far as the
        // conditions here need (none depends on the order of several
        // items); `first()` and `tail()` would
        if counted
            && steps
                .iter()
                .any(|s| matches!(s, Step::Children(_) | Step::Descendants(_)))
        {
            return None;
        }
        Some(Path {
            from_resource,
            steps: steps.into(),
            item_type,
            filtered,
            counted,
        })
    }
}

/// The compiled pattern `p`, shared by every check that uses it: many
/// invariants test a name with the same pattern (`sdf-0`, `vsd-0`, ...),
/// and building one costs far more than matching with it.
fn shared_regex(p: &str) -> Option<Arc<TextRegex>> {
    crate::eval::strings::shared(p, || TextRegex::new(p)).ok()
}

/// The two sides of a union at the head of a chain of member steps and
/// `where()`s: `(a | b).c.where(d)` gives `a.c.where(d)` and `b.c.where(d)`.
fn split_union(n: &Node) -> Option<(Node, Node)> {
    match n {
        Node::Binary(BinOp::Union, a, b) => Some(((**a).clone(), (**b).clone())),
        Node::Path(t, name) => {
            let (l, r) = split_union(t)?;
            Some((
                Node::Path(Box::new(l), name.clone()),
                Node::Path(Box::new(r), name.clone()),
            ))
        }
        Node::Call {
            target: Some(t),
            name,
            args,
        } if name == "where" => {
            let (l, r) = split_union(t)?;
            let call = |target: Node| Node::Call {
                target: Some(Box::new(target)),
                name: name.clone(),
                args: args.clone(),
            };
            Some((call(l), call(r)))
        }
        _ => None,
    }
}

/// A literal text: `'a'`, or a fixed name (`%ucum`). A compiled check is
/// for a caller that sets no variables of those names.
fn literal_text(n: &Node) -> Option<&str> {
    match n {
        Node::Literal(Value::String(t)) => Some(t),
        Node::Env(name) => crate::eval::constant(name),
        _ => None,
    }
}

/// The texts of a literal collection: `'a'` or `('a' | 'b' | ...)`.
fn literal_texts(n: &Node) -> Option<Vec<Box<str>>> {
    Some(match n {
        Node::Literal(Value::String(t)) => vec![t.as_str().into()],
        Node::Binary(BinOp::Union, a, b) => {
            let mut texts = literal_texts(a)?;
            texts.extend(literal_texts(b)?);
            texts
        }
        _ => return None,
    })
}

/// The steps of a path from the focus as written: `a`, `a.b.c`,
/// `a.select(b.c)` (which reaches the same items in the same order),
/// `a.where(criterion)`, `a.first()`, `a.tail()`.
fn path_parts(n: &Node) -> Option<Vec<Part<'_>>> {
    Some(match n {
        Node::This => Vec::new(),
        Node::Env(name) if name == "resource" => vec![Part::Resource],
        // `children()` on the focus
        Node::Call {
            target: None,
            name,
            args,
        } if name == "children" && args.is_empty() => vec![Part::Children],
        Node::Call {
            target: None,
            name,
            args,
        } if name == "descendants" && args.is_empty() => vec![Part::Descendants],
        // a leading upper-case name may be a type (`Patient.name`)
        Node::Member(name) if !name.starts_with(char::is_uppercase) => vec![Part::Name(name)],
        Node::Path(t, name) => {
            let mut parts = path_parts(t)?;
            parts.push(Part::Name(name));
            parts
        }
        Node::Call {
            target: Some(t),
            name,
            args,
        } => {
            let mut parts = path_parts(t)?;
            match (name.as_str(), args.as_slice()) {
                ("select", [arg]) => parts.extend(member_path(arg)?),
                ("where", [criterion]) => parts.push(Part::Where(criterion)),
                ("first", []) => parts.push(Part::First),
                ("tail", []) => parts.push(Part::Tail),
                ("children", []) => parts.push(Part::Children),
                ("descendants", []) => parts.push(Part::Descendants),
                // `trace()` passes its input on; a compiled check is for a
                // caller that sets no trace sink, so it has nothing else
                // to do
                ("trace", [_]) => {}
                _ => return None,
            }
            parts
        }
        _ => return None,
    })
}

/// A path of member names only (what `select()` may hold and stay a path).
fn member_path(n: &Node) -> Option<Vec<Part<'_>>> {
    let parts = path_parts(n)?;
    parts
        .iter()
        .all(|p| matches!(p, Part::Name(_)))
        .then_some(parts)
}

impl Path {
    /// [`Key::bits`] of the first step when it is a member of the focus
    /// known to the model and not a choice (whose variants the key summary
    /// cannot rule out): when the focus has no such member, the path
    /// reaches nothing.
    fn lead_bits(&self) -> Option<u64> {
        match self.steps.first() {
            Some(Step::Member(m)) if !self.from_resource && m.known && m.choice.is_none() => {
                Some(m.key.bits())
            }
            _ => None,
        }
    }

    fn is_choice(&self) -> bool {
        matches!(self.steps.last(), Some(Step::Member(m)) if m.choice.is_some())
    }

    /// Calls `f` with each item the path reaches from `at` (a value and
    /// its `_name` twin), in order, until it halts, each counted as a step;
    /// `Err` when the path reaches an item where the check cannot go on.
    fn each(
        &self,
        run: &Run,
        at: Parts,
        mut f: impl FnMut(Option<NodeId>, Option<NodeId>) -> Flow,
    ) -> Result<(), Defer> {
        let mut counted = |v, c| match run.charge() {
            Ok(()) => f(v, c),
            Err(Defer) => ControlFlow::Break(Halt::Defer),
        };
        // one member of the focus, the commonest path, read without a walk
        // (as the walk's member step reads it: a choice, `value.exists()`
        // on each Extension, by its variants)
        if let (false, [Step::Member(m)]) = (self.from_resource, &*self.steps) {
            if m.known {
                let Some(obj) = at.0.filter(|&o| run.doc.kind(o) == Kind::Object) else {
                    return Ok(());
                };
                let flow = member_items(run, m, obj, counted);
                return match flow {
                    ControlFlow::Break(Halt::Defer) => Err(Defer),
                    _ => Ok(()),
                };
            }
        }
        let at = match (self.from_resource, run.resource) {
            (false, _) => at,
            (true, Some(resource)) => (Some(resource), None),
            (true, None) => return Err(Defer),
        };
        let walk = Walk {
            run,
            steps: &self.steps,
            filtered: self.filtered,
        };
        let mut seen: smallvec::SmallVec<[u32; 4]> = smallvec::SmallVec::new();
        if self.counted {
            seen.resize(self.steps.len(), 0);
        }
        let flow = if self.filtered {
            // read until the answer is known, walked to the end
            let mut done = false;
            let mut until_done = |v, c| {
                if done {
                    return ControlFlow::Continue(());
                }
                match counted(v, c) {
                    ControlFlow::Break(Halt::Done) => {
                        done = true;
                        ControlFlow::Continue(())
                    }
                    flow => flow,
                }
            };
            walk.from(at, 0, &mut seen, &mut until_done)
        } else {
            walk.from(at, 0, &mut seen, &mut counted)
        };
        match flow {
            ControlFlow::Break(Halt::Defer) => Err(Defer),
            _ => Ok(()),
        }
    }

    /// How many items the path reaches.
    fn count(&self, run: &Run, at: Parts) -> Result<usize, Defer> {
        let mut count = 0;
        self.each(run, at, |_, _| {
            count += 1;
            ControlFlow::Continue(())
        })?;
        Ok(count)
    }

    /// Whether the path reaches any item.
    fn any(&self, run: &Run, at: Parts) -> Result<bool, Defer> {
        let mut any = false;
        self.each(run, at, |_, _| {
            any = true;
            ControlFlow::Break(Halt::Done)
        })?;
        Ok(any)
    }

    /// The one item reached (its parts), or `None`; more defer.
    fn single(&self, run: &Run, at: Parts) -> Result<Option<Parts>, Defer> {
        let mut one = None;
        self.each(run, at, |v, c| {
            if one.is_some() {
                return ControlFlow::Break(Halt::Defer);
            }
            one = Some((v, c));
            ControlFlow::Continue(())
        })?;
        Ok(one)
    }

    /// `path = literal` (`!=` when `ne`) as the evaluator answers it:
    /// empty when nothing is reached, false (true) for several items, and
    /// for one its value (`value`: `None` when it has none of the literal's
    /// kind, which the evaluator decides) compared.
    fn equals_literal<T: PartialEq>(
        &self,
        run: &Run,
        at: Parts,
        value: impl Fn(Option<NodeId>) -> Option<T>,
        literal: &T,
        ne: bool,
    ) -> Truth {
        let mut count = 0usize;
        let mut first = None;
        self.each(run, at, |v, _| {
            count += 1;
            if count == 1 {
                first = Some(value(v));
            }
            ControlFlow::Continue(())
        })?;
        Ok(match (count, first) {
            (0, _) => None,
            (1, Some(Some(x))) => Some((x == *literal) != ne),
            (1, _) => return Err(Defer),
            // collections of different sizes are not equal
            _ => Some(ne),
        })
    }

    /// The text of the one item reached: `None` for none; an item without
    /// a string value, or more than one, defer.
    fn single_str<'s>(
        &self,
        run: &Run<'_, 's>,
        at: Parts,
    ) -> Result<Option<std::borrow::Cow<'s, str>>, Defer> {
        match self.single(run, at)? {
            None => Ok(None),
            Some((Some(v), _)) => run.doc.str(v).map(Some).ok_or(Defer),
            Some(_) => Err(Defer),
        }
    }
}

/// A walk along a path's steps, depth first, so items come in the
/// evaluator's order.
struct Walk<'w, 'r, 's> {
    run: &'w Run<'r, 's>,
    steps: &'w [Step],
    filtered: bool,
}

impl Walk<'_, '_, '_> {
    /// Walks on from `at`, which step `i` takes; `seen` counts the items
    /// each `first()`/`tail()` step has met.
    fn from(
        &self,
        at: Parts,
        i: usize,
        seen: &mut [u32],
        f: &mut impl FnMut(Option<NodeId>, Option<NodeId>) -> Flow,
    ) -> Flow {
        let doc = self.run.doc;
        let Some(step) = self.steps.get(i) else {
            return match at {
                (None, None) => ControlFlow::Continue(()),
                (v, c) => f(v, c),
            };
        };
        match step {
            Step::Where(criterion) => match criterion.truth(self.run, at) {
                Ok(Some(true)) => self.from(at, i + 1, seen, f),
                Ok(_) => ControlFlow::Continue(()),
                Err(Defer) => ControlFlow::Break(Halt::Defer),
            },
            Step::First => {
                seen[i] += 1;
                if seen[i] > 1 {
                    return ControlFlow::Continue(());
                }
                self.from(at, i + 1, seen, f)?;
                // nothing after the first matters: stop, unless a criterion
                // must still meet every item
                if self.filtered {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(Halt::Done)
                }
            }
            Step::Tail => {
                seen[i] += 1;
                if seen[i] == 1 {
                    return ControlFlow::Continue(());
                }
                self.from(at, i + 1, seen, f)
            }
            Step::Children(children) => {
                let Some(obj) = at.0.filter(|&o| doc.kind(o) == Kind::Object) else {
                    return ControlFlow::Continue(());
                };
                // a child no carrier, holding the name: defer (a `_name`
                // twin is never searched)
                for m in doc.members(obj) {
                    let key = doc.key(m);
                    if key.starts_with('_') || children.carriers.iter().any(|c| c.name() == key) {
                        continue;
                    }
                    let holds = for_each_pair(doc, Some(m.value), None, |v, _| {
                        match v.filter(|&o| doc.kind(o) == Kind::Object) {
                            Some(o) => {
                                let found = children.name.find(doc, o, true);
                                if found.value.is_some()
                                    || found.companion.is_some()
                                    || found.variants
                                {
                                    ControlFlow::Break(())
                                } else {
                                    ControlFlow::Continue(())
                                }
                            }
                            None => ControlFlow::Continue(()),
                        }
                    });
                    if holds.is_break() {
                        return ControlFlow::Break(Halt::Defer);
                    }
                }
                for carrier in children.carriers.iter() {
                    let found = carrier.find(doc, obj, false);
                    for_each_pair(doc, found.value, found.companion, |v, _| {
                        let Some(o) = v.filter(|&o| doc.kind(o) == Kind::Object) else {
                            return ControlFlow::Continue(());
                        };
                        let found = children.name.find(doc, o, false);
                        for_each_pair(doc, found.value, found.companion, |v, c| {
                            self.from((v, c), i + 1, seen, f)
                        })
                    })?;
                }
                ControlFlow::Continue(())
            }
            Step::Descendants(name) => {
                let mut found_in = |o: NodeId| -> Flow {
                    let found = name.find(doc, o, false);
                    if found.companion.is_some() {
                        // an item with extensions, or without a value: rare,
                        // and the evaluator's to read
                        return ControlFlow::Break(Halt::Defer);
                    }
                    for_each_pair(doc, found.value, None, |v, c| {
                        // a text is the evaluator's value of such an item
                        // whatever its type, unless it reads as a date or a
                        // time (which a date-typed element would hold)
                        if v.and_then(|v| doc.str(v)).is_some_and(|t| {
                            crate::eval::dates::DateTime::parse_date_time(&t).is_some()
                                || crate::eval::dates::DateTime::parse_time(&t).is_some()
                        }) {
                            return ControlFlow::Break(Halt::Defer);
                        }
                        self.from((v, c), i + 1, seen, f)
                    })
                };
                match at {
                    (Some(o), _) if doc.kind(o) == Kind::Object => {
                        each_descendant(self.run, o, &mut found_in)
                    }
                    // a primitive's children are its twin's
                    (_, Some(c)) if doc.kind(c) == Kind::Object => {
                        each_descendant(self.run, c, &mut found_in)
                    }
                    _ => ControlFlow::Continue(()),
                }
            }
            Step::Member(member) => {
                // only an object has children (a primitive's `_name` twin
                // is not searched, as the evaluator does not)
                let Some(obj) = at.0.filter(|&o| doc.kind(o) == Kind::Object) else {
                    return ControlFlow::Continue(());
                };
                if !member.known {
                    return ControlFlow::Break(Halt::Defer);
                }
                if i + 1 == self.steps.len() {
                    member_items(self.run, member, obj, &mut *f)
                } else {
                    member_items(self.run, member, obj, |v, c| {
                        self.from((v, c), i + 1, seen, f)
                    })
                }
            }
        }
    }
}

/// Calls `f` with each item a member step reaches in `obj` (a value and
/// its `_name` twin), until it halts: the member of its name, or for a
/// choice element without one its variants of the element's types
/// (`valueQuantity`).
fn member_items(
    run: &Run,
    member: &Member,
    obj: NodeId,
    mut f: impl FnMut(Option<NodeId>, Option<NodeId>) -> Flow,
) -> Flow {
    let found = run.find(&member.key, obj, member.choice.is_some());
    if found.value.is_some() || found.companion.is_some() {
        return for_each_pair(run.doc, found.value, found.companion, f);
    }
    let Some(types) = &member.choice else {
        return ControlFlow::Continue(());
    };
    if !found.variants {
        return ControlFlow::Continue(());
    }
    let info = ChildInfo {
        types,
        is_choice: true,
    };
    let name = member.key.name();
    let allowed = |suffix: &str| allowed_variant(Some(&info), name, suffix);
    each_variant(run.doc, obj, &member.key, allowed, |_, v, c| {
        for_each_pair(run.doc, Some(v), c, &mut f)
    })
}

/// Calls `f` with every object among the descendants of `obj` (not `obj`
/// itself), as the evaluator's `descendants()` reaches them: each member
/// name once (the first of duplicate keys), a value paired with its `_name`
/// twin, arrays item by item, and below a primitive its twin's children
/// (a primitive's extensions are its children). Each item reached costs
/// two steps, no fewer than the evaluator takes to reach it and read a
/// member of it, so a walk past the limit defers.
fn each_descendant(run: &Run, obj: NodeId, f: &mut impl FnMut(NodeId) -> Flow) -> Flow {
    let doc = run.doc;
    let members = doc.members(obj);
    let keys: smallvec::SmallVec<[std::borrow::Cow<str>; 16]> =
        members.iter().map(|m| doc.key(m)).collect();
    // a `_name` twin's key is its name after the `_`
    let is_twin = |j: usize| keys[j].starts_with('_');
    let base = |j: usize| &keys[j][usize::from(is_twin(j))..];
    for at in 0..keys.len() {
        let (name, twin) = (base(at), is_twin(at));
        if name == "resourceType" {
            continue;
        }
        // a name met before, as itself or as its twin, was read then
        if (0..at).any(|j| base(j) == name) {
            continue;
        }
        // the first of the other kind, after this one
        let later = |twin_wanted: bool| {
            (at + 1..keys.len())
                .find(|&j| is_twin(j) == twin_wanted && base(j) == name)
                .map(|j| members[j].value)
        };
        let m = &members[at];
        let (value, companion) = if twin {
            (later(false), Some(m.value))
        } else {
            (Some(m.value), later(true))
        };
        for_each_pair(doc, value, companion, |v, c| {
            if run.charge().and_then(|()| run.charge()).is_err() {
                return ControlFlow::Break(Halt::Defer);
            }
            match (v, c) {
                (Some(o), _) if doc.kind(o) == Kind::Object => {
                    f(o)?;
                    each_descendant(run, o, f)
                }
                // a primitive's (or a missing value's) twin
                (_, Some(c)) if doc.kind(c) == Kind::Object => each_descendant(run, c, f),
                _ => ControlFlow::Continue(()),
            }
        })?;
    }
    ControlFlow::Continue(())
}

impl Cond {
    fn truth(&self, run: &Run, at: Parts) -> Truth {
        run.charge()?;
        let doc = run.doc;
        Ok(match self {
            Cond::Chain { or, parts } => {
                // the tree's other operators, each a step
                for _ in 2..parts.len() {
                    run.charge()?;
                }
                let mut unknown = false;
                for part in parts.iter() {
                    match part.truth(run, at)? {
                        Some(x) if x == *or => return Ok(Some(x)),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                (!unknown).then_some(!*or)
            }
            Cond::Logic(op, a, b) => {
                let x = a.truth(run, at)?;
                if *op == BinOp::Implies && x == Some(false) {
                    return Ok(Some(true));
                }
                let y = b.truth(run, at)?;
                crate::eval::operators::logic(*op, x, y)
            }
            Cond::Not(a) => a.truth(run, at)?.map(|x| !x),
            Cond::SameTruth { ne, a, b } => {
                let Some(x) = a.truth(run, at)? else {
                    return Ok(None);
                };
                let Some(y) = b.truth(run, at)? else {
                    return Ok(None);
                };
                Some((x == y) != *ne)
            }
            Cond::Exists { path, negate } => Some(path.any(run, at)? != *negate),
            Cond::Truth(path) => match path.single(run, at)? {
                None => None,
                // one Boolean is its value; any other single item is true
                Some((Some(v), _)) if doc.kind(v) == Kind::Bool => doc.bool(v),
                Some(_) => Some(true),
            },
            Cond::StrEq { path, text, ne } => path.equals_literal(
                run,
                at,
                |v| v.and_then(|v| doc.str(v)),
                &std::borrow::Cow::Borrowed(&**text),
                *ne,
            )?,
            // the argument is read only when there is a text to test, as
            // the evaluator reads it
            Cond::Text {
                path,
                test,
                arg,
                fixed,
            } => match path.single_str(run, at)? {
                None => None,
                Some(s) => {
                    let holds = |text: &str| match test {
                        TextTest::StartsWith => s.starts_with(text),
                        TextTest::EndsWith => s.ends_with(text),
                        TextTest::Contains => s.contains(text),
                    };
                    match arg {
                        // most arguments are literals: no text worked out
                        TextExpr::Literal(text) => Some(holds(text)),
                        _ if *fixed => run.fixed_text(arg, |text| text.map(holds))?,
                        _ => arg.value(run, at)?.map(|text| holds(&text)),
                    }
                }
            },
            Cond::TextEq { a, b, ne } => match (a.value(run, at)?, b.value(run, at)?) {
                (Some(x), Some(y)) => Some((x == y) != *ne),
                _ => None,
            },
            Cond::Matches { path, pattern } => match path.single_str(run, at)? {
                None => None,
                Some(s) => Some(pattern.is_match(&s)?),
            },
            Cond::Compare { op, a, b } => {
                let (Some(x), Some(y)) = (a.value(run, at)?, b.value(run, at)?) else {
                    return Ok(None);
                };
                let order = crate::eval::operators::compare(&x, &y).map_err(|_| Defer)?;
                order.map(|o| match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Gt => o.is_gt(),
                    BinOp::Le => o.is_le(),
                    _ => o.is_ge(),
                })
            }
            Cond::Equal { ne, a, b } => {
                let (Some(x), Some(y)) = (a.value(run, at)?, b.value(run, at)?) else {
                    return Ok(None);
                };
                crate::eval::operators::value_equals(&x, &y).map(|e| e != *ne)
            }
            Cond::HasValue(path) => {
                let mut count = 0usize;
                let mut primitive = false;
                path.each(run, at, |v, _| {
                    count += 1;
                    primitive = v.is_some_and(|v| {
                        matches!(doc.kind(v), Kind::String | Kind::Number | Kind::Bool)
                    });
                    ControlFlow::Continue(())
                })?;
                Some(count == 1 && primitive)
            }
            Cond::TextIn { path, texts } => path
                .single_str(run, at)?
                .map(|s| texts.iter().any(|t| **t == *s)),
            Cond::Iif {
                criterion,
                then,
                otherwise,
            } => {
                if criterion.truth(run, at)? == Some(true) {
                    then.truth(run, at)?
                } else {
                    match otherwise {
                        Some(o) => o.truth(run, at)?,
                        None => None,
                    }
                }
            }
            // a contained resource is inside its root, so never equal to it
            Cond::NotRoot => match run.root_resource {
                Some(r) => Some(r != run.focus.node),
                _ => return Err(Defer),
            },
            // text values are equal exactly when their texts are
            Cond::Distinct(path) => Some(distinct_texts(run, at, path, |v, _| {
                v.and_then(|v| doc.str(v)).map(Some).ok_or(Defer)
            })?),
            Cond::DistinctTexts { path, text } => Some(distinct_texts(run, at, path, |v, c| {
                text.value(run, (v, c))
            })?),
            Cond::All { path, each } => {
                // every item is looked at, as the evaluator does, so one it
                // cannot answer for defers even after the outcome is known
                let mut all = true;
                each_item(run, at, path, each, |t| all &= t == Some(true))?;
                Some(all)
            }
            Cond::Any {
                path,
                each,
                negate,
                selected,
            } => {
                let mut any = false;
                each_item(run, at, path, each, |t| {
                    any |= if *selected {
                        t.is_some()
                    } else {
                        t == Some(true)
                    }
                })?;
                Some(any != *negate)
            }
            Cond::Each { and, parts } => {
                let mut all = true;
                let mut any = false;
                for part in parts.iter() {
                    let t = part.truth(run, at)? == Some(true);
                    all &= t;
                    any |= t;
                }
                Some(if *and { all } else { any })
            }
            Cond::Shared {
                a,
                b,
                negate,
                texts,
            } => {
                // an item of another kind defers; every item of `a` is read,
                // so one that cannot be defers whatever the others say
                let fits = |v: Option<NodeId>| match v {
                    Some(v) if *texts => doc.kind(v) == Kind::String,
                    None if *texts => false,
                    v => v.is_none_or(|v| doc.kind(v) == Kind::Object),
                };
                let same = |x: Option<NodeId>, y: Option<NodeId>| match (x, y) {
                    (Some(x), Some(y)) if *texts => doc.str(x) == doc.str(y),
                    (Some(x), Some(y)) => doc.json_eq(x, y),
                    (x, y) => x.is_none() && y.is_none(),
                };
                // texts are equal by their texts alone, objects with their
                // twins
                let equal = |(v, c): Parts, (w, d): Parts| same(v, w) && (*texts || same(c, d));
                let mut theirs: smallvec::SmallVec<[Parts; 8]> = smallvec::SmallVec::new();
                b.each(run, at, |v, c| {
                    if !fits(v) {
                        return ControlFlow::Break(Halt::Defer);
                    }
                    theirs.push((v, c));
                    ControlFlow::Continue(())
                })?;
                let mut shared = false;
                a.each(run, at, |v, c| {
                    if !fits(v) {
                        return ControlFlow::Break(Halt::Defer);
                    }
                    shared |= theirs.iter().any(|&other| equal((v, c), other));
                    ControlFlow::Continue(())
                })?;
                Some(shared != *negate)
            }
            Cond::BoolEq { path, value, ne } => path.equals_literal(
                run,
                at,
                |v| {
                    v.filter(|v| doc.kind(*v) == Kind::Bool)
                        .and_then(|v| doc.bool(v))
                },
                value,
                *ne,
            )?,
        })
    }
}

/// Whether the texts `text_of` reads on the items of `path` are all
/// different; an item whose text is empty adds none (a `select()` adds
/// nothing for it).
fn distinct_texts<'s>(
    run: &Run,
    at: Parts,
    path: &Path,
    mut text_of: impl FnMut(
        Option<NodeId>,
        Option<NodeId>,
    ) -> Result<Option<std::borrow::Cow<'s, str>>, Defer>,
) -> Result<bool, Defer> {
    let mut seen = Seen::default();
    let mut distinct = true;
    path.each(run, at, |v, c| match text_of(v, c) {
        Ok(Some(s)) => {
            distinct &= seen.insert(s);
            ControlFlow::Continue(())
        }
        Ok(None) => ControlFlow::Continue(()),
        Err(Defer) => ControlFlow::Break(Halt::Defer),
    })?;
    Ok(distinct)
}

/// Texts met so far, for `isDistinct()`: a short list, and past
/// [`Seen::FEW`] a hash set, so a Bundle of ten thousand entries is not
/// compared pair by pair.
#[derive(Default)]
struct Seen<'s> {
    few: smallvec::SmallVec<[std::borrow::Cow<'s, str>; Seen::FEW]>,
    many: Option<rustc_hash::FxHashSet<std::borrow::Cow<'s, str>>>,
}

impl<'s> Seen<'s> {
    const FEW: usize = 16;

    /// Adds `text`; whether it is new.
    fn insert(&mut self, text: std::borrow::Cow<'s, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(text);
        }
        if self.few.contains(&text) {
            return false;
        }
        self.few.push(text);
        if self.few.len() > Self::FEW {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// The truth of `each` on every item of `path`.
fn each_item(
    run: &Run,
    at: Parts,
    path: &Path,
    each: &Cond,
    mut f: impl FnMut(Option<bool>),
) -> Result<(), Defer> {
    path.each(run, at, |v, c| match each.truth(run, (v, c)) {
        Ok(t) => {
            f(t);
            ControlFlow::Continue(())
        }
        Err(Defer) => ControlFlow::Break(Halt::Defer),
    })
}

impl TextExpr {
    /// Whether it reads nothing from the focus: literals and paths from
    /// `%resource` only.
    fn is_fixed(&self) -> bool {
        match self {
            TextExpr::Literal(_) => true,
            TextExpr::Path(path) => path.from_resource,
            TextExpr::Concat(a, b) => a.is_fixed() && b.is_fixed(),
            TextExpr::Replace { of, .. } => of.is_fixed(),
        }
    }

    /// The text, or `None` for an empty one; several items, or one that
    /// is not text, defer.
    fn value<'a>(
        &'a self,
        run: &Run<'_, 'a>,
        at: Parts,
    ) -> Result<Option<std::borrow::Cow<'a, str>>, Defer> {
        use std::borrow::Cow;
        Ok(match self {
            TextExpr::Literal(t) => Some(Cow::Borrowed(&**t)),
            TextExpr::Path(path) => path.single_str(run, at)?,
            TextExpr::Concat(a, b) => {
                let (x, y) = (a.value(run, at)?, b.value(run, at)?);
                Some(Cow::Owned(
                    [x.as_deref(), y.as_deref()].into_iter().flatten().collect(),
                ))
            }
            TextExpr::Replace { of, pattern, with } => match of.value(run, at)? {
                None => None,
                Some(s) if pattern.text.is_empty() => Some(s),
                Some(s) => Some(Cow::Owned(
                    pattern.regex()?.replace_all(&s, with).map_err(|_| Defer)?,
                )),
            },
        })
    }
}

impl Operand {
    /// The value, or `None` for an empty operand.
    fn value(&self, run: &Run, at: Parts) -> Result<Option<Value>, Defer> {
        Ok(match self {
            Operand::Literal(v) => Some(v.clone()),
            Operand::ToInteger(path) => path
                .single_str(run, at)?
                .and_then(|s| crate::eval::convert::string_to_integer(&s))
                .map(Value::Integer),
            Operand::Count(path) => Some(Value::Integer(path.count(run, at)? as i64)),
            Operand::Sum(a, b) => match (a.value(run, at)?, b.value(run, at)?) {
                (Some(Value::Integer(x)), Some(Value::Integer(y))) => {
                    Some(Value::Integer(x.checked_add(y).ok_or(Defer)?))
                }
                (None, _) | (_, None) => None,
                _ => return Err(Defer),
            },
            Operand::Scalar(path) => match path.single(run, at)? {
                None => None,
                Some((Some(v), _)) => {
                    let ty = path.item_type.as_deref();
                    match crate::eval::types::scalar_value(run.doc, v, ty) {
                        Some(value) => Some(value),
                        // an object or null where a primitive belongs
                        None => return Err(Defer),
                    }
                }
                // no value: empty, as the evaluator reads it
                Some((None, _)) => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A pattern text that one check matches with and another replaces
    /// with, read from the plan cache `matches()` first: the replacing
    /// check still has what finds matches, not the matching one's regex.
    #[test]
    fn a_text_read_as_both_kinds_of_pattern_keeps_both_forms() {
        // a text no other test uses: the regexes are kept for the process
        let text = "^both-[a-z]+-kinds$";
        let stored = |replaces| postcard::to_stdvec(&Pattern::new(text, replaces)).expect("stores");
        let (matching, replacing) = (stored(false), stored(true));
        let matching: Pattern = postcard::from_bytes(&matching).expect("reads back");
        let replacing: Pattern = postcard::from_bytes(&replacing).expect("reads back");
        let (m, r) = (
            matching.regex().expect("valid"),
            replacing.regex().expect("valid"),
        );
        assert!(!m.replaces_as_stored());
        assert!(r.replaces_as_stored(), "the replacing check has no finder");
        assert!(m.is_match("both-of-kinds").expect("answers"));
        assert_eq!(r.replace_all("both-of-kinds", "x").expect("answers"), "x");
    }

    proptest! {
        /// The memo answers as a search would, whatever the texts: repeated
        /// ones, ones sharing a slot, and ones too long to keep.
        #[test]
        fn remembered_matches_answer_as_a_search(
            asked in prop::collection::vec((0usize..3, "[ab.]{0,60}"), 1..3000)
        ) {
            let patterns = ["^a+(\\.b+)*$", "b", "^[^.]{1,4}$"].map(|p| shared_regex(p).expect("valid"));
            let mut memo = MatchMemo::new();
            for (which, text) in asked.iter().chain(asked.iter()) {
                let regex = &*patterns[*which];
                prop_assert_eq!(memo.is_match(regex, text).ok(), regex.is_match(text).ok(), "{:?} on {:?}", which, text);
            }
        }
    }
}
