//! Putting packages into the FHIR package cache: downloaded from the
//! registry (`conform package install`) or from a local file (`conform
//! package import`, for networks that cannot reach the registry).
//!
//! Everything is unpacked into a temporary folder inside the cache and
//! renamed into place only once verified, so a failed or interrupted install
//! never leaves a half-filled `<id>#<version>` folder that later runs would
//! trust.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;
use sha1::{Digest, Sha1};

use crate::config::SourceConfig;
use crate::error::PackageError;
use crate::id::PackageId;
use crate::locate;
use crate::manifest::Manifest;
use crate::registry::{Fetched, Registry};
use crate::tarball::{self, Flow};
use crate::version;

/// Installs `id` and its dependencies from the registry into the cache and
/// returns the package's cache folder (`<cache>/<id>#<version>`). Packages
/// already in the cache are not downloaded again.
pub fn install(cfg: &SourceConfig, id: &PackageId) -> Result<PathBuf, PackageError> {
    let (root, root_dir) = ensure_cached(cfg, id, None)?;
    // Walk the dependencies even when the root was already cached: an earlier
    // install may have stopped before finishing them.
    let mut seen = FxHashSet::default();
    seen.insert(root.clone());
    let mut todo = vec![(root, root_dir.clone())];
    while let Some((parent, dir)) = todo.pop() {
        let manifest = read_cached_manifest(&dir)?;
        for dep in manifest.dependencies {
            let (concrete, dep_dir) = ensure_cached(cfg, &dep, Some(&parent))?;
            if seen.insert(concrete.clone()) {
                todo.push((concrete, dep_dir));
            }
        }
    }
    Ok(root_dir)
}

/// Verifies a local tarball and unpacks it into the cache (no dependencies,
/// no network). Returns the id from its `package.json`.
pub fn import(cfg: &SourceConfig, tgz: &Path) -> Result<PackageId, PackageError> {
    let label = tgz.display().to_string();
    let bytes = tarball::read_file(tgz, &label)?;
    let (id, _) = unpack_into_cache(cfg, &bytes, &label, None)?;
    Ok(id)
}

/// The cached package matching `id`, installing it when missing.
fn ensure_cached(
    cfg: &SourceConfig,
    id: &PackageId,
    required_by: Option<&PackageId>,
) -> Result<(PackageId, PathBuf), PackageError> {
    let cached_only = SourceConfig {
        source_dirs: Vec::new(),
        ..cfg.clone()
    };
    // A version range is asked of the registry when online, so "latest"
    // means the registry's latest, not whatever happens to be cached.
    if id.is_exact() || cfg.offline {
        if let Some(found) = locate::find_best(&cached_only, id) {
            return Ok((found.id.clone(), locate::cache_entry_dir(cfg, &found.id)));
        }
    }
    if cfg.offline {
        return Err(PackageError::NotFound {
            package: id.to_string(),
            required_by: required_by.map(ToString::to_string),
            searched: locate::searched_places(&cached_only, id),
            offline: true,
        });
    }
    install_one(cfg, id, required_by)
}

/// Downloads one package (no dependencies) into the cache: metadata, pick
/// the version, download, check sha1, unpack, check `package.json`.
pub(crate) fn install_one(
    cfg: &SourceConfig,
    id: &PackageId,
    required_by: Option<&PackageId>,
) -> Result<(PackageId, PathBuf), PackageError> {
    let label = id.to_string();
    let registry = Registry::new(&cfg.registry, &label)?;
    let not_found = |why: String| {
        let mut searched = locate::searched_places(cfg, id);
        searched.push(why);
        PackageError::NotFound {
            package: label.clone(),
            required_by: required_by.map(ToString::to_string),
            searched,
            offline: false,
        }
    };
    let meta = registry.metadata(&id.name, &label)?.ok_or_else(|| {
        not_found(format!(
            "registry {} (no such package)",
            registry.metadata_url(&id.name)
        ))
    })?;
    let version = pick_version(&meta, &id.version).ok_or_else(|| {
        let mut known: Vec<&str> = meta.versions.keys().map(String::as_str).collect();
        known.sort_by(|a, b| version::compare(a, b));
        not_found(format!(
            "registry {} (has versions: {})",
            registry.metadata_url(&id.name),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
    })?;
    let concrete = PackageId::new(id.name.clone(), version);
    let target = locate::cache_entry_dir(cfg, &concrete);
    if target.join("package").join("package.json").is_file() {
        return Ok((concrete, target));
    }
    let dist = meta
        .versions
        .get(&concrete.version)
        .and_then(|v| v.dist.as_ref());
    let url = dist
        .and_then(|d| d.tarball.clone())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| registry.tarball_url(&concrete.name, &concrete.version));
    let label = concrete.to_string();
    let bytes = match registry.download(&url, &label)? {
        Fetched::Body(b) => b,
        Fetched::Missing => return Err(not_found(format!("registry download {url} (HTTP 404)"))),
    };
    if let Some(expected) = dist
        .and_then(|d| d.shasum.as_deref())
        .filter(|s| !s.is_empty())
    {
        let actual = sha1_hex(&bytes);
        if !actual.eq_ignore_ascii_case(expected.trim()) {
            return Err(PackageError::Checksum {
                package: label,
                url,
                expected: expected.to_string(),
                actual,
            });
        }
    }
    unpack_into_cache(
        cfg,
        &bytes,
        &format!("{label} (from {url})"),
        Some(&concrete),
    )
}

/// The version to install: the exact one asked for when the registry has it;
/// for "latest" the registry's `latest` tag; for wildcards the best match.
fn pick_version(meta: &crate::registry::Metadata, wanted: &str) -> Option<String> {
    if version::is_exact(wanted) {
        return meta
            .versions
            .contains_key(wanted)
            .then(|| wanted.to_string());
    }
    if wanted.is_empty() || wanted == "latest" {
        if let Some(latest) = meta.latest() {
            return Some(latest.to_string());
        }
    }
    version::best_match(wanted, meta.versions.keys().map(String::as_str)).map(str::to_string)
}

fn sha1_hex(bytes: &[u8]) -> String {
    Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_cached_manifest(dir: &Path) -> Result<Manifest, PackageError> {
    let path = dir.join("package").join("package.json");
    let bytes = fs::read(&path).map_err(|e| PackageError::io("reading", &path, e))?;
    Manifest::parse(&bytes, &dir.display().to_string(), "package/package.json")
}

/// Unpacks a verified tarball into `<cache>/<id>#<version>` through a
/// temporary folder. `expected` (when installing by id) must match the
/// tarball's `package.json`. Already cached: nothing is written.
fn unpack_into_cache(
    cfg: &SourceConfig,
    bytes: &[u8],
    label: &str,
    expected: Option<&PackageId>,
) -> Result<(PackageId, PathBuf), PackageError> {
    let cache = &cfg.cache_dir;
    fs::create_dir_all(cache).map_err(|e| PackageError::io("creating folder", cache, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".conform-unpack-")
        .tempdir_in(cache)
        .map_err(|e| PackageError::io("creating a temporary folder in", cache, e))?;
    let manifest_bytes =
        unpack(bytes, label, temp.path())?.ok_or_else(|| PackageError::BadManifest {
            package: label.to_string(),
            file: "package/package.json".to_string(),
            reason: "missing from the tarball (is this a FHIR package?)".to_string(),
        })?;
    let manifest = Manifest::parse(&manifest_bytes, label, "package/package.json")?;
    if let Some(want) = expected {
        if *want != manifest.id {
            return Err(PackageError::WrongPackage {
                requested: want.to_string(),
                location: label.to_string(),
                found: manifest.id.to_string(),
            });
        }
    }
    let target = locate::cache_entry_dir(cfg, &manifest.id);
    if target.join("package").join("package.json").is_file() {
        return Ok((manifest.id, target));
    }
    if let Err(e) = fs::rename(temp.path(), &target) {
        // Another process may have installed it meanwhile: that is success.
        if !target.join("package").join("package.json").is_file() {
            return Err(PackageError::io(
                "moving the unpacked package to",
                &target,
                e,
            ));
        }
    }
    Ok((manifest.id, target))
}

/// Writes every (checked) entry below `dest`; returns `package/package.json`'s bytes.
fn unpack(bytes: &[u8], label: &str, dest: &Path) -> Result<Option<Vec<u8>>, PackageError> {
    let mut manifest = None;
    tarball::walk(bytes, label, tarball::MAX_UNPACKED_BYTES, |entry| {
        let path = entry
            .parts
            .iter()
            .fold(dest.to_path_buf(), |p, c| p.join(c));
        if entry.is_dir {
            fs::create_dir_all(&path).map_err(|e| PackageError::io("creating folder", &path, e))?;
            return Ok(Flow::Continue);
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| PackageError::io("creating folder", parent, e))?;
        }
        let read_error =
            |e: io::Error| tarball::entry_read_error(label, &entry_name(&path, dest), e);
        if entry.parts == ["package", "package.json"] {
            let data = entry.read_all().map_err(read_error)?;
            fs::write(&path, &data).map_err(|e| PackageError::io("writing", &path, e))?;
            manifest = Some(data);
        } else {
            let mut file =
                fs::File::create(&path).map_err(|e| PackageError::io("writing", &path, e))?;
            copy(entry.data, &mut file, &path, label, dest)?;
        }
        Ok(Flow::Continue)
    })?;
    Ok(manifest)
}

/// Copies an entry's data to a file, telling read errors (bad archive) from
/// write errors (disk full, permissions).
fn copy(
    from: &mut dyn io::Read,
    to: &mut fs::File,
    path: &Path,
    label: &str,
    dest: &Path,
) -> Result<(), PackageError> {
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(tarball::entry_read_error(label, &entry_name(path, dest), e)),
        };
        io::Write::write_all(to, &buf[..n]).map_err(|e| PackageError::io("writing", path, e))?;
    }
}

fn entry_name(path: &Path, dest: &Path) -> String {
    path.strip_prefix(dest)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
