//! Finding packages on this machine: the FHIR package cache first, then the
//! package source folders. Only names are looked at here, nothing is read.

use std::path::{Path, PathBuf};

use crate::config::SourceConfig;
use crate::id::{is_valid_name, is_valid_version, PackageId};
use crate::location::{AvailablePackage, Location, Origin};
use crate::spec::is_tarball_name;
use crate::version;

/// `<cache>/<id>#<version>`: the folder `install` creates.
pub(crate) fn cache_entry_dir(cfg: &SourceConfig, id: &PackageId) -> PathBuf {
    cfg.cache_dir.join(id.cache_folder_name())
}

/// An exact id in the cache, else in the first source folder that has it.
pub(crate) fn find_exact(cfg: &SourceConfig, id: &PackageId) -> Option<AvailablePackage> {
    let pkg_dir = cache_entry_dir(cfg, id).join("package");
    if pkg_dir.join("package.json").is_file() {
        return Some(AvailablePackage {
            id: id.clone(),
            location: Location::Folder(pkg_dir),
            origin: Origin::Cache,
        });
    }
    cfg.source_dirs.iter().find_map(|dir| {
        let tgz = dir.join(id.tarball_name());
        tgz.is_file().then(|| AvailablePackage {
            id: id.clone(),
            location: Location::Tarball(tgz),
            origin: Origin::Source(dir.clone()),
        })
    })
}

/// The best local match for `id` (exact, empty = latest, or a wildcard like
/// `4.0.x`), preferring the cache when both have the chosen version.
pub(crate) fn find_best(cfg: &SourceConfig, id: &PackageId) -> Option<AvailablePackage> {
    if id.is_exact() {
        return find_exact(cfg, id);
    }
    let candidates: Vec<AvailablePackage> = list_available(cfg)
        .into_iter()
        .filter(|p| p.id.name == id.name)
        .collect();
    let best = version::best_match(
        &id.version,
        candidates.iter().map(|p| p.id.version.as_str()),
    )?
    .to_string();
    candidates.into_iter().find(|p| p.id.version == best)
}

/// Human-readable places searched for `id`, for NotFound messages.
pub(crate) fn searched_places(cfg: &SourceConfig, id: &PackageId) -> Vec<String> {
    let mut places = vec![format!("cache {}", cfg.cache_dir.display())];
    let wanted = if id.is_exact() {
        id.tarball_name()
    } else {
        format!("{}-<version>.tgz", id.name)
    };
    for dir in &cfg.source_dirs {
        places.push(format!("source {} (for {wanted})", dir.display()));
    }
    places
}

/// Everything usable offline: cache entries and source tarballs, sorted by
/// name, then version (oldest first), then cache before sources.
pub fn list_available(cfg: &SourceConfig) -> Vec<AvailablePackage> {
    let mut out = Vec::new();
    for (name, path) in dir_entries(&cfg.cache_dir) {
        let Some(id) = parse_cache_name(&name) else {
            continue;
        };
        let pkg_dir = path.join("package");
        if pkg_dir.join("package.json").is_file() {
            out.push(AvailablePackage {
                id,
                location: Location::Folder(pkg_dir),
                origin: Origin::Cache,
            });
        }
    }
    for dir in &cfg.source_dirs {
        for (name, path) in dir_entries(dir) {
            if !is_tarball_name(&path) || !path.is_file() {
                continue;
            }
            if let Some(id) = parse_tarball_name(&name) {
                out.push(AvailablePackage {
                    id,
                    location: Location::Tarball(path),
                    origin: Origin::Source(dir.clone()),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.id.name
            .cmp(&b.id.name)
            .then_with(|| version::compare(&a.id.version, &b.id.version))
            .then_with(|| a.origin.cmp(&b.origin))
            .then_with(|| a.location.cmp(&b.location))
    });
    out
}

/// (file name, path) of a folder's entries; a missing or unreadable folder
/// simply has none (a listing is not the place to fail).
fn dir_entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect()
}

/// `<name>#<version>` (the cache's folder names).
fn parse_cache_name(name: &str) -> Option<PackageId> {
    let (n, v) = name.split_once('#')?;
    (is_valid_name(n) && is_valid_version(v)).then(|| PackageId::new(n, v))
}

/// `<name>-<version>.tgz`: names may contain `-` too, but versions start with
/// a digit, so split at the first `-` followed by a digit.
pub(crate) fn parse_tarball_name(file: &str) -> Option<PackageId> {
    let lower = file.to_ascii_lowercase();
    let stem_len = if lower.ends_with(".tar.gz") {
        file.len() - 7
    } else if lower.ends_with(".tgz") {
        file.len() - 4
    } else {
        return None;
    };
    let stem = file.get(..stem_len)?;
    let bytes = stem.as_bytes();
    let split = (0..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'-' && bytes[i + 1].is_ascii_digit())?;
    let (n, v) = (&stem[..split], &stem[split + 1..]);
    (is_valid_name(n) && is_valid_version(v)).then(|| PackageId::new(n, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_tarball_names() {
        let id = parse_tarball_name("hl7.fhir.r4.core-4.0.1.tgz").unwrap();
        assert_eq!(id.to_string(), "hl7.fhir.r4.core#4.0.1");
        let id = parse_tarball_name("de.gematik.isik-basis-4.0.0-ballot.tar.gz").unwrap();
        assert_eq!(id.to_string(), "de.gematik.isik-basis#4.0.0-ballot");
        assert!(parse_tarball_name("package.tgz").is_none());
    }
}
