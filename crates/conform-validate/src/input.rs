//! What to validate: files, folders (recursively, the JSON, NDJSON, JSONL
//! and XML files `conform_json::files` finds) and standard input, in a
//! stable order.

use conform_json::files::JsonFile;
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
            Input::File(p) => JsonFile::of(p) == Some(JsonFile::Lines),
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

impl InputError {
    /// Reports the path to `sink` as a file that could not be read, so
    /// writers and baselines treat it like any unreadable file.
    pub fn report(&self, sink: &mut dyn conform_outcome::validate::Sink) {
        sink.file_start(&self.path);
        sink.file_failed(
            &self.path,
            conform_outcome::validate::FileFailure {
                message: self.message.clone(),
            }
            .into_outcome(),
        );
        sink.file_end(&self.path);
    }
}

/// Expands path arguments into inputs. Folders are walked recursively for
/// JSON, NDJSON, JSONL and XML files, sorted so output order never depends on
/// the file system. Files named explicitly are taken whatever their name.
pub fn collect_inputs(args: &[String]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match payload_paths(Path::new(arg)) {
            Ok(found) => {
                for found in found {
                    match found {
                        Ok(file) => inputs.push(Input::File(file)),
                        Err(e) => errors.push(InputError {
                            path: e.path.display().to_string(),
                            message: e.to_string(),
                        }),
                    }
                }
            }
            Err(e) => errors.push(InputError {
                path: arg.clone(),
                message: format!("cannot read {arg}: {e}"),
            }),
        }
    }
    (inputs, errors)
}

/// The files a path names: a folder's JSON, NDJSON, JSONL and XML files
/// (recursively, sorted), or the file itself whatever its name; `Err` when
/// the path cannot be read at all.
pub(crate) fn payload_paths(
    path: &Path,
) -> std::io::Result<Vec<Result<PathBuf, conform_json::files::WalkError>>> {
    Ok(if std::fs::metadata(path)?.is_dir() {
        conform_json::files::payload_files(path)
    } else {
        vec![Ok(path.to_path_buf())]
    })
}
