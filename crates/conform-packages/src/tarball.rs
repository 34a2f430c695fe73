//! Safe, streaming reading of package tarballs (`.tgz`).
//!
//! Tarballs come from registries, colleagues and USB sticks, so every entry is
//! checked before anything is done with it: no `..`, no absolute paths, no
//! links or devices, and a cap on the decompressed size (a gzip bomb must give
//! an error, not fill the disk or the memory).

use std::cell::Cell;
use std::io::{self, Read};
use std::path::{Component, Path};

use flate2::read::GzDecoder;

use crate::error::PackageError;

/// Decompressed size above which a tarball is refused (real packages are
/// well under 200 MiB; R4 core is 67 MB).
pub(crate) const MAX_UNPACKED_BYTES: u64 = 1 << 30;

/// Entries (files and folders) above which a tarball is refused (R4 core
/// has about 4,600; the largest real packages a few tens of thousands).
pub const MAX_ENTRIES: usize = 100_000;

/// Size of a `.tgz` above which it is refused, read from disk or
/// downloaded (real ones are at most tens of MB).
pub const MAX_TARBALL_BYTES: u64 = 512 << 20;

/// Reads a `.tgz` from disk, refusing one over [`MAX_TARBALL_BYTES`]
/// before reading it.
pub(crate) fn read_file(path: &Path, label: &str) -> Result<Vec<u8>, PackageError> {
    let len = std::fs::metadata(path)
        .map_err(|e| PackageError::io("reading", path, e))?
        .len();
    if len > MAX_TARBALL_BYTES {
        return Err(PackageError::BadArchive {
            package: label.to_string(),
            reason: format!(
                "the tarball is {len} bytes, over the limit of {MAX_TARBALL_BYTES}; refusing it as unsafe"
            ),
        });
    }
    std::fs::read(path).map_err(|e| PackageError::io("reading", path, e))
}

/// One checked entry handed to a visitor.
pub(crate) struct Entry<'a> {
    /// Path components with `.` removed, e.g. `["package", "Patient.json"]`.
    pub parts: Vec<String>,
    /// True for directories (files otherwise).
    pub is_dir: bool,
    /// Size declared in the header.
    pub size: u64,
    /// The entry's data.
    pub data: &'a mut dyn Read,
}

impl Entry<'_> {
    /// Reads the whole entry (bounded by the archive's size cap).
    pub fn read_all(&mut self) -> io::Result<Vec<u8>> {
        // The declared size only sizes the buffer; it is capped because a
        // hostile header may lie.
        let mut buf = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0).min(1 << 26));
        self.data.read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// The path inside the archive, `/`-joined, for messages.
    pub fn display(&self) -> String {
        self.parts.join("/")
    }
}

/// What a visitor wants next.
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Walks every entry of the gzipped tar in `bytes`, checking each one, and
/// calls `visit` for files and folders. `label` names the package in errors.
pub(crate) fn walk<F>(
    bytes: &[u8],
    label: &str,
    limit: u64,
    mut visit: F,
) -> Result<(), PackageError>
where
    F: FnMut(&mut Entry<'_>) -> Result<Flow, PackageError>,
{
    let exceeded = Cell::new(false);
    let reader = LimitedReader {
        inner: GzDecoder::new(bytes),
        remaining: limit,
        exceeded: &exceeded,
    };
    let mut archive = tar::Archive::new(reader);
    let archive_error = |e: io::Error, at: Option<&str>| {
        let reason = if exceeded.get() {
            format!("unpacks to more than {limit} bytes; refusing it as unsafe")
        } else {
            match at {
                Some(entry) => format!("not a readable .tgz (at entry {entry}): {e}"),
                None => format!("not a readable .tgz: {e}"),
            }
        };
        PackageError::BadArchive {
            package: label.to_string(),
            reason,
        }
    };
    let entries = archive.entries().map_err(|e| archive_error(e, None))?;
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(PackageError::BadArchive {
                package: label.to_string(),
                reason: format!("has more than {MAX_ENTRIES} entries; refusing it as unsafe"),
            });
        }
        let mut entry = entry.map_err(|e| archive_error(e, None))?;
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        let is_dir = match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => false,
            tar::EntryType::Directory => true,
            // pax global headers carry only metadata.
            tar::EntryType::XGlobalHeader => continue,
            other => {
                return Err(PackageError::BadArchive {
                    package: label.to_string(),
                    reason: format!(
                    "entry {raw_path} is a {other:?}, not a file or folder; refusing it as unsafe"
                ),
                })
            }
        };
        let path = entry
            .path()
            .map_err(|e| archive_error(e, Some(&raw_path)))?;
        let parts = safe_parts(&path).ok_or_else(|| PackageError::BadArchive {
            package: label.to_string(),
            reason: format!(
                "entry {raw_path} points outside the package (absolute or '..'); refusing it as unsafe"
            ),
        })?;
        if parts.is_empty() {
            continue;
        }
        let size = entry.size();
        let mut checked = Entry {
            parts,
            is_dir,
            size,
            data: &mut entry,
        };
        match visit(&mut checked) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop) => return Ok(()),
            // A read error inside the visitor may really be the size cap.
            Err(e) if exceeded.get() => {
                return Err(archive_error(io::Error::other(e.to_string()), None))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Maps an I/O error met while reading an entry's data to a package error.
pub(crate) fn entry_read_error(label: &str, entry: &str, e: io::Error) -> PackageError {
    PackageError::BadArchive {
        package: label.to_string(),
        reason: format!("not a readable .tgz (reading {entry}): {e}"),
    }
}

/// The path's normal components, or None when it is absolute or climbs out.
fn safe_parts(path: &Path) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

/// Counts decompressed bytes and fails once `remaining` is used up, so a
/// hostile archive cannot make us read (or write) without bound.
struct LimitedReader<'c, R> {
    inner: R,
    remaining: u64,
    exceeded: &'c Cell<bool>,
}

impl<R: Read> Read for LimitedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.remaining.checked_sub(n as u64) {
            Some(rest) => {
                self.remaining = rest;
                Ok(n)
            }
            None => {
                self.exceeded.set(true);
                Err(io::Error::other("decompressed size limit exceeded"))
            }
        }
    }
}

/// Reads `package/package.json` from a tarball, stopping as soon as it is
/// found: resolution must not pay for decompressing every resource.
pub(crate) fn read_manifest_bytes(bytes: &[u8], label: &str) -> Result<Vec<u8>, PackageError> {
    let mut found = None;
    walk(bytes, label, MAX_UNPACKED_BYTES, |entry| {
        if !entry.is_dir && entry.parts == ["package", "package.json"] {
            let data = entry
                .read_all()
                .map_err(|e| entry_read_error(label, "package/package.json", e))?;
            found = Some(data);
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    })?;
    found.ok_or_else(|| PackageError::BadManifest {
        package: label.to_string(),
        file: "package/package.json".to_string(),
        reason: "missing from the tarball (is this a FHIR package?)".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;

    fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn size_cap_is_an_error_not_a_panic() {
        let big = vec![b' '; 100_000];
        let bytes = tgz(&[("package/package.json", b"{}"), ("package/big.json", &big)]);
        let mut read = |e: &mut Entry<'_>| {
            e.read_all()
                .map_err(|err| entry_read_error("t", &e.display(), err))?;
            Ok(Flow::Continue)
        };
        assert!(walk(&bytes, "t", MAX_UNPACKED_BYTES, &mut read).is_ok());
        let err = walk(&bytes, "small.tgz", 10_000, &mut read).unwrap_err();
        assert!(err.to_string().contains("more than 10000 bytes"), "{err}");
        assert!(err.to_string().contains("small.tgz"), "{err}");
    }

    #[test]
    fn too_many_entries_is_an_error_not_a_hang() {
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("package/{i}")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let bytes = tgz(&files);
        let mut seen = 0;
        let err = walk(&bytes, "many.tgz", MAX_UNPACKED_BYTES, |_| {
            seen += 1;
            Ok(Flow::Continue)
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("more than {MAX_ENTRIES} entries")),
            "{err}"
        );
        assert_eq!(seen, MAX_ENTRIES);
        // One fewer is read through.
        let ok = tgz(&files[..MAX_ENTRIES]);
        assert!(walk(&ok, "t", MAX_UNPACKED_BYTES, |_| Ok(Flow::Continue)).is_ok());
    }

    #[test]
    fn a_tarball_over_the_size_limit_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.tgz");
        let f = std::fs::File::create(&path).unwrap();
        // Sparse: no disk is used.
        f.set_len(MAX_TARBALL_BYTES + 1).unwrap();
        let err = read_file(&path, "huge.tgz").unwrap_err().to_string();
        assert!(err.contains("over the limit of"), "{err}");
        f.set_len(10).unwrap();
        assert_eq!(read_file(&path, "huge.tgz").unwrap().len(), 10);
    }

    #[test]
    fn manifest_is_found_without_reading_the_rest() {
        let bytes = tgz(&[
            ("package/package.json", b"{\"name\":\"a\"}"),
            ("package/x.json", b"{"),
        ]);
        assert_eq!(
            read_manifest_bytes(&bytes, "t").unwrap(),
            b"{\"name\":\"a\"}"
        );
        let none = tgz(&[("package/x.json", b"{}")]);
        assert!(read_manifest_bytes(&none, "t").is_err());
    }
}
