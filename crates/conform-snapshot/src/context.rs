//! State shared by one top-level generation: the definitions, the
//! snapshots read or generated so far, and the stack of definitions being
//! generated (to detect cycles such as a profile whose base is itself).

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use crate::definitions::Definitions;
use crate::error::SnapshotError;
use crate::structure::{has_snapshot, Structure};
use crate::types::type_url;
use crate::Options;

/// How many definitions may be generated inside one another (a profile on
/// a profile on a profile...). Real chains are a handful deep.
pub(crate) const MAX_GENERATION_DEPTH: usize = 32;

pub(crate) struct Context<'d> {
    defs: &'d dyn Definitions,
    /// Snapshots by canonical, so each dependency is read or generated once.
    cache: HashMap<String, Rc<Structure>>,
    /// Canonicals being generated, outermost first.
    pub stack: Vec<String>,
    pub options: Options,
}

impl<'d> Context<'d> {
    pub fn new(defs: &'d dyn Definitions, options: Options) -> Self {
        Context {
            defs,
            options,
            cache: HashMap::new(),
            stack: Vec::new(),
        }
    }

    /// The StructureDefinition with this canonical: exact, else without a
    /// `|version` suffix.
    pub fn lookup(&self, canonical: &str) -> Option<&'d Value> {
        let defs = self.defs;
        defs.structure_definition(canonical).or_else(|| {
            let (url, _) = canonical.split_once('|')?;
            defs.structure_definition(url)
        })
    }

    /// The definition with its snapshot, generating the snapshot if it has
    /// none. `Ok(None)` when the canonical is unknown.
    pub fn structure(&mut self, canonical: &str) -> Result<Option<Rc<Structure>>, SnapshotError> {
        if let Some(s) = self.cache.get(canonical) {
            return Ok(Some(s.clone()));
        }
        let Some(sd) = self.lookup(canonical) else {
            return Ok(None);
        };
        let structure = if has_snapshot(sd) {
            Structure::from_snapshot(sd)?
        } else {
            let generated = crate::generate::generate(self, sd)?;
            Structure::from_snapshot(&generated.structure_definition)?
        };
        let rc = Rc::new(structure);
        self.cache.insert(canonical.to_string(), rc.clone());
        Ok(Some(rc))
    }

    /// The definition of a type code (`Identifier`, or an absolute URL).
    pub fn type_structure(&mut self, code: &str) -> Result<Option<Rc<Structure>>, SnapshotError> {
        if code.is_empty() {
            return Ok(None);
        }
        self.structure(&type_url(code))
    }
}
