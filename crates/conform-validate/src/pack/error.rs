//! Pack errors, worded for the person who wrote the pack: which file,
//! where in it, and what is wrong.

use std::fmt;
use std::path::PathBuf;

/// Why a pack could not be used. Displays as `file:line:column: problem`
/// where the position is known, like a compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackError {
    /// The pack file could not be read.
    Read { file: String, message: String },
    /// The pack is not valid: bad TOML, unknown field, bad value.
    Invalid {
        file: String,
        /// 1-based line and column, when known.
        at: Option<(usize, usize)>,
        message: String,
    },
    /// No pack of that name in the folders searched or built in.
    NotFound {
        name: String,
        searched: Vec<PathBuf>,
    },
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::Read { file, message } => write!(f, "cannot read pack {file}: {message}"),
            PackError::Invalid {
                file,
                at: Some((line, column)),
                message,
            } => write!(f, "invalid pack {file}:{line}:{column}: {message}"),
            PackError::Invalid {
                file,
                at: None,
                message,
            } => write!(f, "invalid pack {file}: {message}"),
            PackError::NotFound { name, searched } => {
                let dirs: Vec<String> = searched.iter().map(|d| d.display().to_string()).collect();
                write!(
                    f,
                    "no pack '{name}' (looked for {name}.toml in {}; built in: {})",
                    if dirs.is_empty() {
                        "no folders".to_string()
                    } else {
                        dirs.join(", ")
                    },
                    super::builtin_names().join(", ")
                )
            }
        }
    }
}

impl std::error::Error for PackError {}
