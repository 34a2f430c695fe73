//! A memo of tarballs' `package.json`, keyed by the tarball's content hash,
//! and of each tarball's content hash, keyed by the file's identity and
//! times.
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
    write_atomically(&memo_path(cache_dir, key), manifest);
}

/// What identifies one version of a file without reading it: its path,
/// device, inode, size, and modification and change times. Any write to the
/// file moves its change time (which, unlike the modification time, no
/// ordinary tool can set back), so a changed tarball never matches.
fn stat_key(path: &Path) -> Option<[u8; 32]> {
    use std::os::unix::fs::MetadataExt;
    let abs = fs::canonicalize(path).ok()?;
    let m = fs::metadata(&abs).ok()?;
    let mut h = blake3::Hasher::new();
    h.update(b"tarball stat v1\0");
    h.update(abs.as_os_str().as_encoded_bytes());
    for n in [m.dev(), m.ino(), m.size()] {
        h.update(&n.to_le_bytes());
    }
    for n in [m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()] {
        h.update(&n.to_le_bytes());
    }
    Some(*h.finalize().as_bytes())
}

fn hash_memo_path(cache_dir: &Path, stat: &[u8; 32]) -> PathBuf {
    cache_dir.join(".conform").join("hashes").join(to_hex(stat))
}

/// The content hash of the tarball at `path`, remembered from an earlier
/// run while the file is unchanged, so a warm start neither reads nor
/// hashes megabytes of package (a few ms each start, and per tarball).
pub(crate) fn content_hash(cache_dir: &Path, path: &Path) -> Option<[u8; 32]> {
    let bytes = fs::read(hash_memo_path(cache_dir, &stat_key(path)?)).ok()?;
    bytes.try_into().ok()
}

/// Remembers the content hash of the tarball at `path` as it is now.
pub(crate) fn put_content_hash(cache_dir: &Path, path: &Path, key: &[u8; 32]) {
    if let Some(stat) = stat_key(path) {
        write_atomically(&hash_memo_path(cache_dir, &stat), key);
    }
}

/// Writes through a temporary file and a rename, so a concurrent reader
/// never sees half a file; failures are skipped (the memo is best-effort).
fn write_atomically(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else {
        return;
    };
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if std::io::Write::write_all(&mut tmp, bytes).is_ok() {
        let _ = tmp.persist(path);
    }
}
