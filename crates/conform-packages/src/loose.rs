//! Loose conformance resources (the HL7 validator's `-ig` convention): a JSON
//! or FHIR XML file holding one resource, a Bundle of them, or a folder
//! (searched recursively) of such files. They let people try a profile
//! before it is packaged; loaded last, they override packaged resources with
//! the same url. XML is read into JSON by a [`XmlToJson`] the caller gives,
//! because the mapping needs the type definitions (which elements repeat,
//! which values are numbers), and those come from the loaded packages.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::PackageError;
use crate::manifest::strip_bom;

/// The files of a loose input: (path relative to the input, bytes), sorted by
/// path so the fingerprint and the load order are deterministic.
pub(crate) fn read_files(root: &Path) -> Result<Vec<(String, Vec<u8>)>, PackageError> {
    let meta = std::fs::metadata(root).map_err(|e| PackageError::io("reading", root, e))?;
    if meta.is_file() {
        // A file named explicitly is read whatever its extension.
        let bytes = std::fs::read(root).map_err(|e| PackageError::io("reading", root, e))?;
        let name = root.file_name().map_or_else(
            || root.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        return Ok(vec![(name, bytes)]);
    }
    let mut paths = Vec::new();
    collect_loose_files(root, &mut paths)?;
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| PackageError::io("reading", &path, e))?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((name, bytes));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Every `*.json` and `*.xml` file under `dir`; symlinked folders are not
/// followed so a link loop cannot trap us.
fn collect_loose_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PackageError> {
    let read = std::fs::read_dir(dir).map_err(|e| PackageError::io("listing folder", dir, e))?;
    for item in read {
        let item = item.map_err(|e| PackageError::io("listing folder", dir, e))?;
        let path = item.path();
        let kind = item
            .file_type()
            .map_err(|e| PackageError::io("reading", &path, e))?;
        if kind.is_dir() {
            collect_loose_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("xml"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// One resource taken from a loose file.
pub(crate) struct LooseResource {
    /// `file.json`, or `bundle.json#entry[3]` for a Bundle entry.
    pub name: String,
    /// The resource's JSON text.
    pub bytes: Vec<u8>,
    /// Already parsed (loose files must be parsed to find out what they hold).
    pub value: Value,
}

/// Reads one FHIR XML text into its JSON text, or says why it cannot.
pub type XmlToJson<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<u8>, String>;

/// Parses loose files into resources: XML files are first read into JSON
/// with `xml`; Bundles are split into their entries; valid JSON that is not
/// a resource (no `resourceType`) is skipped, as is XML outside FHIR's
/// namespace, so a folder may hold other files. Invalid JSON or FHIR XML is
/// an error naming the file.
pub(crate) fn resources(
    files: Vec<(String, Vec<u8>)>,
    label: &str,
    xml: Option<XmlToJson<'_>>,
) -> Result<Vec<LooseResource>, PackageError> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        // XML that is not in FHIR's namespace (a build file beside the
        // profiles) is skipped, as JSON without a resourceType is.
        let xml_file = looks_like_xml(&bytes);
        if xml_file && !contains(&bytes, b"http://hl7.org/fhir") {
            continue;
        }
        let bytes = if xml_file {
            let bad = |reason: String| PackageError::BadXml {
                package: label.to_string(),
                file: name.clone(),
                reason,
            };
            let xml = xml.ok_or_else(|| {
                bad("FHIR XML is read with the core definitions, and none are loaded here".into())
            })?;
            xml(&bytes).map_err(bad)?
        } else {
            bytes
        };
        let value: Value =
            serde_json::from_slice(strip_bom(&bytes)).map_err(|source| PackageError::BadJson {
                package: label.to_string(),
                file: name.clone(),
                source,
            })?;
        match value.get("resourceType").and_then(Value::as_str) {
            Some("Bundle") => split_bundle(&name, value, &mut out),
            Some(_) => out.push(LooseResource { name, bytes, value }),
            None => {}
        }
    }
    Ok(out)
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// XML where the first byte after a byte-order mark and blanks is `<`
/// (JSON cannot start so); conform_xml says the same, but this crate reads
/// no XML itself.
fn looks_like_xml(bytes: &[u8]) -> bool {
    strip_bom(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

fn split_bundle(name: &str, mut bundle: Value, out: &mut Vec<LooseResource>) {
    let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut) else {
        return;
    };
    for (i, entry) in entries.iter_mut().enumerate() {
        let Some(resource) = entry.get_mut("resource") else {
            continue;
        };
        if resource
            .get("resourceType")
            .and_then(Value::as_str)
            .is_none()
        {
            continue;
        }
        let value = resource.take();
        // Re-serialising a Value cannot fail (all keys are strings).
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        out.push(LooseResource {
            name: format!("{name}#entry[{i}]"),
            bytes,
            value,
        });
    }
}
