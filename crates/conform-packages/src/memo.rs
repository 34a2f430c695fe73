//! A memo of tarballs' `package.json`, keyed by the tarball's content hash.
//!
//! npm tarballs often put `package.json` last (R4 core does), so reading it
//! means inflating the whole 67 MB archive: ~70 ms on every start for a
//! package used straight from a source folder. The memo makes warm starts
//! hash-only. It is best-effort: it lives in the cache folder
//! (`<cache>/.conform/manifests/<blake3>.json`, a name other FHIR tools
//! ignore), any failure to read or write it is silently skipped, and since
//! the key is the content hash it can never be stale.

use std::fs;
use std::path::{Path, PathBuf};

use crate::fingerprint::to_hex;

fn memo_path(cache_dir: &Path, key: &[u8; 32]) -> PathBuf {
    cache_dir
        .join(".conform")
        .join("manifests")
        .join(format!("{}.json", to_hex(key)))
}

/// The remembered `package.json` bytes for the tarball with this key.
pub(crate) fn get(cache_dir: &Path, key: &[u8; 32]) -> Option<Vec<u8>> {
    fs::read(memo_path(cache_dir, key)).ok()
}

/// Remembers `manifest` for the tarball with this key. Written to a
/// temporary file and renamed, so a concurrent reader never sees half a file.
pub(crate) fn put(cache_dir: &Path, key: &[u8; 32], manifest: &[u8]) {
    let path = memo_path(cache_dir, key);
    let Some(dir) = path.parent() else {
        return;
    };
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if std::io::Write::write_all(&mut tmp, manifest).is_ok() {
        let _ = tmp.persist(&path);
    }
}
