//! Where a package's files are, and where a locally available package was found.

use std::path::PathBuf;

use crate::id::PackageId;

/// Where a package's files live.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// A `.tgz` file (npm layout inside: `package/...`).
    Tarball(PathBuf),
    /// An unpacked package: the folder that directly holds `package.json`
    /// (for the cache that is `<cache>/<id>#<version>/package`).
    Folder(PathBuf),
    /// Loose conformance resources: a JSON file, a Bundle, or a folder of them.
    Loose(PathBuf),
}

impl Location {
    /// The path, whatever the kind.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Location::Tarball(p) | Location::Folder(p) | Location::Loose(p) => p,
        }
    }
}

/// Where a locally available package was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// The FHIR package cache.
    Cache,
    /// A package source folder (holding `<id>-<version>.tgz` files).
    Source(PathBuf),
}

/// A package that can be used without the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AvailablePackage {
    /// Name and version.
    pub id: PackageId,
    /// Its files.
    pub location: Location,
    /// Cache or which source folder.
    pub origin: Origin,
}
