//! One place that knows where the shared test data lives, so every test and
//! bench finds it the same way: `$CONFORM_TESTDATA`, else `../shared/testdata`
//! beside the workspace root.

use std::path::PathBuf;

/// The environment variable that overrides the test data location.
pub const ENV_VAR: &str = "CONFORM_TESTDATA";

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // This crate lives at <root>/crates/conform-testdata.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root exists")
}

/// The shared test data folder. Panics with a clear message when it is missing,
/// because tests that need it must not silently pass without it.
pub fn dir() -> PathBuf {
    let dir = match std::env::var_os(ENV_VAR) {
        Some(v) => PathBuf::from(v),
        None => workspace_root().join("../shared/testdata"),
    };
    assert!(
        dir.join("README.md").is_file(),
        "shared test data not found at {} (set {ENV_VAR})",
        dir.display()
    );
    dir
}

/// A path inside the shared test data folder.
pub fn path(rel: &str) -> PathBuf {
    dir().join(rel)
}

/// The folder of FHIR package tarballs usable as a package source.
pub fn packages_dir() -> PathBuf {
    path("packages")
}
