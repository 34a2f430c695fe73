//! FHIR packages and definitions.
//!
//! FHIR conformance resources (profiles, value sets, ...) ship as npm-style
//! package tarballs. This crate finds them (the FHIR package cache, local
//! "package source" folders, the registry), resolves dependencies, keys each
//! package list by content (so compiled validation plans can be cached), and
//! loads their resources for lookup by canonical URL.
//!
//! The flow: [`PackageSpec::parse`] what the user named, [`resolve`] it to an
//! ordered [`ResolvedPackage`] list (cheap: reads only `package.json`),
//! [`fingerprint_of`] that list, and only when needed
//! [`DefinitionSet::load`] it. [`install`], [`import`] and
//! [`list_available`] back `conform package install|import|list`.
//!
//! Resolution follows two documented rules (docs/packages.md): a
//! [`Substitution`] loads another version where one is asked for, and is
//! always reported ([`substitutions_used`], [`notes`]); a dependency found
//! nowhere is an error unless [`SourceConfig::allow_missing_deps`], which
//! leaves it out and reports it ([`missing_dependencies`]).

mod config;
mod definitions;
mod error;
mod files;
mod fingerprint;
mod id;
mod index;
mod install;
mod layout;
mod locate;
mod location;
mod loose;
mod manifest;
mod memo;
mod registry;
mod release;
mod resolve;
mod resource;
mod spec;
mod substitute;
mod tarball;
mod version;

pub use config::{
    SourceConfig, DEFAULT_REGISTRY, ENV_CACHE, ENV_OFFLINE, ENV_REGISTRY, ENV_SOURCE,
};
pub use definitions::DefinitionSet;
pub use error::PackageError;
pub use fingerprint::{fingerprint_of, to_hex};
pub use id::PackageId;
pub use index::IndexEntry;
pub use install::{import, install};
pub use locate::list_available;
pub use location::{AvailablePackage, Location, Origin};
pub use loose::XmlToJson;
pub use manifest::Manifest;
pub use release::{release_of, FhirRelease};
pub use resolve::{resolve, ResolvedPackage};
pub use resource::{Example, Resource};
pub use spec::PackageSpec;
pub use substitute::{missing_dependencies, notes, substitutions_used, Substituted, Substitution};

/// The limits on a package tarball (docs/limits.md): entries, and its size
/// on disk or downloaded.
pub use tarball::{MAX_ENTRIES, MAX_TARBALL_BYTES};

/// Reads a package tarball held in memory as loading reads one (each entry
/// checked against the archive's limits, the files loading needs kept) and
/// parses its `package/package.json`; returns the manifest and how many
/// resource and example files it holds. For the fuzz targets and for
/// checking a tarball without installing it.
pub fn read_tarball_bytes(bytes: &[u8], label: &str) -> Result<(Manifest, usize), PackageError> {
    let files = files::read_tarball_bytes(bytes, label)?;
    let manifest = tarball::read_manifest_bytes(bytes, label)?;
    let manifest = Manifest::parse(&manifest, label, "package/package.json")?;
    Ok((manifest, files.resources.len() + files.examples.len()))
}
