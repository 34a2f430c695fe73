//! Finding and reading scenario files: a file (`.yaml`/`.yml` scenario,
//! `.json` or `.xml` TestScript) or a kit folder (every scenario file in it and its
//! subfolders, in path order; `fixtures/` folders, include fragments (no
//! `id`) and YAML without `steps` are not scenarios). Errors name the file
//! and, for YAML, the line.

use crate::plan::Plan;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl LoadError {
    pub fn new(file: &Path, message: impl Into<String>) -> LoadError {
        LoadError {
            file: file.display().to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn yaml(file: &Path, e: &serde_yaml_ng::Error) -> LoadError {
        let loc = e.location();
        let message = e.to_string();
        // serde_yaml_ng appends "at line L column C"; we put it in front.
        let message = match message.find(" at line ") {
            Some(i) if loc.is_some() => message[..i].to_string(),
            _ => message,
        };
        LoadError {
            file: file.display().to_string(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// How TestScript origins and destinations map to regions (`1=region-a`).
pub type Bindings = BTreeMap<u32, String>;

/// Bindings from `INDEX=REGION` items (`1=region-a`), or the item that is
/// not one.
pub fn parse_bindings(items: &[String]) -> Result<Bindings, String> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .and_then(|(i, r)| Some((i.trim().parse::<u32>().ok()?, r.trim().to_string())))
                .ok_or_else(|| format!("bad --bind '{item}' (use INDEX=REGION, e.g. 1=region-a)"))
        })
        .collect()
}

/// Every scenario file named by `paths` (files or kit folders), in order.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(LoadError::new(p, "no such file or folder"));
        }
    }
    Ok(out)
}

/// The scenario files in a kit folder (not in its `fixtures` or `schema`
/// subfolders): YAML scenarios and JSON TestScripts.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let outside_data = |d: &Path| {
        d.file_name()
            .is_none_or(|n| n != "fixtures" && n != "schema")
    };
    let is_scenario_file = |p: &Path| {
        if is_yaml(p) {
            is_scenario(p)
        } else {
            is_testscript(p)
        }
    };
    for found in conform_json::files::walk_files(dir, outside_data, is_scenario_file) {
        out.push(found.map_err(|e| LoadError::new(&e.path, e.message))?);
    }
    Ok(())
}

pub fn is_yaml(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// In a folder, a YAML file with a top-level `id` and `steps` is a
/// scenario; fragments (no `id`) and other YAML (a scorecard definition
/// beside the kits) are not. A file named on the command line always is.
fn is_scenario(p: &Path) -> bool {
    std::fs::read_to_string(p)
        .map(|t| {
            t.lines().any(|l| l.starts_with("id:")) && t.lines().any(|l| l.starts_with("steps:"))
        })
        .unwrap_or(false)
}

/// A JSON file whose `resourceType` is TestScript, or an XML file whose
/// root element is `TestScript`.
fn is_testscript(p: &Path) -> bool {
    let Ok(bytes) = std::fs::read(p) else {
        return false;
    };
    match p.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_slice::<serde_json::Value>(&bytes)
            .is_ok_and(|v| v["resourceType"] == "TestScript"),
        Some("xml") => crate::body::xml_root(&bytes).as_deref() == Some("TestScript"),
        _ => false,
    }
}

/// What loading needs beyond the files: TestScript bindings, where
/// TestScript fixtures named by reference (`Patient/example`) are found,
/// and the definitions that read FHIR XML (XML TestScripts and fixtures).
#[derive(Default)]
pub struct LoadSettings<'a> {
    pub bindings: Bindings,
    /// Folders searched for a fixture `Type/id` (by resourceType and id,
    /// JSON or XML), before the script's own folder.
    pub fixtures: Vec<PathBuf>,
    pub xml: Option<&'a dyn conform_xml::Model>,
    /// TestScript variable values given by the user (`--var NAME=VALUE`),
    /// over the script's own.
    pub values: BTreeMap<String, String>,
}

/// The scenarios that loaded, and each file that did not (with why): one
/// broken file does not stop the others.
#[derive(Default)]
pub struct Loaded {
    pub plan: Plan,
    pub broken: Vec<LoadError>,
}

/// Reads and compiles every scenario named by `paths`. Fails as a whole
/// only when a path is not there; a file that does not load is in `broken`.
pub fn load_each(paths: &[PathBuf], settings: &LoadSettings) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded::default();
    let index = crate::testscript::FixtureIndex::new(&settings.fixtures, settings.xml);
    for file in scenario_files(paths)? {
        let scenarios = if is_yaml(&file) {
            crate::compile::compile_file(&file)
        } else {
            crate::testscript::compile_file(&file, settings, &index).map(|s| vec![s])
        };
        match scenarios {
            Ok(s) => loaded.plan.scenarios.extend(s),
            Err(e) => loaded.broken.push(e),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut kept = Vec::new();
    for s in std::mem::take(&mut loaded.plan.scenarios) {
        if seen.insert(s.identity.id.clone()) {
            kept.push(s);
        } else {
            loaded.broken.push(LoadError::new(
                Path::new(&s.identity.source),
                format!("scenario id '{}' is used twice", s.identity.id),
            ));
        }
    }
    loaded.plan.scenarios = kept;
    Ok(loaded)
}

/// Reads and compiles every scenario named by `paths`; the first file
/// that does not load is the error.
pub fn load_plan(paths: &[PathBuf], bindings: &Bindings) -> Result<Plan, LoadError> {
    let settings = LoadSettings {
        bindings: bindings.clone(),
        ..LoadSettings::default()
    };
    let loaded = load_each(paths, &settings)?;
    match loaded.broken.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(loaded.plan),
    }
}
