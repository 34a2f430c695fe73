//! All the conformance resources of a resolved package list, in memory,
//! findable by canonical URL and by type.

use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::error::PackageError;
use crate::files::{self, PackageFiles};
use crate::fingerprint::fingerprint_of;
use crate::id::PackageId;
use crate::index::{self, Header, IndexEntry};
use crate::location::Location;
use crate::loose::{self, XmlToJson};
use crate::resolve::ResolvedPackage;
use crate::resource::{Example, Resource};

/// The loaded definitions. Cheap to query from many threads (`Sync`).
#[derive(Debug)]
pub struct DefinitionSet {
    packages: Vec<ResolvedPackage>,
    resources: Vec<Resource>,
    /// Examples per package, parallel to `packages`.
    examples: Vec<Vec<Example>>,
    /// Canonical url → resource; later packages overwrite earlier ones.
    by_url: FxHashMap<String, usize>,
    /// `url|version` → resource.
    by_url_version: FxHashMap<String, usize>,
    /// resourceType → resources, in load order.
    by_type: FxHashMap<String, Vec<usize>>,
    fingerprint: [u8; 32],
}

impl DefinitionSet {
    /// Reads every resource of `pkgs` (as ordered by [`crate::resolve`]) into
    /// memory as bytes; each is parsed on first access. Each file's JSON
    /// syntax is checked here, so a broken package fails now with its name
    /// and file rather than later as a silently missing definition.
    pub fn load(pkgs: &[ResolvedPackage]) -> Result<DefinitionSet, PackageError> {
        DefinitionSet::load_with(pkgs, None)
    }

    /// [`DefinitionSet::load`], reading loose FHIR XML files with `xml`
    /// (without it, a loose XML file is an error that says why).
    pub fn load_with(
        pkgs: &[ResolvedPackage],
        xml: Option<XmlToJson<'_>>,
    ) -> Result<DefinitionSet, PackageError> {
        let mut set = DefinitionSet {
            packages: pkgs.to_vec(),
            resources: Vec::new(),
            examples: Vec::with_capacity(pkgs.len()),
            by_url: FxHashMap::default(),
            by_url_version: FxHashMap::default(),
            by_type: FxHashMap::default(),
            fingerprint: fingerprint_of(pkgs),
        };
        for pkg in pkgs {
            let label = label(pkg);
            let (resources, examples) = match &pkg.location {
                Location::Tarball(path) => {
                    from_files(files::read_tarball(path, &label)?, &pkg.id, &label)?
                }
                Location::Folder(dir) => from_files(files::read_folder(dir)?, &pkg.id, &label)?,
                Location::Loose(path) => (from_loose(path, &pkg.id, &label, xml)?, Vec::new()),
            };
            for r in resources {
                set.add(r);
            }
            set.examples.push(examples);
        }
        Ok(set)
    }

    fn add(&mut self, r: Resource) {
        let i = self.resources.len();
        let e = r.entry();
        if let Some(url) = &e.url {
            self.by_url.insert(url.clone(), i);
            if let Some(v) = &e.version {
                self.by_url_version.insert(format!("{url}|{v}"), i);
            }
        }
        self.by_type
            .entry(e.resource_type.clone())
            .or_default()
            .push(i);
        self.resources.push(r);
    }

    /// The resource with canonical `url`, or `url|version`. When several
    /// packages define the same url, the one loaded last wins.
    pub fn get(&self, canonical: &str) -> Option<&Value> {
        self.resource(canonical).and_then(Resource::json)
    }

    /// Every canonical [`get`](Self::get) answers: each url, and each
    /// `url|version`.
    pub fn canonicals(&self) -> impl Iterator<Item = &str> {
        self.by_url
            .keys()
            .chain(self.by_url_version.keys())
            .map(String::as_str)
    }

    /// Like [`get`](Self::get), but the resource with its bytes and entry.
    pub fn resource(&self, canonical: &str) -> Option<&Resource> {
        let i = match self.by_url.get(canonical) {
            Some(&i) => i,
            None => *self.by_url_version.get(canonical)?,
        };
        self.resources.get(i)
    }

    /// The resources of one type (e.g. all StructureDefinitions), in load
    /// order, leaving out those overridden by a later one with the same url.
    pub fn by_type<'a>(&'a self, resource_type: &str) -> impl Iterator<Item = &'a Value> + 'a {
        self.resources_of_type(resource_type)
            .filter_map(Resource::json)
    }

    /// Like [`by_type`](Self::by_type), but the resources with bytes and entries.
    pub fn resources_of_type<'a>(
        &'a self,
        resource_type: &str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        let indexes = self
            .by_type
            .get(resource_type)
            .map_or(&[][..], Vec::as_slice);
        indexes
            .iter()
            .filter(|&&i| self.is_effective(i))
            .filter_map(|&i| self.resources.get(i))
    }

    /// True unless a later resource took over this one's url.
    fn is_effective(&self, i: usize) -> bool {
        match self.resources.get(i).and_then(|r| r.entry().url.as_ref()) {
            Some(url) => self.by_url.get(url) == Some(&i),
            None => true,
        }
    }

    /// Every loaded resource's index entry, overridden ones included.
    pub fn entries(&self) -> impl Iterator<Item = &IndexEntry> {
        self.resources.iter().map(Resource::entry)
    }

    /// Every loaded resource, overridden ones included.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The example instances `package` ships (empty when none or unknown).
    pub fn examples(&self, package: &PackageId) -> &[Example] {
        self.packages
            .iter()
            .position(|p| p.id == *package)
            .and_then(|i| self.examples.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// The same key as [`crate::fingerprint_of`] over [`packages`](Self::packages).
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The packages loaded, in load order.
    pub fn packages(&self) -> &[ResolvedPackage] {
        &self.packages
    }
}

/// How errors name a package: id and where it is.
fn label(pkg: &ResolvedPackage) -> String {
    format!("{} ({})", pkg.id, pkg.location.path().display())
}

/// Builds resources from a package's files: index entries where the index
/// has the file (syntax still checked), a header scan otherwise. Files are
/// sorted by name so tarball and folder forms load identically.
fn from_files(
    files: PackageFiles,
    id: &PackageId,
    label: &str,
) -> Result<(Vec<Resource>, Vec<Example>), PackageError> {
    let mut index = match &files.index {
        Some(bytes) => index::parse_index(bytes, label)?,
        None => FxHashMap::default(),
    };
    let mut raw = files.resources;
    raw.sort_by(|a, b| a.0.cmp(&b.0));
    let mut resources = Vec::with_capacity(raw.len());
    for (name, bytes) in raw {
        let header = match index.remove(&name) {
            Some(h) => {
                check_syntax(&bytes, label, &name)?;
                h
            }
            None => match Header::scan(&bytes, label, &name)? {
                Some(h) => h,
                None => continue,
            },
        };
        if let Some(entry) = header.into_entry(name, id) {
            resources.push(Resource::new(entry, bytes));
        }
    }
    let mut examples: Vec<Example> = files
        .examples
        .into_iter()
        .map(|(name, bytes)| Example::new(name, bytes))
        .collect();
    examples.sort_by(|a, b| a.filename().cmp(b.filename()));
    Ok((resources, examples))
}

/// Tokenises the file without building a tree: far cheaper than parsing,
/// and it turns a corrupt file into an error at load.
fn check_syntax(bytes: &[u8], label: &str, name: &str) -> Result<(), PackageError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(crate::manifest::strip_bom(bytes))
        .map(|_| ())
        .map_err(|source| PackageError::BadJson {
            package: label.to_string(),
            file: name.to_string(),
            source,
        })
}

fn from_loose(
    path: &std::path::Path,
    id: &PackageId,
    label: &str,
    xml: Option<XmlToJson<'_>>,
) -> Result<Vec<Resource>, PackageError> {
    let files = loose::read_files(path)?;
    let mut out = Vec::new();
    for r in loose::resources(files, label, xml)? {
        let Some(entry) = Header::of_value(&r.value).and_then(|h| h.into_entry(r.name, id)) else {
            continue;
        };
        out.push(Resource::parsed(entry, r.bytes, r.value));
    }
    Ok(out)
}
