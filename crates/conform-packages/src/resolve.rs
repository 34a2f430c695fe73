//! Turning requested packages into the ordered list of packages to load:
//! each located, its dependencies added, each fingerprinted. Only
//! `package.json` is read, so this stays cheap enough to run on every start
//! (its result keys the compiled-plan cache).

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::config::SourceConfig;
use crate::error::PackageError;
use crate::files;
use crate::fingerprint;
use crate::id::PackageId;
use crate::install;
use crate::locate;
use crate::location::Location;
use crate::loose;
use crate::manifest::Manifest;
use crate::memo;
use crate::spec::PackageSpec;
use crate::substitute::{self, Substituted};
use crate::tarball;
use crate::version;

/// A located package, ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    /// Name and concrete version (`loose:<path>#local` for loose resources).
    pub id: PackageId,
    /// Where its files are.
    pub location: Location,
    /// Its dependencies, with concrete versions, sorted by name.
    pub dependencies: Vec<PackageId>,
    /// Content key (see [`crate::fingerprint_of`]).
    pub fingerprint: [u8; 32],
    /// The requests this package was loaded for in place of the version
    /// asked for, by a substitution ([`SourceConfig::substitutions`]); empty
    /// when it was loaded as asked.
    pub substituted_for: Vec<Substituted>,
    /// Its dependencies that were found nowhere and left out (only with
    /// [`SourceConfig::allow_missing_deps`]; otherwise that is an error).
    pub missing_dependencies: Vec<PackageId>,
    /// Its `package.json` `fhirVersions` (none for loose resources); see
    /// [`ResolvedPackage::releases`].
    pub fhir_versions: Vec<String>,
}

/// Resolves `specs` plus their transitive dependencies, deduplicated by
/// `id#version`, dependencies before dependents, otherwise in the order asked
/// (so later specs override earlier ones when loaded).
///
/// An id is looked up in the cache, then in each source folder, then (unless
/// offline) downloaded from the registry into the cache. A package given as a
/// file or folder wins over a cached one with the same id.
///
/// An id with a substitution ([`SourceConfig::substitutions`]) is replaced
/// by the substitute, recorded in its [`ResolvedPackage::substituted_for`];
/// a substitute found nowhere is an error naming the rule. A dependency
/// found nowhere is an error naming who needs it, unless
/// [`SourceConfig::allow_missing_deps`]: then it is left out and recorded in
/// the dependent's [`ResolvedPackage::missing_dependencies`].
pub fn resolve(
    cfg: &SourceConfig,
    specs: &[PackageSpec],
) -> Result<Vec<ResolvedPackage>, PackageError> {
    let mut r = Resolver {
        cfg,
        known: FxHashMap::default(),
        aliases: FxHashMap::default(),
    };
    // Locate the requested packages first, so explicit files and folders
    // are what dependencies on the same id resolve to.
    let mut roots = Vec::with_capacity(specs.len());
    for spec in specs {
        let pkg = r.locate_spec(spec)?;
        roots.push(pkg.id.clone());
        r.known.entry(pkg.id.clone()).or_insert(pkg);
    }
    let mut order = Vec::new();
    let mut done = FxHashSet::default();
    let mut visiting = FxHashSet::default();
    for id in &roots {
        r.visit(id, &mut order, &mut done, &mut visiting)?;
    }
    Ok(order
        .into_iter()
        .filter_map(|id| r.known.remove(&id))
        .collect())
}

struct Resolver<'a> {
    cfg: &'a SourceConfig,
    /// Located packages by concrete id.
    known: FxHashMap<PackageId, ResolvedPackage>,
    /// Non-exact requests (`4.0.x`, latest) already mapped to a concrete id.
    aliases: FxHashMap<PackageId, PackageId>,
}

impl Resolver<'_> {
    /// Depth-first, post-order: dependencies land in `order` before `id`.
    fn visit(
        &mut self,
        id: &PackageId,
        order: &mut Vec<PackageId>,
        done: &mut FxHashSet<PackageId>,
        visiting: &mut FxHashSet<PackageId>,
    ) -> Result<(), PackageError> {
        if done.contains(id) || !visiting.insert(id.clone()) {
            // Already placed, or a dependency cycle: cycles are tolerated
            // (the package is placed once, when its first visit finishes).
            return Ok(());
        }
        let declared = self
            .known
            .get(id)
            .map(|p| p.dependencies.clone())
            .unwrap_or_default();
        let mut deps = Vec::with_capacity(declared.len());
        let mut missing = Vec::new();
        for dep in &declared {
            match self.concrete(dep, id) {
                Ok(c) => deps.push(c),
                Err(PackageError::NotFound { .. }) if self.cfg.allow_missing_deps => {
                    missing.push(dep.clone())
                }
                Err(e) => return Err(e),
            }
        }
        deps.sort();
        deps.dedup();
        missing.sort();
        if let Some(pkg) = self.known.get_mut(id) {
            pkg.dependencies.clone_from(&deps);
            pkg.missing_dependencies = missing;
        }
        for dep in &deps {
            self.visit(dep, order, done, visiting)?;
        }
        visiting.remove(id);
        done.insert(id.clone());
        order.push(id.clone());
        Ok(())
    }

    /// The concrete id a dependency resolves to, locating it if new. A
    /// wildcard is satisfied by an already located package when one fits.
    fn concrete(
        &mut self,
        dep: &PackageId,
        required_by: &PackageId,
    ) -> Result<PackageId, PackageError> {
        if let Some(target) = self.substitute(dep, Some(required_by))? {
            return Ok(target);
        }
        if let Some(c) = self.aliases.get(dep) {
            return Ok(c.clone());
        }
        if dep.is_exact() && self.known.contains_key(dep) {
            return Ok(dep.clone());
        }
        let already = if dep.is_exact() {
            None
        } else {
            let versions = self
                .known
                .keys()
                .filter(|k| k.name == dep.name)
                .map(|k| k.version.as_str());
            version::best_match(&dep.version, versions).map(|v| PackageId::new(dep.name.clone(), v))
        };
        let concrete = match already {
            Some(c) => c,
            None => {
                let pkg = self.locate_id(dep, Some(required_by))?;
                let c = pkg.id.clone();
                self.known.entry(c.clone()).or_insert(pkg);
                c
            }
        };
        self.aliases.insert(dep.clone(), concrete.clone());
        Ok(concrete)
    }

    /// When a substitution applies to `requested`: the substitute, located
    /// if new, with this request recorded on it. A substitute found nowhere
    /// is an error naming the rule, even when missing dependencies are
    /// allowed (the rule itself is wrong).
    fn substitute(
        &mut self,
        requested: &PackageId,
        required_by: Option<&PackageId>,
    ) -> Result<Option<PackageId>, PackageError> {
        let Some(rule) = substitute::find(&self.cfg.substitutions, requested) else {
            return Ok(None);
        };
        let target = rule.target();
        if !self.known.contains_key(&target) {
            // The error names the rule, not who asked for the version it replaces.
            let pkg = self.locate_id(&target, None).map_err(|e| match e {
                PackageError::NotFound { .. } => PackageError::Substitution {
                    rule: rule.to_string(),
                    source: Box::new(e),
                },
                other => other,
            })?;
            self.known.insert(target.clone(), pkg);
        }
        let note = Substituted {
            requested: requested.clone(),
            required_by: required_by.cloned(),
        };
        if let Some(pkg) = self.known.get_mut(&target) {
            if !pkg.substituted_for.contains(&note) {
                pkg.substituted_for.push(note);
            }
        }
        Ok(Some(target))
    }

    fn locate_spec(&mut self, spec: &PackageSpec) -> Result<ResolvedPackage, PackageError> {
        match spec {
            PackageSpec::Id(id) => match self.substitute(id, None)? {
                Some(target) => Ok(self.known[&target].clone()),
                None => self.locate_id(id, None),
            },
            PackageSpec::Tarball(path) => read_tarball(self.cfg, path, None),
            PackageSpec::Folder(path) => {
                let dir = if path.join("package.json").is_file() {
                    path.clone()
                } else {
                    path.join("package")
                };
                read_folder(&dir, None)
            }
            PackageSpec::Loose(path) => read_loose(path),
        }
    }

    /// Finds `id` (exact, latest or wildcard) in the cache or a source
    /// folder, else (when online) downloads it into the cache.
    fn locate_id(
        &mut self,
        id: &PackageId,
        required_by: Option<&PackageId>,
    ) -> Result<ResolvedPackage, PackageError> {
        if let Some(found) = locate::find_best(self.cfg, id) {
            let pkg = match &found.location {
                Location::Folder(dir) => read_folder(dir, Some(&found.id))?,
                Location::Tarball(path) => read_tarball(self.cfg, path, Some(&found.id))?,
                Location::Loose(path) => read_loose(path)?,
            };
            return Ok(pkg);
        }
        if self.cfg.offline {
            return Err(PackageError::NotFound {
                package: id.to_string(),
                required_by: required_by.map(ToString::to_string),
                searched: locate::searched_places(self.cfg, id),
                offline: true,
            });
        }
        let (concrete, dir) = install::install_one(self.cfg, id, required_by)?;
        read_folder(&dir.join("package"), Some(&concrete))
    }
}

/// Reads a tarball's manifest and key; `expected` is checked when the
/// tarball was found by name (a misnamed file must not pass as another
/// package). The manifest comes from the memo when this content was seen before.
fn read_tarball(
    cfg: &SourceConfig,
    path: &Path,
    expected: Option<&PackageId>,
) -> Result<ResolvedPackage, PackageError> {
    let label = path.display().to_string();
    let mut bytes = None;
    let key = match memo::content_hash(&cfg.cache_dir, path) {
        Some(key) => key,
        None => {
            let (read, key) = fingerprint::read_and_hash(path)?;
            memo::put_content_hash(&cfg.cache_dir, path, &key);
            bytes = Some(read);
            key
        }
    };
    let remembered = memo::get(&cfg.cache_dir, &key)
        .and_then(|m| Manifest::parse(&m, &label, "package/package.json").ok());
    let manifest = match remembered {
        Some(m) => m,
        None => {
            let bytes = match bytes {
                Some(b) => b,
                None => tarball::read_file(path, &label)?,
            };
            let manifest_bytes = tarball::read_manifest_bytes(&bytes, &label)?;
            let m = Manifest::parse(&manifest_bytes, &label, "package/package.json")?;
            memo::put(&cfg.cache_dir, &key, &manifest_bytes);
            m
        }
    };
    check_expected(expected, &manifest, &label)?;
    Ok(ResolvedPackage {
        id: manifest.id,
        location: Location::Tarball(path.to_path_buf()),
        dependencies: manifest.dependencies,
        fingerprint: key,
        substituted_for: Vec::new(),
        missing_dependencies: Vec::new(),
        fhir_versions: manifest.fhir_versions,
    })
}

/// Reads an unpacked package folder (the one holding `package.json`).
fn read_folder(dir: &Path, expected: Option<&PackageId>) -> Result<ResolvedPackage, PackageError> {
    let label = dir.display().to_string();
    let manifest_path = dir.join("package.json");
    let bytes = std::fs::read(&manifest_path)
        .map_err(|e| PackageError::io("reading", &manifest_path, e))?;
    let manifest = Manifest::parse(&bytes, &label, "package.json")?;
    check_expected(expected, &manifest, &label)?;
    let listing = files::list_folder(dir)?;
    Ok(ResolvedPackage {
        id: manifest.id,
        location: Location::Folder(dir.to_path_buf()),
        dependencies: manifest.dependencies,
        fingerprint: fingerprint::of_folder(&listing)?,
        substituted_for: Vec::new(),
        missing_dependencies: Vec::new(),
        fhir_versions: manifest.fhir_versions,
    })
}

/// Loose resources get a synthetic id naming their path.
fn read_loose(path: &Path) -> Result<ResolvedPackage, PackageError> {
    let files = loose::read_files(path)?;
    Ok(ResolvedPackage {
        id: loose_id(path),
        location: Location::Loose(path.to_path_buf()),
        dependencies: Vec::new(),
        fingerprint: fingerprint::of_loose(&files),
        substituted_for: Vec::new(),
        missing_dependencies: Vec::new(),
        fhir_versions: Vec::new(),
    })
}

/// `loose:<path>#local`.
pub(crate) fn loose_id(path: &Path) -> PackageId {
    PackageId::new(format!("loose:{}", path.display()), "local")
}

/// A package found by name must be the one named. Tag-like versions
/// (`current`, `dev`) are the exception: other tools cache CI builds under
/// `<id>#current` while their `package.json` has the real version.
fn check_expected(
    expected: Option<&PackageId>,
    manifest: &Manifest,
    location: &str,
) -> Result<(), PackageError> {
    let Some(want) = expected else {
        return Ok(());
    };
    let is_tag = !want.version.starts_with(|c: char| c.is_ascii_digit());
    let matches = want.name == manifest.id.name && (is_tag || want.version == manifest.id.version);
    if matches {
        Ok(())
    } else {
        Err(PackageError::WrongPackage {
            requested: want.to_string(),
            location: location.to_string(),
            found: manifest.id.to_string(),
        })
    }
}
