//! `package/package.json`: the only file resolution reads, because it holds
//! the package's name, version and dependencies.

use serde::Deserialize;

use crate::error::PackageError;
use crate::id::{is_valid_name, is_valid_version, PackageId};

/// The parts of `package.json` this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Name and version.
    pub id: PackageId,
    /// Declared dependencies, sorted by name so resolution order does not
    /// depend on how serde_json happens to order object keys.
    pub dependencies: Vec<PackageId>,
    /// `fhirVersions`, e.g. `["4.0.1"]`.
    pub fhir_versions: Vec<String>,
}

#[derive(Deserialize)]
struct Raw {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, rename = "fhirVersions")]
    fhir_versions: Option<Vec<serde_json::Value>>,
}

impl Manifest {
    /// Parses `bytes`; `package` and `file` only name the source in errors.
    pub fn parse(bytes: &[u8], package: &str, file: &str) -> Result<Manifest, PackageError> {
        let bad = |reason: String| PackageError::BadManifest {
            package: package.to_string(),
            file: file.to_string(),
            reason,
        };
        let raw: Raw = serde_json::from_slice(strip_bom(bytes)).map_err(|e| bad(e.to_string()))?;
        let name = raw.name.filter(|n| !n.trim().is_empty());
        let version = raw.version.filter(|v| !v.trim().is_empty());
        let (Some(name), Some(version)) = (name, version) else {
            return Err(bad("\"name\" and \"version\" are required".into()));
        };
        if !is_valid_name(&name) || !is_valid_version(&version) {
            return Err(bad(format!(
                "{name:?}#{version:?} is not a usable package id"
            )));
        }
        let mut dependencies = Vec::new();
        for (dep, ver) in raw.dependencies.unwrap_or_default() {
            let ver = ver.as_str().unwrap_or_default();
            if !is_valid_name(&dep) || !is_valid_version(ver) {
                return Err(bad(format!(
                    "dependency {dep:?}: {ver:?} is not a usable package id"
                )));
            }
            dependencies.push(PackageId::new(dep, ver));
        }
        dependencies.sort();
        let fhir_versions = raw
            .fhir_versions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        Ok(Manifest {
            id: PackageId::new(name, version),
            dependencies,
            fhir_versions,
        })
    }
}

/// Some Windows-built packages start their JSON with a UTF-8 byte order mark,
/// which serde_json rejects.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_version_and_sorted_dependencies() {
        let m = Manifest::parse(
            br#"{"name":"a.b","version":"1.0.0","dependencies":{"z.z":"2.0","hl7.fhir.r4.core":"4.0.1"},"fhirVersions":["4.0.1"]}"#,
            "t",
            "package.json",
        )
        .unwrap();
        assert_eq!(m.id.to_string(), "a.b#1.0.0");
        assert_eq!(m.dependencies[0].name, "hl7.fhir.r4.core");
        assert_eq!(m.fhir_versions, vec!["4.0.1"]);
    }

    #[test]
    fn missing_version_names_the_file() {
        let e = Manifest::parse(br#"{"name":"a.b"}"#, "x.tgz", "package/package.json").unwrap_err();
        assert!(e.to_string().contains("x.tgz"), "{e}");
        assert!(e.to_string().contains("package/package.json"), "{e}");
    }
}
