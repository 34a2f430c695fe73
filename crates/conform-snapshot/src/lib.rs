//! Snapshot generation: a FHIR R4 StructureDefinition's full element list
//! (its snapshot) computed from its base definition and its differential.
//!
//! Profiles are usually published with only a differential; validating
//! against them needs the snapshot. This crate follows the HL7 reference
//! implementation (`ProfileUtilities.generateSnapshot` and
//! `ProfilePathProcessor` in the HL7 Java core) closely, quirks included,
//! because the point is to agree with the reference validator, not to
//! reinterpret the profiling rules:
//!
//! - walk the base snapshot and the differential in step, matching by path
//!   (choice renames such as `valueQuantity` for `value[x]` included);
//! - merge each differential element onto the base element it constrains;
//! - expand a complex type's (or a profiled type's) elements beneath an
//!   element whose children the differential constrains;
//! - slices (and re-slices) after the sliced element's subtree, extension
//!   slices from their extension definitions, type slices on choices;
//! - ids of the form `Path:slice.child`, `base` from the original definition.
//!
//! A base definition without a snapshot gets one first (recursively, with
//! cycles detected), and a constraint's differential is first sorted into
//! the base's order, as the reference validator does. Failures are
//! [`SnapshotError`]s naming the profile and the element; no input makes
//! this crate panic.
//!
//! Deliberate departures from the current reference, each because it
//! agrees better with the published snapshots this is tested against (UK
//! Core STU2, R4 core) or cannot matter to validation:
//!
//! - a binding stays on an element whose types are not coded (the newest
//!   reference drops it; UK Core's published snapshots keep it);
//! - relative links in markdown and `#` content references are left as
//!   written (the reference makes them absolute for publication);
//! - a slicer whose children the differential constrains before its slices
//!   keeps all its slices (the reference's loop index there skips them);
//! - cross-version (`http://hl7.org/fhir/5.0/...`) extensions are used only
//!   if a loaded package defines them; obligation profiles and additional
//!   bindings are not merged.
//!
//! ```no_run
//! # fn demo(sd: &serde_json::Value, defs: &conform_packages::DefinitionSet) {
//! let with_snapshot = conform_snapshot::generate(sd, defs).expect("snapshot");
//! # }
//! ```

mod context;
mod definitions;
mod element;
mod error;
mod finish;
mod generate;
mod ids;
mod merge;
mod order;
mod paths;
mod sort;
mod structure;
mod typecheck;
mod types;
mod walk;

pub use definitions::{Definitions, Layered};
pub use error::SnapshotError;

use serde_json::Value;

/// A generated StructureDefinition and the non-fatal problems found on the
/// way (the reference implementation reports these as messages but still
/// produces a snapshot: e.g. a derived minimum below the base minimum).
#[derive(Debug, Clone)]
pub struct Generated {
    /// The input StructureDefinition with its `snapshot` (re)generated.
    pub structure_definition: Value,
    /// Human-readable problems, each naming the element concerned.
    pub issues: Vec<String>,
}

/// How strictly to treat a differential the reference implementation would
/// only complain about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Report differential elements that match nothing in the base as
    /// issues and still return the snapshot (as the reference validator
    /// does, dropping them), instead of failing with
    /// [`SnapshotError::Unmatched`].
    pub lenient: bool,
}

/// Generates `sd`'s snapshot from its differential and its base definition
/// (found through `defs`), and returns `sd` with that snapshot. Any snapshot
/// `sd` already has is ignored and replaced.
pub fn generate(sd: &Value, defs: &dyn Definitions) -> Result<Value, SnapshotError> {
    generate_with_issues(sd, defs).map(|g| g.structure_definition)
}

/// Like [`generate`], but also returns the non-fatal issues.
pub fn generate_with_issues(
    sd: &Value,
    defs: &dyn Definitions,
) -> Result<Generated, SnapshotError> {
    generate_with(sd, defs, Options::default())
}

/// Like [`generate_with_issues`], with [`Options`]. Definitions generated
/// on the way (a base without a snapshot) get the same options.
pub fn generate_with(
    sd: &Value,
    defs: &dyn Definitions,
    options: Options,
) -> Result<Generated, SnapshotError> {
    let mut ctx = context::Context::new(defs, options);
    generate::generate(&mut ctx, sd)
}
