//! Conformance resources used while validating instances, beyond the
//! compiled type plans: Questionnaires (a QuestionnaireResponse is checked
//! against its Questionnaire) and the ValueSets and CodeSystems their answer
//! options name. They come from the loaded packages and `--ig` files.

use crate::plan::Plans;
use crate::terminology::{self, CodeSet, Definitions};
use conform_packages::{DefinitionSet, ResolvedPackage};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Resource types kept in the context (the rest only feed the compiler).
pub const CONTEXT_TYPES: &[&str] = &["Questionnaire", "ValueSet", "CodeSystem"];

#[derive(Default)]
pub struct Context {
    by_url: FxHashMap<String, Arc<Value>>,
    /// The urls of the CodeSystem supplements held (asked of every Coding).
    supplements: rustc_hash::FxHashSet<String>,
    /// Every definition of the loaded packages, read only when a lookup
    /// misses (say a Questionnaire's answers bound to a core value set), so
    /// that ordinary runs keep their fast start.
    fallback: Option<Arc<LazyDefinitions>>,
}

/// The packages' definitions, loaded on first use.
pub struct LazyDefinitions {
    packages: Vec<ResolvedPackage>,
    set: OnceLock<Option<DefinitionSet>>,
}

impl LazyDefinitions {
    pub fn new(packages: Vec<ResolvedPackage>) -> Self {
        LazyDefinitions {
            packages,
            set: OnceLock::new(),
        }
    }

    /// The packages, as resolved.
    pub(crate) fn packages(&self) -> &[ResolvedPackage] {
        &self.packages
    }

    fn get(&self, canonical: &str) -> Option<&Value> {
        // A package that loaded once to compile the plans loads again; if it
        // no longer does, lookups simply miss.
        self.set
            .get_or_init(|| DefinitionSet::load(&self.packages).ok())
            .as_ref()?
            .get(canonical)
    }
}

impl Context {
    /// Builds the context from resources; later ones win for the same URL
    /// (an `--ig` overrides a package).
    pub fn new(
        resources: impl IntoIterator<Item = Value>,
        fallback: Option<Arc<LazyDefinitions>>,
    ) -> Self {
        let mut by_url = FxHashMap::default();
        let mut supplements = rustc_hash::FxHashSet::default();
        for r in resources {
            let Some(url) = r["url"].as_str().map(str::to_string) else {
                continue;
            };
            if r["resourceType"] == "CodeSystem"
                && (r["supplements"].is_string() || r["content"] == "supplement")
            {
                supplements.insert(url.clone());
            }
            let r = Arc::new(r);
            if let Some(v) = r["version"].as_str() {
                by_url.insert(format!("{url}|{v}"), r.clone());
            }
            by_url.insert(url, r);
        }
        Context {
            by_url,
            supplements,
            fallback,
        }
    }

    /// The packages the fallback loads from (none without one).
    pub(crate) fn packages(&self) -> &[ResolvedPackage] {
        self.fallback
            .as_deref()
            .map_or(&[], LazyDefinitions::packages)
    }

    pub(crate) fn fallback(&self) -> Option<Arc<LazyDefinitions>> {
        self.fallback.clone()
    }

    /// A resource the context holds itself (the packages' Questionnaires,
    /// ValueSets and CodeSystems, and `--ig` files), without reading every
    /// definition of the packages on a miss: for checks made on every
    /// value, where most urls are of terminologies nobody loads.
    pub fn held(&self, canonical: &str) -> Option<&Value> {
        self.by_url.get(canonical).map(Arc::as_ref)
    }

    /// Whether `url` is a CodeSystem supplement the context holds.
    pub fn is_supplement(&self, url: &str) -> bool {
        self.supplements.contains(url)
    }

    /// Whether the context holds any CodeSystem supplement (most runs
    /// hold none, and then no Coding needs looking at).
    pub fn has_supplements(&self) -> bool {
        !self.supplements.is_empty()
    }

    /// A Questionnaire by canonical URL (`url` or `url|version`).
    pub fn questionnaire(&self, canonical: &str) -> Option<&Value> {
        self.resource(canonical)
            .filter(|r| r["resourceType"] == "Questionnaire")
    }

    /// The codes of a value set: from the compiled plans when a required
    /// binding already expanded it, else expanded from the context.
    pub fn value_set(&self, plans: &Plans, url: &str) -> CodeSet {
        if let Some(set) = plans
            .code_sets
            .iter()
            .find(|s| s.url == url || s.url.split('|').next() == Some(url))
        {
            if set.unresolved.is_none() {
                return set.clone();
            }
        }
        terminology::expand(self, url)
    }
}

impl Definitions for Context {
    fn resource(&self, canonical: &str) -> Option<&Value> {
        self.by_url
            .get(canonical)
            .or_else(|| {
                canonical
                    .split_once('|')
                    .and_then(|(u, _)| self.by_url.get(u))
            })
            .map(Arc::as_ref)
            .or_else(|| self.fallback.as_ref()?.get(canonical))
    }
}
