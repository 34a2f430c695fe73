//! The on-disk cache of compiled plans, keyed by the packages' fingerprint,
//! so a warm start is one file read instead of parsing every definition.

use super::lazy::CacheFile;
use super::Plans;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bumped whenever the plan structures or the compiler's output change, so
/// an old cache is never read as a new one.
const FORMAT_VERSION: u32 = 47;

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

fn file_for(dir: &Path, fingerprint: &[u8; 32]) -> PathBuf {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&FORMAT_VERSION.to_le_bytes());
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(fingerprint);
    let key = hasher.finalize().to_hex();
    dir.join(format!("plans-{}.bin", &key[..32]))
}

/// Reads cached plans; `None` when absent or unreadable (a corrupt cache is
/// simply rebuilt). The file is its contents' CRC-32, then the contents:
/// parts of the plans are decoded only when first used
/// ([`super::lazy::Lazy`]), so damage must be found here, not later. (A
/// CRC finds damage, which is all a cache in the user's own folder needs;
/// a cryptographic hash cost 3% of a one-pass run.)
pub fn load(dir: &Path, fingerprint: &[u8; 32]) -> Option<Plans> {
    let bytes = open(&file_for(dir, fingerprint))?;
    let (crc, contents) = bytes.split_first_chunk::<4>()?;
    if crc32fast::hash(contents).to_le_bytes() != *crc {
        return None;
    }
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
    std::fs::rename(&tmp, &path)
}
