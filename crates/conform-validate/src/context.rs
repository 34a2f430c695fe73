//! Conformance resources used while validating instances, beyond the
//! compiled type plans: Questionnaires (a QuestionnaireResponse is checked
//! against its Questionnaire) and the ValueSets and CodeSystems their answer
//! options name. They come from the loaded packages and `--ig` files.

use crate::plan::{Canonicals, ContextResource, Plans};
use crate::terminology::ListedCodes;
use crate::terminology::{self, CodeSet, Definitions};
use conform_packages::{DefinitionSet, ResolvedPackage};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Resource types kept in the context (the rest only feed the compiler).
pub const CONTEXT_TYPES: &[&str] = &["Questionnaire", "ValueSet", "CodeSystem"];

#[derive(Default)]
pub struct Context {
    /// The plans whose context resources `by_url` indexes.
    plans: Option<Arc<Plans>>,
    by_url: FxHashMap<String, Arc<Held>>,
    /// The urls of the CodeSystem supplements held (asked of every Coding).
    supplements: rustc_hash::FxHashSet<String>,
    /// Every definition of the loaded packages, read only when a lookup
    /// misses (say a Questionnaire's answers bound to a core value set), so
    /// that ordinary runs keep their fast start.
    fallback: Option<Arc<LazyDefinitions>>,
}

/// One context resource: parsed on first lookup (most runs look up none
/// of the plans' context resources, or a few), or given parsed.
struct Held {
    /// Index into the plans' [`Plans::context`].
    index: Option<usize>,
    value: OnceLock<Value>,
    /// Its codes, for judging Codings against ([`Context::system_codes`]),
    /// when it is given parsed (the plans keep those of their own).
    codes: OnceLock<Option<ListedCodes>>,
}

/// The packages' definitions, loaded on first use.
pub struct LazyDefinitions {
    packages: Vec<ResolvedPackage>,
    /// The plans, to read loose FHIR XML files with.
    plans: Arc<Plans>,
    /// What the packages define: a lookup of anything else misses without
    /// loading them.
    defined: Canonicals,
    set: OnceLock<Option<DefinitionSet>>,
}

impl LazyDefinitions {
    pub fn new(packages: Vec<ResolvedPackage>, defined: Canonicals, plans: Arc<Plans>) -> Self {
        LazyDefinitions {
            packages,
            plans,
            defined,
            set: OnceLock::new(),
        }
    }

    /// The packages, as resolved.
    pub(crate) fn packages(&self) -> &[ResolvedPackage] {
        &self.packages
    }

    fn get(&self, canonical: &str) -> Option<&Value> {
        if !self.defined.contains(canonical) {
            return None;
        }
        // A package that loaded once to compile the plans loads again; if it
        // no longer does, lookups simply miss.
        self.set
            .get_or_init(|| {
                let xml = |bytes: &[u8]| {
                    crate::xml::resource_to_json(&self.plans, bytes).map(String::into_bytes)
                };
                DefinitionSet::load_with(&self.packages, Some(&xml)).ok()
            })
            .as_ref()?
            .get(canonical)
    }
}

impl Context {
    /// Builds the context from the plans' context resources and then
    /// `resources`; later ones win for the same URL (an `--ig` overrides a
    /// package). Nothing is parsed here.
    pub fn new(
        plans: Option<Arc<Plans>>,
        resources: impl IntoIterator<Item = Value>,
        fallback: Option<Arc<LazyDefinitions>>,
    ) -> Self {
        let mut context = Context {
            plans,
            by_url: FxHashMap::default(),
            supplements: Default::default(),
            fallback,
        };
        let planned = context.plans.clone();
        for (i, r) in planned.iter().flat_map(|p| p.context.iter()).enumerate() {
            let held = Held {
                index: Some(i),
                value: OnceLock::new(),
                codes: OnceLock::new(),
            };
            context.hold(&r.url, r.version.as_deref(), r.supplement, held);
        }
        for r in resources {
            let Some(url) = r["url"].as_str().map(str::to_string) else {
                continue;
            };
            let version = r["version"].as_str().map(str::to_string);
            let supplement = ContextResource::is_supplement(&r);
            let held = Held {
                index: None,
                value: OnceLock::from(r),
                codes: OnceLock::new(),
            };
            context.hold(&url, version.as_deref(), supplement, held);
        }
        context
    }

    fn hold(&mut self, url: &str, version: Option<&str>, supplement: bool, held: Held) {
        if supplement {
            self.supplements.insert(url.to_string());
        }
        let held = Arc::new(held);
        if let Some(v) = version {
            self.by_url.insert(format!("{url}|{v}"), held.clone());
        }
        self.by_url.insert(url.to_string(), held);
    }

    /// The resource `held` stands for, parsed on first need.
    fn value<'a>(&'a self, held: &'a Held) -> &'a Value {
        held.value.get_or_init(|| {
            // The JSON was written by the compiler from a parsed value.
            let planned = self.plans.as_ref().zip(held.index);
            planned
                .and_then(|(p, i)| serde_json::from_str(p.context.get(i)?.json.get()).ok())
                .unwrap_or(Value::Null)
        })
    }

    /// The same context with lookups that miss falling back to `fallback`.
    pub(crate) fn with_fallback(&self, fallback: Option<Arc<LazyDefinitions>>) -> Context {
        Context {
            plans: self.plans.clone(),
            by_url: self.by_url.clone(),
            supplements: self.supplements.clone(),
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
        self.by_url.get(canonical).map(|h| self.value(h))
    }

    /// The codes of the CodeSystem `system` names, when the context holds
    /// it with `complete` or `fragment` content (and it is not a
    /// supplement): listed once per run, on the first Coding that asks.
    pub fn system_codes(&self, system: &str) -> Option<&ListedCodes> {
        let held = self.by_url.get(system)?;
        match (self.plans.as_ref(), held.index) {
            (Some(plans), Some(i)) => plans.context.get(i)?.codes.as_ref().map(|c| c.get()),
            _ => held
                .codes
                .get_or_init(|| ListedCodes::of(self.value(held)))
                .as_ref(),
        }
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
            .code_set_urls
            .iter()
            .position(|u| u == url || u.split('|').next() == Some(url))
            .map(|i| &plans.code_sets[i])
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
            .map(|h| self.value(h))
            .or_else(|| self.fallback.as_ref()?.get(canonical))
    }
}

/// A contained resource of `resource_type` (`"#id"` in a canonical
/// element: `QuestionnaireResponse.questionnaire`, `MeasureReport.measure`),
/// converted to a `serde_json::Value` like those of the context.
pub(crate) fn contained_value(
    doc: &conform_json::Document<'_>,
    resource: conform_json::NodeId,
    id: &str,
    resource_type: &str,
) -> Option<Value> {
    let list = doc.get(resource, "contained")?;
    let node = doc.elements(list).iter().copied().find(|&r| {
        doc.get_str(r, "id").as_deref() == Some(id)
            && doc.get_str(r, "resourceType").as_deref() == Some(resource_type)
    })?;
    serde_json::from_str(&doc.to_json_string(node)).ok()
}
