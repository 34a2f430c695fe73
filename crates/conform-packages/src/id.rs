//! Package identity: `name#version`, the way FHIR tooling writes it.

use std::fmt;
use std::str::FromStr;

use crate::error::PackageError;
use crate::version;

/// A FHIR package name and version, e.g. `hl7.fhir.r4.core#4.0.1`.
///
/// An empty `version` means "not given": resolution then picks the latest
/// available version (see [`crate::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageId {
    /// Package name, e.g. `hl7.fhir.r4.core`.
    pub name: String,
    /// Version, e.g. `4.0.1`; empty when not given.
    pub version: String,
}

impl PackageId {
    /// Builds an id from its parts.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        PackageId {
            name: name.into(),
            version: version.into(),
        }
    }

    /// True when a concrete version is named (not empty, not a wildcard like
    /// `4.0.x`, not `latest`), so the package can be looked up directly.
    pub fn is_exact(&self) -> bool {
        version::is_exact(&self.version)
    }

    /// The file name package sources use for it: `<name>-<version>.tgz`.
    pub fn tarball_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    /// The folder name the FHIR package cache uses for it: `<name>#<version>`.
    pub fn cache_folder_name(&self) -> String {
        format!("{}#{}", self.name, self.version)
    }
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.version.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}#{}", self.name, self.version)
        }
    }
}

impl FromStr for PackageId {
    type Err = PackageError;

    /// Accepts `name#version`, `name@version` (npm style) and bare `name`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let invalid = |reason: &str| PackageError::InvalidSpec {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let (name, version) = match s.split_once(['#', '@']) {
            Some((n, "")) => {
                return Err(invalid(&format!("no version after the separator in {n:?}")))
            }
            Some((n, v)) => (n, v),
            None => (s, ""),
        };
        if !is_valid_name(name) {
            return Err(invalid(
                "a package id is letters, digits, '.', '-' and '_' (e.g. hl7.fhir.r4.core#4.0.1)",
            ));
        }
        if !version.is_empty() && !is_valid_version(version) {
            return Err(invalid(
                "a version is letters, digits, '.', '-', '+' and '_' (e.g. 4.0.1)",
            ));
        }
        Ok(PackageId::new(name, version))
    }
}

/// Package names are npm-style: no slashes or spaces, so they are safe as
/// folder and file names in the cache.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Versions end up in folder names too, so they get the same guard.
pub(crate) fn is_valid_version(version: &str) -> bool {
    !version.is_empty()
        && !version.starts_with('.')
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_separators_and_bare_names() {
        let a: PackageId = "hl7.fhir.r4.core#4.0.1".parse().unwrap();
        let b: PackageId = "hl7.fhir.r4.core@4.0.1".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "hl7.fhir.r4.core#4.0.1");
        let c: PackageId = "hl7.fhir.r4.core".parse().unwrap();
        assert_eq!(c.version, "");
        assert_eq!(c.to_string(), "hl7.fhir.r4.core");
    }

    #[test]
    fn rejects_paths_and_empty_versions() {
        assert!("../etc#1".parse::<PackageId>().is_err());
        assert!("a/b#1.0".parse::<PackageId>().is_err());
        assert!("a#".parse::<PackageId>().is_err());
        assert!("a#../1".parse::<PackageId>().is_err());
        assert!("".parse::<PackageId>().is_err());
    }
}
