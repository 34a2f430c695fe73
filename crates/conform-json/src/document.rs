//! The parsed tree: an arena of nodes over the borrowed source text.

use std::borrow::Cow;

/// Index of a node in its [`Document`].
pub type NodeId = u32;

/// The JSON type of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    /// The JSON type name, for messages ("expected a string, found an object").
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// One value. `a`/`b` mean different things per kind:
/// strings and numbers: the byte span of their text (strings without quotes);
/// arrays: first index into `elements` and count; objects: the same into
/// `members`; booleans: `a` is 0 or 1.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// The string holds at least one backslash escape.
    pub(crate) escaped: bool,
    /// Byte offset where the value starts (the opening quote for strings).
    pub(crate) pos: u32,
    pub(crate) a: u32,
    pub(crate) b: u32,
    /// Objects: a bit for each member's key ([`key_bit`]), so a lookup of
    /// a name no key has needs no pass over the members; all bits set when
    /// a key holds escapes (its raw bytes are not the name's).
    pub(crate) keys: u64,
}

/// An object member: where its key starts (after the quote), the key's
/// [`Member::key_shape`] and the value.
#[derive(Clone, Copy, Debug)]
pub struct Member {
    pub(crate) key_start: u32,
    pub value: NodeId,
    pub(crate) key_shape: u64,
}

/// The top bit of a [`Member::key_shape`]: the key holds escapes.
const ESCAPED_SHAPE: u64 = 1 << 63;

impl Member {
    /// Whether the key holds escapes (then compare [`Document::key`]).
    #[inline]
    pub fn is_escaped(&self) -> bool {
        self.key_shape & ESCAPED_SHAPE != 0
    }

    /// The length of the raw key, in bytes.
    #[inline]
    pub fn key_len(&self) -> usize {
        ((self.key_shape & !ESCAPED_SHAPE) >> 32) as usize
    }

    /// [`key_head`] of the raw key.
    #[inline]
    pub fn key_head(&self) -> u32 {
        self.key_shape as u32
    }

    /// The raw key's length and [`key_head`] as one number ([`key_shape`]),
    /// its top bit set when the key holds escapes: lookups by name tell
    /// most keys apart by this one comparison, without reading the key
    /// from the source text (a read from anywhere in a large text, for
    /// every member passed). A key with escapes equals no name's shape.
    #[inline]
    pub fn key_shape(&self) -> u64 {
        self.key_shape
    }
}

/// The [`Member::key_shape`] of a key without escapes of this [`key_head`]
/// and length.
#[inline]
pub fn key_shape(head: u32, len: usize) -> u64 {
    ((len as u64 & 0x7FFF_FFFF) << 32) | u64::from(head)
}

/// The [`Member::key_shape`] of a raw key.
#[inline]
pub(crate) fn raw_key_shape(key: &[u8], escaped: bool) -> u64 {
    let shape = key_shape(key_head(key), key.len());
    if escaped {
        shape | ESCAPED_SHAPE
    } else {
        shape
    }
}

/// The first four bytes of a key (zeros past its end), as one number: two
/// keys of the same length that are no longer than four bytes are equal
/// exactly when their heads are.
#[inline]
pub fn key_head(key: &[u8]) -> u32 {
    match key {
        [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]),
        [a, b, c] => u32::from_le_bytes([*a, *b, *c, 0]),
        [a, b] => u32::from_le_bytes([*a, *b, 0, 0]),
        [a] => u32::from(*a),
        [] => 0,
    }
}

/// The bit a key of this [`key_head`] and length sets in an object's key
/// summary ([`Document::may_have_key`]). Every key that starts with `_` (a
/// primitive's twin, `_birthDate`) sets the top bit, and the others share
/// the remaining 63 by hash. Twins are rare, and a look-up for a member
/// also asks for its twin: given bits of their own, twins filled the
/// summary as much as the members did and every look-up tested two
/// chances of a false "perhaps"; now an object without twins answers
/// "no twin" for certain.
#[inline]
pub fn key_bit(head: u32, len: usize) -> u64 {
    if head & 0xFF == u32::from(b'_') {
        return TWIN_KEYS_BIT;
    }
    // Two rounds of multiply and fold: one round took the top bits mostly
    // from the head, so `contact`, `content`, `context` and `contained`
    // (same head, other lengths) shared a bit.
    let h = (u64::from(head) | ((len as u64) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    1u64 << (((h >> 32) * 63) >> 32)
}

/// The summary bit of every key that starts with `_` ([`key_bit`]).
const TWIN_KEYS_BIT: u64 = 1 << 63;

/// A parsed JSON text. Borrows the source, so parsing copies no strings.
#[derive(Debug)]
pub struct Document<'s> {
    pub(crate) src: &'s str,
    pub(crate) nodes: Vec<Node>,
    pub(crate) members: Vec<Member>,
    pub(crate) elements: Vec<NodeId>,
    pub(crate) root: NodeId,
}

impl<'s> Document<'s> {
    /// The source text this document was parsed from.
    pub fn source(&self) -> &'s str {
        self.src
    }

    /// The top-level value.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// Number of nodes (values) in the document.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    #[inline]
    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    #[inline]
    pub fn kind(&self, id: NodeId) -> Kind {
        self.node(id).kind
    }

    /// Byte offset of the start of the value (its first character).
    #[inline]
    pub fn offset(&self, id: NodeId) -> usize {
        self.node(id).pos as usize
    }

    /// Members of an object in document order (empty for other kinds).
    #[inline]
    pub fn members(&self, id: NodeId) -> &[Member] {
        let n = self.node(id);
        if n.kind != Kind::Object {
            return &[];
        }
        &self.members[n.a as usize..(n.a + n.b) as usize]
    }

    /// Whether object `id` may have a key with this [`key_bit`]: `false`
    /// is certain, `true` may be wrong (a summary of 64 bits).
    #[inline]
    pub fn may_have_key(&self, id: NodeId, bit: u64) -> bool {
        self.node(id).keys & bit != 0
    }

    /// Elements of an array in order (empty for other kinds).
    #[inline]
    pub fn elements(&self, id: NodeId) -> &[NodeId] {
        let n = self.node(id);
        if n.kind != Kind::Array {
            return &[];
        }
        &self.elements[n.a as usize..(n.a + n.b) as usize]
    }

    /// The key text exactly as written (escapes not decoded). Use for fast
    /// comparisons; keys with escapes are rare and decoded by [`Self::key`].
    #[inline]
    pub fn raw_key(&self, m: &Member) -> &'s str {
        &self.src[m.key_start as usize..m.key_start as usize + m.key_len()]
    }

    /// [`Self::raw_key`] as bytes: no check that the ends fall on
    /// character boundaries (the parser put them at quotes), for lookups
    /// that compare bytes anyway.
    #[inline]
    pub fn raw_key_bytes(&self, m: &Member) -> &'s [u8] {
        &self.src.as_bytes()[m.key_start as usize..m.key_start as usize + m.key_len()]
    }

    /// The decoded key.
    pub fn key(&self, m: &Member) -> Cow<'s, str> {
        let raw = self.raw_key(m);
        if m.is_escaped() {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// Byte offset of a member's key (its opening quote).
    pub fn key_offset(&self, m: &Member) -> usize {
        m.key_start as usize - 1
    }

    /// Whether a string node's text contains escapes.
    #[inline]
    pub fn is_escaped(&self, id: NodeId) -> bool {
        self.node(id).escaped
    }

    /// The lexical text of a number or string (strings: between the quotes,
    /// escapes not decoded); `None` for other kinds.
    #[inline]
    pub fn raw(&self, id: NodeId) -> Option<&'s str> {
        let n = self.node(id);
        match n.kind {
            Kind::Number | Kind::String => Some(&self.src[n.a as usize..n.b as usize]),
            _ => None,
        }
    }

    /// The decoded value of a string node.
    pub fn str(&self, id: NodeId) -> Option<Cow<'s, str>> {
        let n = self.node(id);
        if n.kind != Kind::String {
            return None;
        }
        let raw = &self.src[n.a as usize..n.b as usize];
        Some(if n.escaped {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        })
    }

    /// The value of a boolean node.
    pub fn bool(&self, id: NodeId) -> Option<bool> {
        let n = self.node(id);
        (n.kind == Kind::Bool).then_some(n.a == 1)
    }

    /// The first member of an object with this (unescaped) key.
    pub fn get(&self, obj: NodeId, key: &str) -> Option<NodeId> {
        let head = key_head(key.as_bytes());
        if !self.may_have_key(obj, key_bit(head, key.len())) {
            return None;
        }
        self.members(obj)
            .iter()
            .find(|m| self.key_is_with_head(m, key, head))
            .map(|m| m.value)
    }

    /// Whether a member's decoded key is `name`. Lookups by name run for
    /// every step of every invariant, so keys are told apart by length and
    /// first byte before any call to compare the rest.
    #[inline]
    pub fn key_is(&self, m: &Member, name: &str) -> bool {
        self.key_is_with_head(m, name, key_head(name.as_bytes()))
    }

    /// [`Self::key_is`], `head` being `name`'s [`key_head`].
    #[inline]
    fn key_is_with_head(&self, m: &Member, name: &str, head: u32) -> bool {
        if m.is_escaped() {
            return self.key(m) == name;
        }
        self.raw_key_is(m, name.as_bytes(), head)
    }

    /// Whether a member's raw key (escapes not decoded) is `name`, `head`
    /// being `name`'s [`key_head`]: keys are told apart by length and head
    /// before any is read from the text.
    #[inline]
    pub fn raw_key_is(&self, m: &Member, name: &[u8], head: u32) -> bool {
        self.raw_key_has_shape(m, name, key_shape(head, name.len()))
    }

    /// [`Self::raw_key_is`], `shape` being `name`'s [`key_shape`] (worked
    /// out once by a caller that looks the name up in many objects).
    #[inline]
    pub fn raw_key_has_shape(&self, m: &Member, name: &[u8], shape: u64) -> bool {
        m.key_shape == shape && (name.len() <= 4 || self.raw_key_bytes(m) == name)
    }

    /// The string value of a member, when it is a string.
    pub fn get_str(&self, obj: NodeId, key: &str) -> Option<Cow<'s, str>> {
        self.get(obj, key).and_then(|v| self.str(v))
    }

    /// Converts a subtree into a `serde_json`-free owned form for callers
    /// that need to compare whole values (patterns, fixed values): compact
    /// JSON text with members in document order.
    pub fn to_json_string(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.write_json(id, &mut out);
        out
    }

    /// Whether two subtrees have the same [`Self::to_json_string`] text,
    /// decided without writing either: the walk stops at the first
    /// difference (FHIRPath `=` on whole resources compares a container
    /// with what it contains on every contained resource).
    pub fn json_eq(&self, a: NodeId, b: NodeId) -> bool {
        if a == b {
            return true;
        }
        let (x, y) = (self.node(a), self.node(b));
        match (x.kind, y.kind) {
            (Kind::Array, Kind::Array) => {
                let (ea, eb) = (self.elements(a), self.elements(b));
                ea.len() == eb.len() && ea.iter().zip(eb).all(|(&i, &j)| self.json_eq(i, j))
            }
            (Kind::Object, Kind::Object) => {
                let (ma, mb) = (self.members(a), self.members(b));
                ma.len() == mb.len()
                    && ma.iter().zip(mb).all(|(m, n)| {
                        self.raw_key(m) == self.raw_key(n) && self.json_eq(m.value, n.value)
                    })
            }
            // An array or object is written with brackets no other value
            // starts with.
            (Kind::Array | Kind::Object, _) | (_, Kind::Array | Kind::Object) => false,
            // A string is written in quotes, nothing else is.
            (Kind::String, Kind::String) => self.raw(a) == self.raw(b),
            (Kind::String, _) | (_, Kind::String) => false,
            _ => self.scalar_text(a) == self.scalar_text(b),
        }
    }

    /// How [`Self::write_json`] writes a null, boolean or number.
    fn scalar_text(&self, id: NodeId) -> &str {
        let n = self.node(id);
        match n.kind {
            Kind::Null => "null",
            Kind::Bool if n.a == 1 => "true",
            Kind::Bool => "false",
            _ => self.raw(id).unwrap_or("0"),
        }
    }

    fn write_json(&self, id: NodeId, out: &mut String) {
        let n = self.node(id);
        match n.kind {
            Kind::Null => out.push_str("null"),
            Kind::Bool => out.push_str(if n.a == 1 { "true" } else { "false" }),
            Kind::Number => out.push_str(self.raw(id).unwrap_or("0")),
            Kind::String => {
                out.push('"');
                out.push_str(self.raw(id).unwrap_or(""));
                out.push('"');
            }
            Kind::Array => {
                out.push('[');
                for (i, e) in self.elements(id).iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write_json(*e, out);
                }
                out.push(']');
            }
            Kind::Object => {
                out.push('{');
                for (i, m) in self.members(id).iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(self.raw_key(m));
                    out.push_str("\":");
                    self.write_json(m.value, out);
                }
                out.push('}');
            }
        }
    }
}

/// Decodes JSON escapes in text the parser has already checked, so every
/// escape here is well formed. Lone surrogates become U+FFFD.
pub(crate) fn unescape(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let mut start = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[i..]) {
        i += found;
        out.push_str(&raw[start..i]);
        let c = bytes[i + 1];
        i += 2;
        match c {
            b'n' => out.push('\n'),
            b't' => out.push('\t'),
            b'r' => out.push('\r'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'u' => {
                let hi = hex4(&bytes[i..i + 4]);
                i += 4;
                let ch = if (0xD800..0xDC00).contains(&hi)
                    && bytes.get(i) == Some(&b'\\')
                    && bytes.get(i + 1) == Some(&b'u')
                {
                    let lo = hex4(&bytes[i + 2..i + 6]);
                    if (0xDC00..0xE000).contains(&lo) {
                        i += 6;
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                    } else {
                        None
                    }
                } else {
                    char::from_u32(hi)
                };
                out.push(ch.unwrap_or('\u{FFFD}'));
            }
            other => out.push(other as char),
        }
        start = i;
    }
    out.push_str(&raw[start..]);
    out
}

fn hex4(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, &c| {
        acc * 16
            + match c {
                b'0'..=b'9' => (c - b'0') as u32,
                b'a'..=b'f' => (c - b'a' + 10) as u32,
                _ => (c - b'A' + 10) as u32,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::key_head;

    #[test]
    fn short_keys_of_one_length_are_equal_exactly_when_their_heads_are() {
        let keys = [
            "", "a", "b", "id", "ic", "_id", "url", "uri", "text", "test", "textX",
        ];
        for a in keys {
            for b in keys {
                if a.len() == b.len() && a.len() <= 4 {
                    assert_eq!(
                        key_head(a.as_bytes()) == key_head(b.as_bytes()),
                        a == b,
                        "{a} {b}"
                    );
                }
            }
        }
        // the head of `_name` is an underscore before the head of `name`
        assert_eq!(
            key_head(b"_val"),
            (key_head(b"value") << 8) | u32::from(b'_')
        );
    }

    #[test]
    fn lookups_by_name_find_short_long_and_escaped_keys() {
        let doc = crate::parse(br#"{"id":1,"idx":2,"identifier":3,"i\u0064s":4,"_id":5}"#).unwrap();
        let root = doc.root();
        let at = |k: &str| {
            doc.get(root, k)
                .and_then(|n| doc.raw(n))
                .map(str::to_string)
        };
        assert_eq!(at("id").as_deref(), Some("1"));
        assert_eq!(at("idx").as_deref(), Some("2"));
        assert_eq!(at("identifier").as_deref(), Some("3"));
        assert_eq!(at("ids").as_deref(), Some("4"));
        assert_eq!(at("_id").as_deref(), Some("5"));
        assert_eq!(at("ident"), None);
    }
}
