//! What to validate: files, folders (recursively, `*.json` and `*.ndjson`)
//! and standard input, in a stable order.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    /// The name used in reports.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".into(),
        }
    }

    /// NDJSON (one resource per line) by extension.
    pub fn is_ndjson(&self) -> bool {
        match self {
            Input::File(p) => matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("ndjson" | "jsonl")
            ),
            Input::Stdin => false,
        }
    }
}

/// A path argument that names nothing we can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// Expands path arguments into inputs. Folders are walked recursively for
/// `*.json` and `*.ndjson` files, sorted so output order never depends on
/// the file system. Files named explicitly are taken whatever their name.
pub fn collect_inputs(args: &[String]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                walk_dir(path, &mut found, &mut errors);
                found.sort();
                inputs.extend(found.into_iter().map(Input::File));
            }
            Ok(_) => inputs.push(Input::File(path.to_path_buf())),
            Err(e) => errors.push(InputError {
                path: arg.clone(),
                message: format!("cannot read {arg}: {e}"),
            }),
        }
    }
    (inputs, errors)
}

fn walk_dir(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(InputError {
                path: dir.display().to_string(),
                message: format!("cannot list folder {}: {e}", dir.display()),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk_dir(&path, found, errors);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "ndjson")
        ) {
            found.push(path);
        }
    }
}
