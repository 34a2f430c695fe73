//! Where a command's report goes: the file of `-o`, else standard output.

use crate::exit::Failure;
use std::io::Write;
use std::path::Path;

/// A writer for the report (a failure to create the file is the user's to
/// fix: exit 2).
pub fn open(path: Option<&Path>) -> Result<Box<dyn Write>, Failure> {
    Ok(match path {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| cannot_write(path, e))?),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// Writes a whole report. Standard output closed early (`| head`) is not an
/// error: the reader has what it wanted.
pub fn write(path: Option<&Path>, text: &str) -> Result<(), Failure> {
    match path {
        Some(path) => std::fs::write(path, text).map_err(|e| cannot_write(path, e)),
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(())
        }
    }
}

fn cannot_write(path: &Path, e: std::io::Error) -> Failure {
    Failure::usage(format!("cannot write {}: {e}", path.display()))
}
