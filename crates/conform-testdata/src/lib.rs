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

/// A folder of this process's own in `parent`, empty, for scratch files
/// that tests or fuzz targets share across a whole process run. Statics
/// are never dropped, so a `TempDir` held in one is never removed: every
/// run left its folder behind (the CLI tests' plan caches came to some
/// 220 MB a run). The folder is named by the process's id instead, and
/// those of processes that have ended are removed first; concurrent runs
/// (nextest's processes, parallel fuzzers) keep theirs. Where `/proc`
/// does not tell which processes live, nothing else is removed.
pub fn process_scratch_dir(parent: &std::path::Path) -> PathBuf {
    remove_those_of_ended_processes(parent);
    let dir = parent.join(std::process::id().to_string());
    // Left by an ended process that had this id.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn remove_those_of_ended_processes(parent: &std::path::Path) {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let ended = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
            .is_some_and(|pid| !proc.join(pid.to_string()).exists());
        if ended {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_scratch_dir_is_fresh_and_outlives_only_running_processes() {
        let parent = tempfile::tempdir().unwrap();
        let ended = parent.path().join(u32::MAX.to_string()); // above any pid_max
        let running = parent.path().join("1"); // init
        let other = parent.path().join("not-a-process");
        for d in [&ended, &running, &other] {
            std::fs::create_dir_all(d.join("inside")).unwrap();
        }
        let mine = parent.path().join(std::process::id().to_string());
        std::fs::create_dir_all(mine.join("left-by-an-earlier-holder")).unwrap();

        let dir = process_scratch_dir(parent.path());

        assert_eq!(dir, mine);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "fresh");
        assert!(!ended.exists(), "an ended process's folder is removed");
        assert!(running.exists(), "a running process's folder is kept");
        assert!(other.exists(), "folders not named by a process are kept");
    }
}
