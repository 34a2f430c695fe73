//! Where StructureDefinitions come from. Generation looks up base
//! definitions, datatype definitions and type profiles by canonical URL; a
//! trait keeps the crate usable over a loaded package set, an in-memory map
//! (tests, single files) or a layering of both.

use std::collections::HashMap;

use conform_packages::DefinitionSet;
use serde_json::Value;

/// Finds StructureDefinitions by canonical URL (`url` or `url|version`).
pub trait Definitions {
    /// The StructureDefinition with this canonical, if known.
    fn structure_definition(&self, canonical: &str) -> Option<&Value>;
}

impl Definitions for DefinitionSet {
    fn structure_definition(&self, canonical: &str) -> Option<&Value> {
        self.get(canonical).filter(|v| {
            v.get("resourceType").and_then(Value::as_str) == Some("StructureDefinition")
        })
    }
}

/// Keyed by canonical URL.
impl Definitions for HashMap<String, Value> {
    fn structure_definition(&self, canonical: &str) -> Option<&Value> {
        self.get(canonical)
    }
}

/// Two sources, the first winning: e.g. a test case's own profiles over the
/// core package, so they can be resolved without loading them into a
/// package set.
pub struct Layered<'a> {
    pub first: &'a dyn Definitions,
    pub then: &'a dyn Definitions,
}

impl Definitions for Layered<'_> {
    fn structure_definition(&self, canonical: &str) -> Option<&Value> {
        self.first
            .structure_definition(canonical)
            .or_else(|| self.then.structure_definition(canonical))
    }
}
