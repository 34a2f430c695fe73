//! What the user asked for on the command line or in `conform.toml`.

use std::path::{Path, PathBuf};

use crate::error::PackageError;
use crate::id::PackageId;

/// One requested package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageSpec {
    /// `id#version` (version may be empty: latest available).
    Id(PackageId),
    /// A `.tgz` / `.tar.gz` package file.
    Tarball(PathBuf),
    /// An unpacked package folder (holding `package.json` or `package/package.json`).
    Folder(PathBuf),
    /// Loose conformance resources: a JSON file, a Bundle, or a folder of them.
    Loose(PathBuf),
}

impl PackageSpec {
    /// Existing paths win over ids, so `./hl7.fhir.r4.core` (a folder) is not
    /// mistaken for a package name: `.tgz`/`.tar.gz` files are tarballs,
    /// folders with a `package.json` are packages, other files and folders
    /// are loose resources; anything else must be `id[#version]`.
    pub fn parse(text: &str) -> Result<PackageSpec, PackageError> {
        let path = Path::new(text);
        if path.exists() {
            return Ok(Self::from_path(path));
        }
        if looks_like_path(text) {
            return Err(PackageError::InvalidSpec {
                input: text.to_string(),
                reason: "no such file or folder".to_string(),
            });
        }
        text.parse().map(PackageSpec::Id)
    }

    fn from_path(path: &Path) -> PackageSpec {
        let owned = path.to_path_buf();
        if path.is_file() && is_tarball_name(path) {
            PackageSpec::Tarball(owned)
        } else if path.is_dir()
            && (path.join("package").join("package.json").is_file()
                || path.join("package.json").is_file())
        {
            PackageSpec::Folder(owned)
        } else {
            PackageSpec::Loose(owned)
        }
    }
}

impl std::fmt::Display for PackageSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackageSpec::Id(id) => id.fmt(f),
            PackageSpec::Tarball(p) | PackageSpec::Folder(p) | PackageSpec::Loose(p) => {
                p.display().fmt(f)
            }
        }
    }
}

/// `.tgz` or `.tar.gz`, any case.
pub(crate) fn is_tarball_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".tgz") || name.ends_with(".tar.gz")
}

/// Text that can only have meant a path (so a typo gets "no such file", not
/// "package not found in the registry").
fn looks_like_path(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.contains('/')
        || text.contains('\\')
        || lower.ends_with(".tgz")
        || lower.ends_with(".tar.gz")
        || lower.ends_with(".json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_missing_paths() {
        assert_eq!(
            PackageSpec::parse("hl7.fhir.r4.core#4.0.1").unwrap(),
            PackageSpec::Id(PackageId::new("hl7.fhir.r4.core", "4.0.1"))
        );
        assert!(matches!(
            PackageSpec::parse("./nope/profile.json"),
            Err(PackageError::InvalidSpec { .. })
        ));
        assert!(matches!(
            PackageSpec::parse("missing.tgz"),
            Err(PackageError::InvalidSpec { .. })
        ));
    }
}
