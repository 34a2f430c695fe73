//! The one folder walker for inputs: every command that reads a folder of
//! FHIR JSON (validate, seed, the test peers, the benchmark) walks it here,
//! so which names count as JSON is decided once: `.json` holds one document,
//! `.ndjson` and `.jsonl` one document per line. Validation also reads FHIR
//! XML (`.xml`, one resource), found by [`payload_files`]; the other
//! readers take JSON only.
//!
//! Order is stable (file names sorted in each folder, depth first, which is
//! the order of sorting the whole paths), so output never depends on the
//! file system.

use std::path::{Path, PathBuf};

/// How a file holds its JSON, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonFile {
    /// `.json`: one document.
    Document,
    /// `.ndjson` or `.jsonl`: one document per non-blank line.
    Lines,
}

impl JsonFile {
    /// The kind a path's extension names, or `None` for other files.
    pub fn of(path: &Path) -> Option<JsonFile> {
        match path.extension()?.to_str()? {
            "json" => Some(JsonFile::Document),
            "ndjson" | "jsonl" => Some(JsonFile::Lines),
            _ => None,
        }
    }
}

/// A folder (or a file in it) that could not be listed.
#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot list folder {}: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for WalkError {}

/// Every file under `dir` (subfolders included, in stable order) for which
/// `keep` holds, skipping the subfolders `descend` refuses. A folder that
/// cannot be listed is an `Err` in its place; the walk goes on.
pub fn walk_files(
    dir: &Path,
    descend: impl Fn(&Path) -> bool,
    keep: impl Fn(&Path) -> bool,
) -> Vec<Result<PathBuf, WalkError>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_type().is_dir() || descend(e.path()))
        .filter_map(|entry| match entry {
            Ok(e) if e.file_type().is_dir() => None,
            Ok(e) => keep(e.path()).then(|| Ok(e.into_path())),
            Err(e) => Some(Err(WalkError {
                path: e.path().unwrap_or(dir).to_path_buf(),
                message: e
                    .io_error()
                    .map_or_else(|| e.to_string(), |io| io.to_string()),
            })),
        })
        .collect()
}

/// Every JSON, NDJSON or JSONL file under `dir` (see [`JsonFile`]).
pub fn json_files(dir: &Path) -> Vec<Result<PathBuf, WalkError>> {
    walk_files(dir, |_| true, |p| JsonFile::of(p).is_some())
}

/// Whether a path names an XML file (`.xml`).
pub fn is_xml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "xml")
}

/// Every file under `dir` validation reads: the JSON kinds of
/// [`json_files`] and FHIR XML (`.xml`).
pub fn payload_files(dir: &Path) -> Vec<Result<PathBuf, WalkError>> {
    walk_files(dir, |_| true, |p| JsonFile::of(p).is_some() || is_xml(p))
}

/// [`json_files`], stopping at the first folder that cannot be listed.
pub fn json_files_or_error(dir: &Path) -> Result<Vec<PathBuf>, WalkError> {
    json_files(dir).into_iter().collect()
}

/// The JSON values a `.json` (one) or `.ndjson`/`.jsonl` (one per line)
/// file holds, for readers that sample payloads rather than validate them
/// (seeding a test server, finding ODS codes for a scorecard): a document or
/// line that does not parse is skipped, and a file of another kind holds
/// none. Only a file that cannot be read is an error.
pub fn read_values(path: &Path) -> std::io::Result<Vec<serde_json::Value>> {
    let Some(kind) = JsonFile::of(path) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)?;
    Ok(match kind {
        JsonFile::Lines => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        JsonFile::Document => serde_json::from_str(&text).into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_documents_and_lines_skip_what_does_not_parse() {
        let dir = tempfile::tempdir().unwrap();
        let lines = dir.path().join("a.jsonl");
        std::fs::write(&lines, "{\"a\":1}\n\nnot json\n{\"a\":2}\n").unwrap();
        let values = read_values(&lines).unwrap();
        assert_eq!(
            values,
            [serde_json::json!({"a": 1}), serde_json::json!({"a": 2})]
        );
        let doc = dir.path().join("b.json");
        std::fs::write(&doc, "{\"b\": [1]}").unwrap();
        assert_eq!(read_values(&doc).unwrap().len(), 1);
        std::fs::write(&doc, "{broken").unwrap();
        assert!(read_values(&doc).unwrap().is_empty());
        assert!(read_values(&dir.path().join("c.txt")).unwrap().is_empty());
        assert!(read_values(&dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn json_ndjson_and_jsonl_are_found_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b.json",
            "a/z.ndjson",
            "a.json",
            "a/c.jsonl",
            "notes.txt",
            "a/y.yaml",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "{}").unwrap();
        }
        let found: Vec<PathBuf> = json_files_or_error(root)
            .unwrap()
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(found, sorted, "depth-first by name is whole-path order");
        let names: Vec<&str> = found.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(names, ["a/c.jsonl", "a/z.ndjson", "a.json", "b.json"]);
    }

    #[test]
    fn payload_files_add_xml_to_the_json_kinds() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.json", "b.xml", "c.ndjson", "d.txt", "e.xhtml"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let names: Vec<String> = payload_files(dir.path())
            .into_iter()
            .map(|p| {
                p.unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.json", "b.xml", "c.ndjson"]);
        assert_eq!(
            json_files(dir.path()).len(),
            2,
            "JSON readers never see XML"
        );
    }

    #[test]
    fn kinds_are_decided_by_extension() {
        assert_eq!(JsonFile::of(Path::new("x.json")), Some(JsonFile::Document));
        assert_eq!(JsonFile::of(Path::new("x.ndjson")), Some(JsonFile::Lines));
        assert_eq!(JsonFile::of(Path::new("x.jsonl")), Some(JsonFile::Lines));
        assert_eq!(JsonFile::of(Path::new("x.yaml")), None);
        assert_eq!(JsonFile::of(Path::new("json")), None);
    }

    #[test]
    fn refused_subfolders_are_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
        std::fs::write(dir.path().join("fixtures/f.json"), "{}").unwrap();
        std::fs::write(dir.path().join("k.json"), "{}").unwrap();
        let found = walk_files(
            dir.path(),
            |d| d.file_name().is_none_or(|n| n != "fixtures"),
            |_| true,
        );
        let found: Vec<PathBuf> = found.into_iter().map(Result::unwrap).collect();
        assert_eq!(found, [dir.path().join("k.json")]);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let err = json_files_or_error(Path::new("/nonexistent/conform")).unwrap_err();
        assert_eq!(err.path, Path::new("/nonexistent/conform"));
        assert!(
            err.to_string()
                .starts_with("cannot list folder /nonexistent/conform"),
            "{err}"
        );
    }
}
