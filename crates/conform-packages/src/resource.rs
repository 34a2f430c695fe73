//! One loaded file: its raw bytes, parsed into JSON only when first asked for.
//! Most validations touch a few hundred of R4 core's 4,474 resources, so
//! parsing all of them up front would be wasted work.

use std::sync::OnceLock;

use serde_json::Value;

use crate::index::IndexEntry;
use crate::manifest::strip_bom;

/// A conformance resource of a loaded package.
#[derive(Debug)]
pub struct Resource {
    entry: IndexEntry,
    bytes: Box<[u8]>,
    /// None inside the lock = the bytes did not parse (cannot happen for
    /// files checked at load, kept so a failure is never a panic).
    parsed: OnceLock<Option<Value>>,
}

impl Resource {
    pub(crate) fn new(entry: IndexEntry, bytes: Vec<u8>) -> Self {
        Resource {
            entry,
            bytes: bytes.into_boxed_slice(),
            parsed: OnceLock::new(),
        }
    }

    /// For loose resources, which are parsed while loading anyway.
    pub(crate) fn parsed(entry: IndexEntry, bytes: Vec<u8>, mut value: Value) -> Self {
        crate::release::read_as_r4(&mut value);
        let parsed = OnceLock::new();
        let _ = parsed.set(Some(value));
        Resource {
            entry,
            bytes: bytes.into_boxed_slice(),
            parsed,
        }
    }

    /// What the index says about it.
    pub fn entry(&self) -> &IndexEntry {
        &self.entry
    }

    /// The file's bytes as stored in the package.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The parsed JSON (parsed on first call, then cached; thread-safe),
    /// with an STU3 StructureDefinition's elements read in R4's shape (see
    /// [`crate::release::read_as_r4`]); [`Resource::bytes`] are unchanged.
    pub fn json(&self) -> Option<&Value> {
        self.parsed
            .get_or_init(|| {
                let mut value = serde_json::from_slice(strip_bom(&self.bytes)).ok()?;
                crate::release::read_as_r4(&mut value);
                Some(value)
            })
            .as_ref()
    }
}

/// An example instance shipped in a package's `example/` or `examples/`
/// folder. Kept as bytes: the point is to validate it, and the validator
/// wants to parse it itself (with line numbers).
#[derive(Debug, Clone)]
pub struct Example {
    filename: String,
    bytes: Box<[u8]>,
}

impl Example {
    pub(crate) fn new(filename: String, bytes: Vec<u8>) -> Self {
        Example {
            filename,
            bytes: bytes.into_boxed_slice(),
        }
    }

    /// Path inside the package folder, e.g. `examples/Patient-1.json`.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses it (not cached: examples are usually read once).
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(strip_bom(&self.bytes))
    }
}
