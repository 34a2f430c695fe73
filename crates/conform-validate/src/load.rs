//! Builds a [`Validator`] from resolved packages: from the plan cache when
//! it holds these packages, otherwise by loading and compiling them.

use crate::plan::{cache, compile};
use crate::terminology::Definitions;
use crate::Validator;
use conform_packages::{DefinitionSet, ResolvedPackage};
use serde_json::Value;
use std::path::Path;
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

struct Defs<'a>(&'a DefinitionSet);

impl Definitions for Defs<'_> {
    fn resource(&self, canonical: &str) -> Option<&Value> {
        self.0.get(canonical)
    }
}

impl compile::Source for Defs<'_> {
    fn structure_definitions(&self) -> Vec<&Value> {
        self.0.by_type("StructureDefinition").collect()
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
        let mut out: Vec<&Value> = self.0.by_type("Questionnaire").collect();
        for t in ["ValueSet", "CodeSystem"] {
            out.extend(self.0.by_type(t).filter(|r| !core(r)));
        }
        out
    }
}

impl Validator {
    /// Loads plans for these packages, using and filling the cache in
    /// `cache_dir` (pass `None` to bypass the cache).
    pub fn load(
        packages: &[ResolvedPackage],
        cache_dir: Option<&Path>,
    ) -> Result<(Validator, LoadStats), LoadError> {
        let start = Instant::now();
        let fingerprint = conform_packages::fingerprint_of(packages);
        if let Some(plans) = cache_dir.and_then(|d| cache::load(d, &fingerprint)) {
            let types = plans.types.len();
            let stats = LoadStats {
                from_cache: true,
                elapsed: start.elapsed(),
                types,
            };
            return Ok((
                Validator::new(plans).with_package_fallback(packages.to_vec()),
                stats,
            ));
        }
        let defs = DefinitionSet::load(packages)?;
        let names = packages.iter().map(|p| p.id.to_string()).collect();
        let plans = compile::compile(&Defs(&defs), names)?;
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
            Validator::new(plans).with_package_fallback(packages.to_vec()),
            stats,
        ))
    }
}
