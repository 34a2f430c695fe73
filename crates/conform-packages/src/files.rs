//! Reading all the files of one package that loading needs, from a tarball or
//! an unpacked folder, into memory as raw bytes (parsing comes later, lazily).

use std::path::{Path, PathBuf};

use crate::error::PackageError;
use crate::layout::{self, Role};
use crate::tarball::{self, Flow};

/// The raw bytes of a package's interesting files.
#[derive(Default)]
pub(crate) struct PackageFiles {
    /// `.index.json`, when the package has one.
    pub index: Option<Vec<u8>>,
    /// Top-level resources: (file name relative to `package/`, bytes).
    pub resources: Vec<(String, Vec<u8>)>,
    /// Examples: (path relative to `package/`, e.g. `example/Patient-1.json`, bytes).
    pub examples: Vec<(String, Vec<u8>)>,
}

impl PackageFiles {
    fn add(&mut self, role: Role, name: String, bytes: Vec<u8>) {
        match role {
            Role::Index => self.index = Some(bytes),
            Role::Resource => self.resources.push((name, bytes)),
            Role::Example => self.examples.push((name, bytes)),
            Role::Manifest | Role::Ignored => {}
        }
    }
}

/// Decompresses a tarball once and keeps the files that matter.
pub(crate) fn read_tarball(path: &Path, label: &str) -> Result<PackageFiles, PackageError> {
    read_tarball_bytes(&tarball::read_file(path, label)?, label)
}

/// [`read_tarball`] on a tarball already in memory.
pub(crate) fn read_tarball_bytes(bytes: &[u8], label: &str) -> Result<PackageFiles, PackageError> {
    let mut files = PackageFiles::default();
    tarball::walk(bytes, label, tarball::MAX_UNPACKED_BYTES, |entry| {
        if entry.is_dir {
            return Ok(Flow::Continue);
        }
        let role = layout::tar_role(&entry.parts);
        if matches!(role, Role::Index | Role::Resource | Role::Example) {
            let name = entry.parts[1..].join("/");
            let data = entry
                .read_all()
                .map_err(|e| tarball::entry_read_error(label, &entry.display(), e))?;
            files.add(role, name, data);
        }
        Ok(Flow::Continue)
    })?;
    Ok(files)
}

/// One file of an unpacked package folder, found by [`list_folder`].
pub(crate) struct FolderFile {
    /// Path relative to the package folder, `/`-separated.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// What it is.
    pub role: Role,
    /// File metadata (size and mtime feed the fingerprint).
    pub meta: std::fs::Metadata,
}

/// Lists the manifest, index, resources and examples of an unpacked package
/// folder (the folder holding `package.json`), sorted by name.
pub(crate) fn list_folder(dir: &Path) -> Result<Vec<FolderFile>, PackageError> {
    let mut out = Vec::new();
    list_into(dir, None, &mut out)?;
    for sub in ["example", "examples"] {
        let path = dir.join(sub);
        if path.is_dir() {
            list_into(&path, Some(sub), &mut out)?;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn list_into(dir: &Path, sub: Option<&str>, out: &mut Vec<FolderFile>) -> Result<(), PackageError> {
    let read = std::fs::read_dir(dir).map_err(|e| PackageError::io("listing folder", dir, e))?;
    for item in read {
        let item = item.map_err(|e| PackageError::io("listing folder", dir, e))?;
        let file_name = item.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let role = match sub {
            Some(s) => layout::role(&[s, file_name]),
            None => layout::role(&[file_name]),
        };
        if role == Role::Ignored {
            continue;
        }
        let path = item.path();
        // Follows symlinks: a hand-made folder may link to shared files.
        let meta = std::fs::metadata(&path).map_err(|e| PackageError::io("reading", &path, e))?;
        if !meta.is_file() {
            continue;
        }
        let name = match sub {
            Some(s) => format!("{s}/{file_name}"),
            None => file_name.to_string(),
        };
        out.push(FolderFile {
            name,
            path,
            role,
            meta,
        });
    }
    Ok(())
}

/// Reads the files of an unpacked package folder.
pub(crate) fn read_folder(dir: &Path) -> Result<PackageFiles, PackageError> {
    let mut files = PackageFiles::default();
    for f in list_folder(dir)? {
        if f.role == Role::Manifest {
            continue;
        }
        let bytes = std::fs::read(&f.path).map_err(|e| PackageError::io("reading", &f.path, e))?;
        files.add(f.role, f.name, bytes);
    }
    Ok(files)
}
