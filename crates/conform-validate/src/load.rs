//! Builds a [`Validator`] from resolved packages: from the plan cache when
//! it holds these packages, otherwise by loading and compiling them.

use crate::plan::{cache, compile};
use crate::terminology::Definitions;
use crate::Validator;
use conform_packages::{DefinitionSet, ResolvedPackage};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Package(#[from] conform_packages::PackageError),
    #[error(transparent)]
    Compile(#[from] compile::CompileError),
}

/// What loading cost, for `--verbose` and the benchmarks.
#[derive(Debug, Clone, Copy)]
pub struct LoadStats {
    pub from_cache: bool,
    pub elapsed: Duration,
    pub types: usize,
}

/// The loaded definitions, with snapshots generated for the profiles that
/// ship only a differential (local profiles, IG source folders).
struct Defs<'a> {
    set: &'a DefinitionSet,
    generated: FxHashMap<String, Value>,
    failed: Vec<(String, String)>,
}

impl<'a> Defs<'a> {
    fn new(set: &'a DefinitionSet) -> Self {
        let mut generated = FxHashMap::default();
        let mut failed = Vec::new();
        for sd in set.by_type("StructureDefinition") {
            let needs = sd.get("snapshot").is_none() && sd.get("differential").is_some();
            let Some(url) = sd["url"].as_str().filter(|_| needs) else {
                continue;
            };
            // Lenient, as the reference validator: differential elements
            // that match nothing are dropped with a message, not fatal.
            let options = conform_snapshot::Options { lenient: true };
            match conform_snapshot::generate_with(sd, set, options) {
                Ok(g) => {
                    generated.insert(url.to_string(), g.structure_definition);
                }
                Err(e) => failed.push((url.to_string(), e.to_string())),
            }
        }
        Defs {
            set,
            generated,
            failed,
        }
    }
}

impl Definitions for Defs<'_> {
    fn resource(&self, canonical: &str) -> Option<&Value> {
        let url = canonical.split('|').next().unwrap_or(canonical);
        self.generated.get(url).or_else(|| self.set.get(canonical))
    }
}

impl compile::Source for Defs<'_> {
    fn structure_definitions(&self) -> Vec<&Value> {
        self.set
            .by_type("StructureDefinition")
            .map(|sd| {
                sd["url"]
                    .as_str()
                    .and_then(|u| self.generated.get(u))
                    .unwrap_or(sd)
            })
            .collect()
    }

    fn snapshot_failures(&self) -> Vec<(String, String)> {
        self.failed.clone()
    }

    fn canonicals(&self) -> Vec<&str> {
        self.set.canonicals().collect()
    }

    /// Questionnaires from every package, but ValueSets and CodeSystems only
    /// from loose files and IGs: the core ones are expanded at compile time
    /// and would only slow down every start.
    fn context_resources(&self) -> Vec<&Value> {
        let core = |r: &&Value| {
            r["url"].as_str().is_some_and(|u| {
                u.starts_with("http://hl7.org/fhir/")
                    || u.starts_with("http://terminology.hl7.org/")
            })
        };
        let mut out: Vec<&Value> = self.set.by_type("Questionnaire").collect();
        for t in ["ValueSet", "CodeSystem"] {
            out.extend(self.set.by_type(t).filter(|r| !core(r)));
        }
        out
    }
}

/// Every resource of these packages, loaded for lookup. Loose FHIR XML
/// files (`--ig profile.xml`) are read with the core's definitions: the
/// plans of the other packages, compiled (or taken from the cache in
/// `cache_dir`) only when such a file is met.
pub fn definitions(
    packages: &[ResolvedPackage],
    cache_dir: Option<&Path>,
) -> Result<DefinitionSet, conform_packages::PackageError> {
    let core: OnceLock<Result<Validator, String>> = OnceLock::new();
    let xml_to_json = |xml: &[u8]| {
        let core = core.get_or_init(|| {
            let packaged: Vec<ResolvedPackage> = packages
                .iter()
                .filter(|p| !matches!(p.location, conform_packages::Location::Loose(_)))
                .cloned()
                .collect();
            Validator::load(&packaged, cache_dir)
                .map(|(v, _)| v)
                .map_err(|e| e.to_string())
        });
        crate::xml::resource_to_json(&core.as_ref()?.plans, xml).map(String::into_bytes)
    };
    DefinitionSet::load_with(packages, Some(&xml_to_json))
}

impl Validator {
    /// Loads plans for these packages, using and filling the cache in
    /// `cache_dir` (pass `None` to bypass the cache).
    pub fn load(
        packages: &[ResolvedPackage],
        cache_dir: Option<&Path>,
    ) -> Result<(Validator, LoadStats), LoadError> {
        let start = Instant::now();
        let release = conform_packages::release_of(packages, None)?;
        let fingerprint = conform_packages::fingerprint_of(packages);
        if let Some(plans) = cache_dir.and_then(|d| cache::load(d, &fingerprint)) {
            let types = plans.types.len();
            let stats = LoadStats {
                from_cache: true,
                elapsed: start.elapsed(),
                types,
            };
            return Ok((
                Validator::new(plans)
                    .with_package_fallback(packages.to_vec())
                    .with_release(release),
                stats,
            ));
        }
        let defs = definitions(packages, cache_dir)?;
        let names = packages.iter().map(|p| p.id.to_string()).collect();
        let plans = compile::compile(&Defs::new(&defs), names)?;
        if let Some(dir) = cache_dir {
            // A cache we cannot write only costs speed next time.
            let _ = cache::store(dir, &fingerprint, &plans);
        }
        let types = plans.types.len();
        let stats = LoadStats {
            from_cache: false,
            elapsed: start.elapsed(),
            types,
        };
        Ok((
            Validator::new(plans)
                .with_package_fallback(packages.to_vec())
                .with_release(release),
            stats,
        ))
    }
}
