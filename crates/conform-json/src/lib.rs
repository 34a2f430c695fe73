//! A JSON parser built for validation.
//!
//! The validator needs three things a general-purpose JSON library does not
//! give it cheaply: the byte position of every value (for line and column in
//! findings), the lexical text of numbers (FHIR decimals keep their precision,
//! so `1.50` must not become `1.5`), and object members in document order with
//! duplicates kept (a duplicate key is a finding, not something to drop).
//!
//! It parses into an arena: one `Vec` of fixed-size nodes, one of object
//! members and one of array elements, each container's children contiguous.
//! Strings are not copied: a node records its span in the source, and
//! [`Document::str`] decodes escapes only when a string has any.
//!
//! [`files`] is the one walker for folders of JSON inputs (which names are
//! JSON, NDJSON and JSONL is decided there).

mod document;
pub mod files;
mod lines;
mod parser;

pub use document::{key_bit, key_head, key_shape, Document, Kind, Member, NodeId};
pub use lines::{line_of, LineIndex};
pub use parser::{
    parse, parse_with_limits, Limits, ParseError, DEFAULT_MAX_DEPTH, DEFAULT_MAX_STRING_BYTES,
};
