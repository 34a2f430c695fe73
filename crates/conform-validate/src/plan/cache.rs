//! The on-disk cache of compiled plans, keyed by the packages' fingerprint,
//! so a warm start is one file read instead of parsing every definition.

use super::lazy::CacheFile;
use super::Plans;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bumped whenever the plan structures or the compiler's output change, so
/// an old cache is never read as a new one.
const FORMAT_VERSION: u32 = 49;

/// The default cache folder: `$CONFORM_CACHE_DIR`, else the user cache dir.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CONFORM_CACHE_DIR") {
        return PathBuf::from(d);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("conform")
}

/// How long a plan file of this format may go unused before a store
/// removes it: a package set no longer validated against (an old UK Core
/// release, a one-off `--ig`).
const UNUSED_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// The start of this format's file names: files of other formats are
/// never read by this build, so a store removes them.
fn prefix() -> String {
    format!("plans-v{FORMAT_VERSION}-")
}

fn file_for(dir: &Path, fingerprint: &[u8; 32]) -> PathBuf {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&FORMAT_VERSION.to_le_bytes());
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(fingerprint);
    let key = hasher.finalize().to_hex();
    dir.join(format!("{}{}.bin", prefix(), &key[..32]))
}

/// Reads cached plans; `None` when absent or unreadable (a corrupt cache is
/// simply rebuilt). The file is its contents' CRC-32, then the contents:
/// parts of the plans are decoded only when first used
/// ([`super::lazy::Lazy`]), so damage must be found here, not later. (A
/// CRC finds damage, which is all a cache in the user's own folder needs;
/// a cryptographic hash cost 3% of a one-pass run.)
pub fn load(dir: &Path, fingerprint: &[u8; 32]) -> Option<Plans> {
    let path = file_for(dir, fingerprint);
    let bytes = open(&path)?;
    let (crc, contents) = bytes.split_first_chunk::<4>()?;
    if crc32fast::hash(contents).to_le_bytes() != *crc {
        return None;
    }
    mark_used(&path);
    let contents = crc.len()..bytes.len();
    super::lazy::read_from(Arc::new(bytes), contents, |contents| {
        postcard::from_bytes(contents).ok()
    })
}

/// The cache file's bytes, mapped where the file system allows it. Reading
/// the file into memory faulted in every page of a fresh 3.5 MB buffer and
/// copied the file into it: a third of a warm start's CPU time.
pub(super) fn open(path: &Path) -> Option<CacheFile> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the map is read-only, and conform never changes a
    // cache file where it lies: `store` writes a new file and renames it
    // over the old, which leaves a mapped file's contents as they were.
    // Another program cutting the file short while it is mapped would make
    // a read of the lost pages fault, as it would for any program mapping
    // its files (ripgrep, git); the user's own cache folder is not shared.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => Some(CacheFile::Mapped(map)),
        Err(_) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut &file, &mut bytes).ok()?;
            Some(CacheFile::Read(bytes))
        }
    }
}

/// Writes plans to the cache. Failure to write is not an error for the
/// caller (a read-only home still validates), so it is only returned.
pub fn store(dir: &Path, fingerprint: &[u8; 32], plans: &Plans) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let contents = postcard::to_stdvec(plans).map_err(std::io::Error::other)?;
    let mut bytes = crc32fast::hash(&contents).to_le_bytes().to_vec();
    bytes.extend_from_slice(&contents);
    let path = file_for(dir, fingerprint);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    prune(dir, &path, std::time::SystemTime::now());
    Ok(())
}

/// A file's modification time says when it was last used: a load moves it
/// to now (at most once a day: it is the only write a warm start makes).
fn mark_used(path: &Path) {
    let now = std::time::SystemTime::now();
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let stale = file
        .metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d.as_secs() > 24 * 3600));
    if stale {
        // (a read-only cache folder keeps its times: nothing is lost)
        let _ = file.set_modified(now);
    }
}

/// Removes from the cache folder the plan files this build can never read
/// (another format's, or another name scheme's), this format's files
/// unused for [`UNUSED_FOR`], and files left half-written by a run that
/// ended before renaming them (over an hour old: a concurrent run may be
/// writing one now). `kept`, just written, stays. Removing a file another
/// process has mapped leaves its mapping intact (Unix), and a process that
/// finds its file gone rebuilds it. Failures are ignored: pruning only
/// saves space.
fn prune(dir: &Path, kept: &Path, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let current = prefix();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if path == kept || !name.starts_with("plans-") {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or_default();
        let half_written = name.contains(".tmp");
        let remove = if half_written {
            age.as_secs() > 3600
        } else {
            name.ends_with(".bin") && (!name.starts_with(&current) || age > UNUSED_FOR)
        };
        if remove {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str, age_days: u64, now: std::time::SystemTime) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, b"x").unwrap();
        let when = now - std::time::Duration::from_secs(age_days * 24 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
        path
    }

    #[test]
    fn a_store_prunes_what_this_build_cannot_use() {
        let dir = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now();
        let current = prefix();
        let kept = touch(dir.path(), &format!("{current}aaaa.bin"), 0, now);
        let in_use = touch(dir.path(), &format!("{current}bbbb.bin"), 29, now);
        let unused = touch(dir.path(), &format!("{current}cccc.bin"), 31, now);
        let old_format = touch(dir.path(), "plans-v1-dddd.bin", 0, now);
        let old_scheme = touch(
            dir.path(),
            "plans-27eea56c9cb4d18931c6a6e65b300b6a.bin",
            0,
            now,
        );
        let writing = touch(dir.path(), &format!("{current}eeee.tmp123"), 0, now);
        let abandoned = touch(dir.path(), &format!("{current}ffff.tmp456"), 2, now);
        let other = touch(dir.path(), "notes.txt", 400, now);
        std::fs::create_dir(dir.path().join("tx")).unwrap();
        prune(dir.path(), &kept, now);
        let left = |p: &PathBuf| p.exists();
        assert!(left(&kept) && left(&in_use) && left(&writing) && left(&other));
        assert!(!left(&unused) && !left(&old_format) && !left(&old_scheme) && !left(&abandoned));
        assert!(dir.path().join("tx").is_dir());
    }

    #[test]
    fn a_load_marks_its_file_used() {
        let dir = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now();
        let path = touch(dir.path(), "plans-used.bin", 40, now);
        mark_used(&path);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(now
            .duration_since(modified)
            .map_or(true, |d| d.as_secs() < 60));
    }
}
