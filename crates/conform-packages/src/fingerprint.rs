//! Content keys for packages. Another crate caches compiled validation plans
//! under these keys, so they must change whenever content changes, and be
//! cheap enough that a warm start costs less than loading the definitions.

use std::path::Path;
use std::time::UNIX_EPOCH;

use crate::error::PackageError;
use crate::files::FolderFile;
use crate::layout::Role;
use crate::resolve::ResolvedPackage;

/// Bumped whenever the way keys are computed, or what loading produces,
/// changes, so stale compiled plans are not reused.
const KEY_DOMAIN: &str = "conform-packages fingerprint v1";

/// A tarball's key: blake3 of its bytes (hashing 7 MB takes a few ms; no
/// decompression).
pub(crate) fn of_bytes(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// An unpacked folder's key: the bytes of `package.json` and `.index.json`,
/// plus the name, size and mtime of every resource and example file. Reading
/// metadata instead of thousands of files keeps warm starts fast; an edit
/// changes the size or the mtime.
pub(crate) fn of_folder(files: &[FolderFile]) -> Result<[u8; 32], PackageError> {
    let mut h = blake3::Hasher::new();
    h.update(b"folder\0");
    // `files` comes sorted by name from `list_folder`.
    for f in files {
        match f.role {
            Role::Manifest | Role::Index => {
                let bytes =
                    std::fs::read(&f.path).map_err(|e| PackageError::io("reading", &f.path, e))?;
                h.update(f.name.as_bytes());
                h.update(&(bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Role::Resource | Role::Example => {
                let mtime = f
                    .meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                h.update(f.name.as_bytes());
                h.update(b"\0");
                h.update(&f.meta.len().to_le_bytes());
                h.update(&mtime.to_le_bytes());
            }
            Role::Ignored => {}
        }
    }
    Ok(*h.finalize().as_bytes())
}

/// Loose files' key: their paths and bytes (loose inputs are small).
pub(crate) fn of_loose(files: &[(String, Vec<u8>)]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"loose\0");
    for (name, bytes) in files {
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    *h.finalize().as_bytes()
}

/// The combined key of a resolved package list, in order (order matters:
/// later packages override earlier ones).
pub fn fingerprint_of(pkgs: &[ResolvedPackage]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(KEY_DOMAIN.as_bytes());
    h.update(&(pkgs.len() as u64).to_le_bytes());
    for p in pkgs {
        let id = p.id.to_string();
        h.update(&(id.len() as u64).to_le_bytes());
        h.update(id.as_bytes());
        h.update(&p.fingerprint);
    }
    *h.finalize().as_bytes()
}

/// Hex form of a key, for file names and messages.
pub fn to_hex(key: &[u8; 32]) -> String {
    blake3::Hash::from(*key).to_hex().to_string()
}

/// Reads a file and hashes it; shared by resolve for tarballs.
pub(crate) fn read_and_hash(path: &Path) -> Result<(Vec<u8>, [u8; 32]), PackageError> {
    let bytes = crate::tarball::read_file(path, &path.display().to_string())?;
    let key = of_bytes(&bytes);
    Ok((bytes, key))
}
