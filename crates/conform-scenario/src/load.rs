//! Finding and reading scenario files: a file (`.yaml`/`.yml` scenario,
//! `.json` TestScript) or a kit folder (every scenario file in it and its
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
            p.extension().is_some_and(|e| e == "json") && is_testscript(p)
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

fn is_testscript(p: &Path) -> bool {
    std::fs::read(p)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["resourceType"] == "TestScript")
}

/// Reads and compiles every scenario named by `paths`.
pub fn load_plan(paths: &[PathBuf], bindings: &Bindings) -> Result<Plan, LoadError> {
    let mut plan = Plan::default();
    for file in scenario_files(paths)? {
        let scenarios = if is_yaml(&file) {
            crate::compile::compile_file(&file)?
        } else {
            vec![crate::testscript::compile_file(&file, bindings)?]
        };
        plan.scenarios.extend(scenarios);
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &plan.scenarios {
        if !seen.insert(s.identity.id.clone()) {
            return Err(LoadError::new(
                Path::new(&s.identity.source),
                format!("scenario id '{}' is used twice", s.identity.id),
            ));
        }
    }
    Ok(plan)
}
