//! What each resource file is (type, id, url, version, kind, type), taken
//! from the package's `.index.json` when it has one, else from a quick scan
//! of the file that skips everything but those top-level strings.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::error::PackageError;
use crate::id::PackageId;
use crate::manifest::strip_bom;

/// One resource of a loaded package, as `.index.json` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// File name inside the package folder (`StructureDefinition-Patient.json`),
    /// or the path of a loose file (`#entry[n]` appended for Bundle entries).
    pub filename: String,
    /// `resourceType`.
    pub resource_type: String,
    /// `id`.
    pub id: Option<String>,
    /// Canonical `url`.
    pub url: Option<String>,
    /// Business `version`.
    pub version: Option<String>,
    /// `kind` (StructureDefinition: primitive-type, complex-type, resource, logical).
    pub kind: Option<String>,
    /// `type` (StructureDefinition: the type constrained), when a string.
    pub type_: Option<String>,
    /// The package it came from.
    pub package: PackageId,
}

/// The fields of an entry without its file name and package.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Header {
    #[serde(default, rename = "resourceType", deserialize_with = "lenient")]
    pub resource_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub type_: Option<String>,
}

impl Header {
    /// Scans a resource file; `Ok(None)` when it is JSON but not a resource.
    /// Doubles as the syntax check: the whole file is tokenised.
    pub fn scan(bytes: &[u8], package: &str, file: &str) -> Result<Option<Header>, PackageError> {
        let header: Header =
            serde_json::from_slice(strip_bom(bytes)).map_err(|source| PackageError::BadJson {
                package: package.to_string(),
                file: file.to_string(),
                source,
            })?;
        Ok(header.resource_type.is_some().then_some(header))
    }

    /// Reads the fields from an already parsed resource.
    pub fn of_value(v: &Value) -> Option<Header> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Header {
            resource_type: Some(s("resourceType")?),
            id: s("id"),
            url: s("url"),
            version: s("version"),
            kind: s("kind"),
            type_: s("type"),
        })
    }

    /// Completes an entry; None when there is no `resourceType`.
    pub fn into_entry(self, filename: String, package: &PackageId) -> Option<IndexEntry> {
        Some(IndexEntry {
            filename,
            resource_type: self.resource_type?,
            id: self.id,
            url: self.url,
            version: self.version,
            kind: self.kind,
            type_: self.type_,
            package: package.clone(),
        })
    }
}

/// Parses `.index.json` into headers by file name. Entries without a file
/// name or resource type are skipped: the index is a hint, the files rule.
pub(crate) fn parse_index(
    bytes: &[u8],
    package: &str,
) -> Result<FxHashMap<String, Header>, PackageError> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        files: Vec<RawFile>,
    }
    #[derive(Deserialize)]
    struct RawFile {
        #[serde(default, deserialize_with = "lenient")]
        filename: Option<String>,
        #[serde(default, rename = "resourceType", deserialize_with = "lenient")]
        resource_type: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        id: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        url: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        version: Option<String>,
        #[serde(default, deserialize_with = "lenient")]
        kind: Option<String>,
        #[serde(default, rename = "type", deserialize_with = "lenient")]
        type_: Option<String>,
    }
    let raw: Raw =
        serde_json::from_slice(strip_bom(bytes)).map_err(|source| PackageError::BadJson {
            package: package.to_string(),
            file: ".index.json".to_string(),
            source,
        })?;
    Ok(raw
        .files
        .into_iter()
        .filter(|f| f.resource_type.is_some())
        .filter_map(|f| {
            let header = Header {
                resource_type: f.resource_type,
                id: f.id,
                url: f.url,
                version: f.version,
                kind: f.kind,
                type_: f.type_,
            };
            Some((f.filename?, header))
        })
        .collect())
}

/// A string, or None for any other JSON value (so `"type": {...}` in, say,
/// an Account resource does not make the scan fail).
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(LenientString)
}

struct LenientString;

impl<'de> Visitor<'de> for LenientString {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_tolerates_non_string_type() {
        let h = Header::scan(
            br#"{"resourceType":"Account","id":"a","type":{"text":"x"},"extension":[1,2]}"#,
            "p",
            "f.json",
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.resource_type.as_deref(), Some("Account"));
        assert_eq!(h.type_, None);
    }

    #[test]
    fn scan_reports_bad_json_with_file() {
        let e = match Header::scan(b"{\"resourceType\": ", "pkg#1", "Bad.json") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted bad JSON"),
        };
        assert!(e.contains("pkg#1") && e.contains("Bad.json"), "{e}");
    }

    #[test]
    fn non_resources_are_skipped() {
        assert!(Header::scan(b"{}", "p", "f").unwrap().is_none());
    }
}
