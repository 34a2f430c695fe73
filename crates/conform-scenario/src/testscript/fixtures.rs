//! Where a TestScript fixture's `resource.reference` is found: a contained
//! resource (`#id`), a file beside the script (`patient.json`), or a
//! resource by type and id (`Patient/example`, also as an absolute or
//! versioned URL) in the `--fixtures` folders, then in the script's own
//! folder and its `fixtures/` subfolder, JSON or XML.

use conform_xml::Model;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

type ByTypeAndId = BTreeMap<(String, String), PathBuf>;

/// Resources by resourceType and id, in the `--fixtures` folders and (read
/// when first needed) each script's folder.
pub struct FixtureIndex<'a> {
    dirs: Vec<PathBuf>,
    given: ByTypeAndId,
    folders: RefCell<BTreeMap<PathBuf, ByTypeAndId>>,
    xml: Option<&'a dyn Model>,
}

impl<'a> FixtureIndex<'a> {
    pub fn new(dirs: &[PathBuf], xml: Option<&'a dyn Model>) -> FixtureIndex<'a> {
        let mut given = ByTypeAndId::new();
        for d in dirs {
            for (k, p) in index_folder(d, true, xml) {
                given.entry(k).or_insert(p);
            }
        }
        FixtureIndex {
            dirs: dirs.to_vec(),
            given,
            folders: RefCell::new(BTreeMap::new()),
            xml,
        }
    }

    /// The resource a fixture reference names, for a script in `dir`.
    pub fn resolve(&self, reference: &str, dir: &Path) -> Result<Value, String> {
        let beside = dir.join(reference);
        if beside.is_file() {
            return read_resource(&beside, self.xml);
        }
        let Some(key) = type_and_id(reference) else {
            return Err(format!(
                "'{reference}' is neither a file beside the script nor a Type/id reference"
            ));
        };
        if let Some(p) = self.given.get(&key) {
            return read_resource(p, self.xml);
        }
        let mut folders = self.folders.borrow_mut();
        let own = folders.entry(dir.to_path_buf()).or_insert_with(|| {
            let mut m = index_folder(dir, false, self.xml);
            for (k, p) in index_folder(&dir.join("fixtures"), true, self.xml) {
                m.entry(k).or_insert(p);
            }
            m
        });
        match own.get(&key) {
            Some(p) => read_resource(p, self.xml),
            None => {
                let searched: Vec<String> = self
                    .dirs
                    .iter()
                    .chain([dir.to_path_buf()].iter())
                    .map(|d| d.display().to_string())
                    .collect();
                Err(format!(
                    "no resource {}/{} in {} (say where fixtures are with --fixtures DIR){}",
                    key.0,
                    key.1,
                    searched.join(", "),
                    if self.xml.is_none() {
                        "; XML files were not read (no FHIR definitions loaded)"
                    } else {
                        ""
                    }
                ))
            }
        }
    }
}

/// `Patient/example`, `http://x/fhir/Patient/example/_history/2` → (Patient, example).
fn type_and_id(reference: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = reference
        .split(['?', '#'])
        .next()?
        .trim_end_matches('/')
        .split('/')
        .collect();
    let end = match parts.iter().rposition(|p| *p == "_history") {
        Some(i) => i,
        None => parts.len(),
    };
    if end < 2 {
        return None;
    }
    let (rtype, id) = (parts[end - 2], parts[end - 1]);
    let is_type = rtype.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && rtype.chars().all(|c| c.is_ascii_alphanumeric());
    (is_type && !id.is_empty()).then(|| (rtype.to_string(), id.to_string()))
}

/// Reads a JSON or XML resource file into FHIR JSON.
pub fn read_resource(path: &Path, xml: Option<&dyn Model>) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::body::json_value(&bytes, xml).map_err(|e| format!("{}: {e}", path.display()))
}

/// Resources in a folder (and its subfolders when `deep`) by type and id.
fn index_folder(dir: &Path, deep: bool, xml: Option<&dyn Model>) -> ByTypeAndId {
    let mut out = ByTypeAndId::new();
    if !dir.is_dir() {
        return out;
    }
    let is_resource_file = |p: &Path| {
        p.extension()
            .is_some_and(|e| e == "json" || (e == "xml" && xml.is_some()))
    };
    let files = conform_json::files::walk_files(dir, |_| deep, is_resource_file);
    for path in files.into_iter().flatten() {
        let Ok(v) = read_resource(&path, xml) else {
            continue;
        };
        if let (Some(t), Some(id)) = (v["resourceType"].as_str(), v["id"].as_str()) {
            out.entry((t.to_string(), id.to_string())).or_insert(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_by_type_and_id() {
        let t = |r: &str| super::type_and_id(r);
        assert_eq!(
            t("Patient/example"),
            Some(("Patient".into(), "example".into()))
        );
        assert_eq!(
            t("http://x.org/fhir/Patient/p1/_history/2"),
            Some(("Patient".into(), "p1".into()))
        );
        assert_eq!(t("patient.json"), None);
        assert_eq!(t("fixtures/patient.json"), None);
    }
}
