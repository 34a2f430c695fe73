//! A strict RFC 8259 parser into the arena of [`Document`].

use crate::document::{Document, Kind, Member, Node, NodeId};
use std::fmt;

/// Bounds that keep hostile input from exhausting the stack or memory
/// (docs/limits.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of arrays and objects.
    pub max_depth: u32,
    /// Maximum length of one string (a member name or a value), in bytes
    /// of the source (escapes undecoded).
    pub max_string_bytes: u32,
}

/// The default of [`Limits::max_depth`]: FHIR resources nest a few dozen
/// levels at most; 512 leaves room for odd but legitimate content while
/// keeping recursion well inside a 2 MiB worker-thread stack.
pub const DEFAULT_MAX_DEPTH: u32 = 512;

/// The longest member name read, whatever [`Limits::max_string_bytes`]
/// allows: a key's length is kept in 31 bits ([`Member::key_shape`]).
const MAX_KEY_BYTES: u32 = (1 << 31) - 1;

/// The default of [`Limits::max_string_bytes`]: 64 MiB, room for a
/// base64 attachment of about 48 MB.
pub const DEFAULT_MAX_STRING_BYTES: u32 = 64 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_string_bytes: DEFAULT_MAX_STRING_BYTES,
        }
    }
}

/// Why the text is not JSON, and where (a byte offset into the source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
    /// The text broke one of the [`Limits`], not the JSON grammar: which
    /// one, as its setting is spelled (`max-depth`, `max-string-bytes`).
    pub over_limit: Option<&'static str>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parses bytes as one JSON value (after an optional UTF-8 byte-order mark).
/// The bytes must be UTF-8: invalid UTF-8 is a parse error at its offset.
pub fn parse(bytes: &[u8]) -> Result<Document<'_>, ParseError> {
    parse_with_limits(bytes, Limits::default())
}

pub fn parse_with_limits(bytes: &[u8], limits: Limits) -> Result<Document<'_>, ParseError> {
    // Positions are 32-bit: refused by its length, before reading it.
    if bytes.len() >= u32::MAX as usize {
        return Err(ParseError {
            offset: 0,
            message: "document larger than 4 GiB".into(),
            over_limit: Some("max-file-bytes"),
        });
    }
    let src = std::str::from_utf8(bytes).map_err(|e| ParseError {
        offset: e.valid_up_to(),
        message: "invalid UTF-8 (FHIR JSON must be UTF-8)".into(),
        over_limit: None,
    })?;
    let mut p = Parser {
        src: src.as_bytes(),
        i: 0,
        depth: 0,
        limits,
        // A FHIR resource averages about one node per 25 bytes.
        nodes: Vec::with_capacity(src.len() / 24 + 4),
        members: Vec::with_capacity(src.len() / 40 + 4),
        elements: Vec::with_capacity(src.len() / 200 + 4),
        // members and elements of the objects and arrays still open: a
        // resource's deepest chain rarely holds more, so they grow once
        member_stack: Vec::with_capacity(64),
        element_stack: Vec::with_capacity(32),
    };
    if p.src.starts_with(b"\xEF\xBB\xBF") {
        p.i = 3;
    }
    p.skip_ws();
    if p.i >= p.src.len() {
        return Err(p.err("empty document: expected a JSON value"));
    }
    let root = p.value()?;
    p.skip_ws();
    if p.i < p.src.len() {
        return Err(p.err("unexpected content after the end of the JSON value"));
    }
    Ok(Document {
        src,
        nodes: p.nodes,
        members: p.members,
        elements: p.elements,
        root,
    })
}

struct Parser<'s> {
    src: &'s [u8],
    i: usize,
    depth: u32,
    limits: Limits,
    nodes: Vec<Node>,
    members: Vec<Member>,
    elements: Vec<NodeId>,
    // Children of the containers being parsed; moved into `members` /
    // `elements` when a container closes so each container's children end up
    // contiguous.
    member_stack: Vec<Member>,
    element_stack: Vec<NodeId>,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> ParseError {
        ParseError {
            offset: self.i.min(self.src.len()),
            message: message.to_string(),
            over_limit: None,
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&c) = self.src.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn push(&mut self, kind: Kind, escaped: bool, pos: usize, a: u32, b: u32) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            kind,
            escaped,
            pos: pos as u32,
            a,
            b,
            keys: 0,
        });
        id
    }

    fn value(&mut self) -> Result<NodeId, ParseError> {
        let start = self.i;
        match self.src.get(self.i) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let (a, b, escaped) = self.string()?;
                Ok(self.push(Kind::String, escaped, start, a, b))
            }
            Some(b't') => self.literal(b"true", Kind::Bool, 1),
            Some(b'f') => self.literal(b"false", Kind::Bool, 0),
            Some(b'n') => self.literal(b"null", Kind::Null, 0),
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                Ok(self.push(Kind::Number, false, start, start as u32, self.i as u32))
            }
            Some(_) => Err(self.err("expected a JSON value")),
            None => Err(self.err("unexpected end of input: expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &[u8], kind: Kind, a: u32) -> Result<NodeId, ParseError> {
        if self.src[self.i..].starts_with(word) {
            let start = self.i;
            self.i += word.len();
            Ok(self.push(kind, false, start, a, 0))
        } else {
            Err(self.err("invalid literal (expected true, false or null)"))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(ParseError {
                over_limit: Some("max-depth"),
                ..self.err(&format!(
                    "arrays and objects nested deeper than the limit of {} levels",
                    self.limits.max_depth
                ))
            });
        }
        Ok(())
    }

    fn object(&mut self) -> Result<NodeId, ParseError> {
        self.enter()?;
        let start = self.i;
        self.i += 1;
        let mark = self.member_stack.len();
        self.skip_ws();
        if self.src.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.skip_ws();
                if self.src.get(self.i) != Some(&b'"') {
                    return Err(self.err("expected a member name in double quotes"));
                }
                let (ks, ke, kesc) = self.string()?;
                if ke - ks > MAX_KEY_BYTES {
                    return Err(self.err("a member name over 2 GiB"));
                }
                self.skip_ws();
                if self.src.get(self.i) != Some(&b':') {
                    return Err(self.err("expected ':' after the member name"));
                }
                self.i += 1;
                self.skip_ws();
                let value = self.value()?;
                self.member_stack.push(Member {
                    key_start: ks,
                    value,
                    key_shape: crate::document::raw_key_shape(
                        &self.src[ks as usize..ke as usize],
                        kesc,
                    ),
                });
                self.skip_ws();
                match self.src.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    Some(_) => return Err(self.err("expected ',' or '}' in object")),
                    None => return Err(self.err("unexpected end of input inside an object")),
                }
            }
        }
        let first = self.members.len() as u32;
        let count = (self.member_stack.len() - mark) as u32;
        let keys = self.member_stack[mark..].iter().fold(0u64, |keys, m| {
            if m.is_escaped() {
                u64::MAX
            } else {
                keys | crate::document::key_bit(m.key_head(), m.key_len())
            }
        });
        self.members.extend(self.member_stack.drain(mark..));
        self.depth -= 1;
        let id = self.push(Kind::Object, false, start, first, count);
        self.nodes[id as usize].keys = keys;
        Ok(id)
    }

    fn array(&mut self) -> Result<NodeId, ParseError> {
        self.enter()?;
        let start = self.i;
        self.i += 1;
        let mark = self.element_stack.len();
        self.skip_ws();
        if self.src.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                self.skip_ws();
                let v = self.value()?;
                self.element_stack.push(v);
                self.skip_ws();
                match self.src.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    Some(_) => return Err(self.err("expected ',' or ']' in array")),
                    None => return Err(self.err("unexpected end of input inside an array")),
                }
            }
        }
        let first = self.elements.len() as u32;
        let count = (self.element_stack.len() - mark) as u32;
        self.elements.extend(self.element_stack.drain(mark..));
        self.depth -= 1;
        Ok(self.push(Kind::Array, false, start, first, count))
    }

    /// Scans a string starting at its opening quote; returns the content span
    /// and whether it has escapes.
    #[inline]
    fn string(&mut self) -> Result<(u32, u32, bool), ParseError> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Skip whole blocks of ordinary characters first: the test has
            // no branch, so it is vectorised (narratives and base64 data
            // are long strings); the byte loop then finds the exact stop.
            const BLOCK: usize = 32;
            while let Some(block) = self.src.get(self.i..self.i + BLOCK) {
                let stop = block.iter().fold(false, |stop, &c| {
                    stop | (c == b'"') | (c == b'\\') | (c < 0x20)
                });
                if stop {
                    break;
                }
                self.i += BLOCK;
            }
            while let Some(&c) = self.src.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            match self.src.get(self.i) {
                Some(b'"') => {
                    let end = self.i;
                    self.i += 1;
                    if end - start > self.limits.max_string_bytes as usize {
                        return Err(ParseError {
                            offset: start - 1,
                            message: format!(
                                "a string of {} bytes, longer than the limit of {} bytes",
                                end - start,
                                self.limits.max_string_bytes
                            ),
                            over_limit: Some("max-string-bytes"),
                        });
                    }
                    return Ok((start as u32, end as u32, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                Some(_) => {
                    return Err(
                        self.err("control character in string (must be escaped, e.g. \\n or \\t)")
                    )
                }
                None => {
                    return Err(ParseError {
                        offset: start - 1,
                        message: "unterminated string".into(),
                        over_limit: None,
                    })
                }
            }
        }
    }

    fn escape(&mut self) -> Result<(), ParseError> {
        match self.src.get(self.i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 2;
                Ok(())
            }
            Some(b'u') => {
                let hex = self.src.get(self.i + 2..self.i + 6);
                if hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    self.i += 6;
                    Ok(())
                } else {
                    Err(self.err("invalid \\u escape (needs four hex digits)"))
                }
            }
            _ => Err(self.err("invalid escape sequence in string")),
        }
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while self.src.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - s
    }

    fn number(&mut self) -> Result<(), ParseError> {
        if self.src[self.i] == b'-' {
            self.i += 1;
        }
        match self.src.get(self.i) {
            Some(b'0') => {
                self.i += 1;
                if self.src.get(self.i).is_some_and(u8::is_ascii_digit) {
                    return Err(self.err("leading zeros are not allowed in JSON numbers"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.src.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected after '.'"));
            }
        }
        if matches!(self.src.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.src.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected in exponent"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object's key summary only ever rules keys out: every key present
    /// is found, through it, whatever its length, and one written with
    /// escapes too.
    #[test]
    fn the_key_summary_never_hides_a_key() {
        let keys: Vec<String> = (0..200)
            .map(|i| format!("{}{i}", "k".repeat(i % 9)))
            .collect();
        let body: Vec<String> = keys.iter().map(|k| format!("\"{k}\":1")).collect();
        let text = format!("{{{}}}", body.join(","));
        let doc = parse(text.as_bytes()).unwrap();
        for k in &keys {
            assert!(doc.get(doc.root(), k).is_some(), "{k}");
        }
        assert!(doc.get(doc.root(), "absent").is_none());
        let doc = parse(br#"{"\u0061b":1,"c":2}"#).unwrap();
        assert!(doc.get(doc.root(), "ab").is_some());
        assert!(doc.get(doc.root(), "c").is_some());
        let small = parse(br#"{"resourceType":"Patient","id":"a"}"#).unwrap();
        let id_bit = crate::key_bit(crate::key_head(b"id"), 2);
        assert!(small.may_have_key(small.root(), id_bit));
        // two keys set at most two of the 64 bits
        assert!(small.nodes[small.root() as usize].keys.count_ones() <= 2);
        // every twin (`_name`) sets the one bit no other key sets, so an
        // object without twins has none for certain
        let twin = crate::key_bit(crate::key_head(b"_birthDate"), 10);
        assert_eq!(twin, crate::key_bit(crate::key_head(b"_x"), 2));
        assert!(!small.may_have_key(small.root(), twin));
        for k in &keys {
            assert_ne!(
                crate::key_bit(crate::key_head(k.as_bytes()), k.len()),
                twin,
                "{k}"
            );
        }
        let twins = parse(br#"{"birthDate":"2000","_birthDate":{"id":"a"}}"#).unwrap();
        assert!(twins.may_have_key(twins.root(), twin));
    }

    #[test]
    fn parses_nested_values_with_positions() {
        let doc = parse(br#"{"a": [1, 2.50, "x\ny"], "b": {"c": null, "d": true}}"#).unwrap();
        let root = doc.root();
        assert_eq!(doc.kind(root), Kind::Object);
        let a = doc.get(root, "a").unwrap();
        let els = doc.elements(a);
        assert_eq!(els.len(), 3);
        assert_eq!(doc.raw(els[1]), Some("2.50"));
        assert_eq!(doc.str(els[2]).unwrap(), "x\ny");
        assert_eq!(doc.offset(els[0]), 7);
        let b = doc.get(root, "b").unwrap();
        assert_eq!(doc.kind(doc.get(b, "c").unwrap()), Kind::Null);
        assert_eq!(doc.bool(doc.get(b, "d").unwrap()), Some(true));
    }

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let doc = parse(br#"{"a":1,"a":2}"#).unwrap();
        let keys: Vec<_> = doc
            .members(doc.root())
            .iter()
            .map(|m| doc.raw(m.value).unwrap())
            .collect();
        assert_eq!(keys, ["1", "2"]);
    }

    #[test]
    fn decodes_surrogate_pairs() {
        let doc = parse(br#""\ud83d\ude00 \u00e9""#).unwrap();
        assert_eq!(doc.str(doc.root()).unwrap(), "\u{1F600} \u{e9}");
    }

    #[test]
    fn rejects_bad_json_with_offsets() {
        for (text, offset) in [
            (&b"{\"a\":}"[..], 5),
            (b"[1,]", 3),
            (b"{\"a\" 1}", 5),
            (b"01", 1),
            (b"\"abc", 0),
            (b"[1] x", 4),
            (b"\"a\x01\"", 2),
            (b"", 0),
            (b"{\"a\":1,}", 7),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.offset, offset, "{:?}: {e}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn rejects_invalid_utf8() {
        let e = parse(b"{\"a\":\"\xff\"}").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("UTF-8"));
    }

    #[test]
    fn limits_depth() {
        let deep = "[".repeat(10_000);
        let e = parse(deep.as_bytes()).unwrap_err();
        assert!(
            e.message.contains("nested deeper than the limit of 512"),
            "{e}"
        );
        assert_eq!(e.over_limit, Some("max-depth"));
        assert_eq!(e.offset, 512, "where the 513th level opens");
        // Exactly at the limit parses; one more level does not.
        let at = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        parse(at(512).as_bytes()).unwrap();
        assert!(parse(at(513).as_bytes()).unwrap_err().over_limit.is_some());
        let small = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse_with_limits(at(3).as_bytes(), small).is_ok());
        assert!(parse_with_limits(at(4).as_bytes(), small).is_err());
    }

    #[test]
    fn a_document_of_4_gib_is_refused_by_its_length() {
        // zeroed memory is mapped lazily: the check must not read it
        let big = vec![0u8; u32::MAX as usize];
        let e = parse(&big).unwrap_err();
        assert_eq!(e.over_limit, Some("max-file-bytes"));
        assert!(e.message.contains("larger than 4 GiB"), "{e}");
    }

    #[test]
    fn limits_string_length() {
        let small = Limits {
            max_string_bytes: 8,
            ..Limits::default()
        };
        assert!(parse_with_limits(br#"{"a":"12345678"}"#, small).is_ok());
        let e = parse_with_limits(br#"{"a":"123456789"}"#, small).unwrap_err();
        assert_eq!(e.over_limit, Some("max-string-bytes"));
        assert_eq!(e.offset, 5, "at the opening quote");
        assert!(
            e.message.contains("longer than the limit of 8 bytes"),
            "{e}"
        );
        // Member names count too.
        assert!(parse_with_limits(br#"{"123456789":1}"#, small)
            .unwrap_err()
            .over_limit
            .is_some());
        // The default is the documented 64 MiB.
        let long = format!("\"{}\"", "a".repeat(DEFAULT_MAX_STRING_BYTES as usize + 1));
        assert!(parse(long.as_bytes()).unwrap_err().over_limit.is_some());
        let fits = format!("\"{}\"", "a".repeat(DEFAULT_MAX_STRING_BYTES as usize));
        assert!(parse(fits.as_bytes()).is_ok());
        // Grammar errors are not limits.
        assert_eq!(parse(b"[1,]").unwrap_err().over_limit, None);
    }

    #[test]
    fn skips_byte_order_mark() {
        let doc = parse(b"\xEF\xBB\xBF{}").unwrap();
        assert_eq!(doc.kind(doc.root()), Kind::Object);
    }
}
