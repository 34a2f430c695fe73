//! Compiled validation plans: StructureDefinitions turned into compact tables
//! the walker can follow without string-keyed lookups beyond one hash probe
//! per JSON member.
//!
//! A plan is built once per set of packages ([`compile`]) and cached on disk
//! ([`cache`]), so a warm start reads one file instead of thousands of
//! definitions.

pub mod cache;
pub mod compile;
mod compile_profile;
pub mod lazy;
pub mod profile;

use crate::primitive::Primitive;
use crate::terminology::CodeSet;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Index of a [`TypePlan`] in [`Plans::types`].
pub type TypeId = u32;

/// Cardinality upper bound meaning `*`.
pub const UNBOUNDED: u32 = u32::MAX;

/// What kind of thing a type plan describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeKind {
    Resource,
    Complex,
    /// A backbone element defined inline in a resource or type.
    Backbone,
    Primitive(Primitive),
}

/// Types the walker gives checks of their own beyond their elements, found
/// once at compile time so the hot path compares no strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Other,
    Extension,
    Reference,
    Identifier,
    Attachment,
    Coded,
    Bundle,
    QuestionnaireResponse,
    SearchParameter,
    CapabilityStatement,
    OperationDefinition,
    CodeSystem,
    ValueSet,
    ConceptMap,
    Questionnaire,
    StructureDefinition,
    MeasureReport,
    Measure,
}

impl Role {
    pub fn of(type_name: &str) -> Role {
        match type_name {
            "Extension" => Role::Extension,
            "Reference" => Role::Reference,
            "Identifier" => Role::Identifier,
            "Attachment" => Role::Attachment,
            "Coding" | "CodeableConcept" | "Quantity" => Role::Coded,
            "Bundle" => Role::Bundle,
            "QuestionnaireResponse" => Role::QuestionnaireResponse,
            "SearchParameter" => Role::SearchParameter,
            "CapabilityStatement" => Role::CapabilityStatement,
            "OperationDefinition" => Role::OperationDefinition,
            "CodeSystem" => Role::CodeSystem,
            "ValueSet" => Role::ValueSet,
            "ConceptMap" => Role::ConceptMap,
            "Questionnaire" => Role::Questionnaire,
            "StructureDefinition" => Role::StructureDefinition,
            "MeasureReport" => Role::MeasureReport,
            "Measure" => Role::Measure,
            _ => Role::Other,
        }
    }
}

/// One type: a resource, a data type, a primitive, or a backbone element.
#[derive(Debug, Serialize, Deserialize)]
pub struct TypePlan {
    /// The type name (`Patient`, `HumanName`) or backbone path (`Patient.contact`).
    pub name: String,
    pub kind: TypeKind,
    pub role: Role,
    pub is_abstract: bool,
    /// The type this one specializes (`DomainResource` for `Patient`,
    /// `string` for `code`; `BackboneElement` or `Element` for a backbone),
    /// for FHIRPath's `is`/`as`/`ofType`.
    pub base: Option<String>,
    pub elements: Vec<ElementPlan>,
    /// Every JSON property name this type accepts, including each choice
    /// variant (`valueQuantity`) and the `_name` twins of primitives.
    pub keys: FxHashMap<String, Key>,
    /// Elements with `min > 0`, checked after the members are walked.
    pub required: Vec<u16>,
    /// Invariants of the type itself (its root element), as indices into
    /// [`Plans::constraints`].
    pub constraints: Vec<u32>,
}

/// An invariant (`ElementDefinition.constraint`), evaluated with FHIRPath.
#[derive(Debug, Serialize, Deserialize)]
pub struct Constraint {
    pub key: String,
    /// `error` severity; otherwise a warning.
    pub error: bool,
    /// Marked best practice (`dom-6`: "should have narrative"): reported
    /// as information, as the reference validator does by default.
    pub best_practice: bool,
    pub human: String,
    pub expression: String,
    /// Its parsed expression and compiled checks, made when the plans are
    /// compiled ([`crate::invariants::make_ready`]) and decoded from the
    /// cache on first use: a run parses and compiles nothing the plans
    /// foresaw.
    pub ready: lazy::Lazy<Ready>,
}

/// A constraint made ready to run: its expression parsed (`None`: it does
/// not parse, and is reported as not evaluated), and its check compiled for
/// each focus type the plans give it (the type carrying it, each type of
/// the element carrying it, a profile element's type), `None` where the
/// expression has no compiled form for that type.
#[derive(Debug, Default)]
pub struct Ready {
    pub expr: Option<conform_fhirpath::Expr>,
    pub checks: Vec<(
        std::sync::Arc<str>,
        Option<std::sync::Arc<conform_fhirpath::Compiled>>,
    )>,
}

/// [`Ready`] as stored: each distinct compiled form once, and each focus
/// type with the index of its form. R4's `dom-*` are compiled for some 150
/// resource types each, to five forms: a resource's first value read all
/// 735 checks, where it now reads five.
#[derive(Serialize, Deserialize)]
struct StoredReady {
    expr: Option<conform_fhirpath::Expr>,
    forms: Vec<conform_fhirpath::Form>,
    checks: Vec<(std::sync::Arc<str>, Option<u32>)>,
}

impl Serialize for Ready {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // forms told apart by their encoding: equal encodings are equal
        // checks, whatever focus type they were compiled for
        let mut index: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
        let mut forms = Vec::new();
        let mut checks = Vec::with_capacity(self.checks.len());
        for (ty, compiled) in &self.checks {
            let form = match compiled {
                None => None,
                Some(c) => {
                    let form = c.form();
                    let bytes = postcard::to_stdvec(&form).map_err(serde::ser::Error::custom)?;
                    let next = forms.len() as u32;
                    let i = *index.entry(bytes).or_insert(next);
                    if i == next {
                        forms.push(form);
                    }
                    Some(i)
                }
            };
            checks.push((ty.clone(), form));
        }
        StoredReady {
            expr: self.expr.clone(),
            forms,
            checks,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Ready {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ready, D::Error> {
        let stored = StoredReady::deserialize(d)?;
        let mut checks = Vec::with_capacity(stored.checks.len());
        for (ty, form) in stored.checks {
            let compiled = match form {
                None => None,
                Some(i) => {
                    let form = stored
                        .forms
                        .get(i as usize)
                        .ok_or_else(|| serde::de::Error::custom("a check's form is missing"))?;
                    Some(std::sync::Arc::new(conform_fhirpath::Compiled::with_form(
                        ty.clone(),
                        form,
                    )))
                }
            };
            checks.push((ty, compiled));
        }
        Ok(Ready {
            expr: stored.expr,
            checks,
        })
    }
}

/// What a JSON property name refers to.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Key {
    /// Index into [`TypePlan::elements`].
    pub element: u16,
    /// Index into [`ElementPlan::types`] (the choice taken).
    pub choice: u8,
    /// The `_name` twin holding a primitive's id and extensions.
    pub underscore: bool,
}

/// One element of a type.
#[derive(Debug, Serialize, Deserialize)]
pub struct ElementPlan {
    /// The element name without `[x]` (`value` for `value[x]`).
    pub name: String,
    /// The full definition path, for messages (`Observation.value[x]`).
    pub path: String,
    pub min: u32,
    /// Upper bound; [`UNBOUNDED`] for `*`.
    pub max: u32,
    /// Represented as a JSON array (the base definition allows more than one).
    pub array: bool,
    /// A choice element (`value[x]`): the JSON name carries the type.
    pub choice: bool,
    pub types: Vec<ElementType>,
    pub binding: Option<Binding>,
    /// Invariants on this element (not repeated from its type's own).
    pub constraints: Vec<u32>,
}

/// One allowed type of an element.
#[derive(Debug, Serialize, Deserialize)]
pub struct ElementType {
    /// The FHIR type code (`Quantity`, `dateTime`, `BackboneElement`).
    pub code: String,
    /// The plan to validate a value of this type with.
    pub plan: TypeId,
    /// For `Reference` and `canonical`: the resource types it may point to;
    /// empty when any is allowed.
    pub target_types: Vec<String>,
}

/// How strongly an element is bound to a value set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strength {
    Required,
    Extensible,
    Preferred,
    Example,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Binding {
    pub strength: Strength,
    pub value_set: String,
    /// Index into [`Plans::code_sets`] when the value set was compiled
    /// (required bindings).
    pub code_set: Option<u32>,
}

/// All compiled plans of one set of packages.
#[derive(Debug, Serialize, Deserialize)]
pub struct Plans {
    /// Each decoded from the cache when first used: a run over a few
    /// resource types never decodes the rest.
    pub types: lazy::LazyList<TypePlan>,
    /// Top-level types by name (resources, data types, primitives).
    pub by_name: FxHashMap<String, TypeId>,
    /// Backbone elements' types by path (`Patient.contact`), the names
    /// FHIRPath's type model gives them.
    pub backbones: FxHashMap<String, TypeId>,
    /// Types defined by constraining another (`Age`, `SimpleQuantity`),
    /// as elements name them, with the plan that validates them: FHIRPath
    /// sees them as derived from that plan's type.
    pub constrained: FxHashMap<String, TypeId>,
    /// Value sets expanded for required bindings, each decoded from the
    /// cache when first used: decoding all of them was a quarter of a
    /// warm start.
    pub code_sets: lazy::LazyList<CodeSet>,
    /// The URL of each of [`Plans::code_sets`] (as its `url`), so that a
    /// look-up by URL decodes only the set it finds.
    pub code_set_urls: Vec<String>,
    /// The package set these plans were compiled from, for the cache key
    /// and for reports.
    pub packages: Vec<String>,
    /// Questionnaires, ValueSets and CodeSystems for validation-time
    /// lookups (see [`crate::context`]), as JSON text with what the
    /// context indexes them by, so a start parses none of them.
    pub context: Vec<ContextResource>,
    /// Profiles (constraints on types), by URL.
    pub profiles: profile::ProfileSet,
    /// Every distinct invariant of the base types.
    pub constraints: Vec<Constraint>,
    /// Canonicals the loaded StructureDefinitions refer to (base
    /// definitions, type and target profiles, bound value sets) that no
    /// loaded package defines, each with the first definition referring to
    /// it, sorted. Findings report them where they matter; this is the
    /// whole list, for `--verbose` and `conform doctor`.
    pub unresolved: Vec<(String, String)>,
    /// Every canonical the packages define, so that a validation-time
    /// lookup the compiled context cannot answer (a QuestionnaireResponse's
    /// Questionnaire, a value set for `memberOf()`) loads the packages'
    /// definitions only when they hold the answer: the R4 examples name
    /// Questionnaires no package defines, and loading every definition to
    /// learn that took more CPU than validating all 703 of them.
    pub defined: Canonicals,
}

/// One resource kept for validation-time lookups.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContextResource {
    pub resource_type: String,
    pub url: String,
    pub version: Option<String>,
    /// A CodeSystem supplement (asked about on every Coding).
    pub supplement: bool,
    /// The codes of a CodeSystem whose content lists them, all or some (a
    /// Coding that names it is judged against them), read on first need:
    /// parsing the JSON of the one a Coding names (DICOM's, 4,000 codes)
    /// cost more than validating the 703 R4 examples' Codings.
    pub codes: Option<lazy::Lazy<crate::terminology::ListedCodes>>,
    /// Read from the cache only when the resource is first looked up:
    /// checking all of it as text at start-up was 6% of a warm start.
    pub json: lazy::Lazy<String>,
}

impl ContextResource {
    /// `None` for a resource without a url (nothing could look it up).
    pub fn of(r: &serde_json::Value) -> Option<ContextResource> {
        Some(ContextResource {
            resource_type: r["resourceType"].as_str().unwrap_or_default().to_string(),
            url: r["url"].as_str()?.to_string(),
            version: r["version"].as_str().map(str::to_string),
            supplement: Self::is_supplement(r),
            codes: crate::terminology::ListedCodes::of(r).map(lazy::Lazy::new),
            json: lazy::Lazy::new(r.to_string()),
        })
    }

    pub fn is_supplement(r: &serde_json::Value) -> bool {
        r["resourceType"] == "CodeSystem"
            && (r["supplements"].is_string() || r["content"] == "supplement")
    }
}

/// A set of canonical URLs held as 64-bit hashes: a few bytes each in the
/// plan cache and no strings to allocate at start-up. A collision can only
/// make a lookup load the definitions and then miss, as before.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Canonicals(Vec<u64>);

impl Canonicals {
    pub fn of<'a>(urls: impl IntoIterator<Item = &'a str>) -> Canonicals {
        let mut hashes: Vec<u64> = urls.into_iter().map(Self::hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        Canonicals(hashes)
    }

    pub fn contains(&self, url: &str) -> bool {
        self.0.binary_search(&Self::hash(url)).is_ok()
    }

    /// Fixed keys, not a per-process seed: the set is stored on disk.
    fn hash(url: &str) -> u64 {
        let h = blake3::hash(url.as_bytes());
        u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
    }
}

impl Plans {
    #[inline]
    pub fn get(&self, id: TypeId) -> &TypePlan {
        &self.types[id as usize]
    }

    /// Fills [`Plans::backbones`] and [`Plans::constrained`] from the
    /// compiled types (once every base type is compiled).
    pub(crate) fn index_type_names(&mut self) {
        let (mut backbones, mut constrained) = (FxHashMap::default(), FxHashMap::default());
        for (id, t) in self.types.iter().enumerate() {
            if t.kind == TypeKind::Backbone {
                backbones.insert(t.name.clone(), id as TypeId);
            }
            for ty in t.elements.iter().flat_map(|e| &e.types) {
                let plan = self.get(ty.plan);
                if ty.code != plan.name && plan.kind != TypeKind::Backbone {
                    constrained.insert(ty.code.clone(), ty.plan);
                }
            }
        }
        self.backbones = backbones;
        self.constrained = constrained;
    }

    /// A concrete (non-abstract) resource type by name.
    pub fn resource(&self, name: &str) -> Option<TypeId> {
        self.by_name.get(name).copied().filter(|&id| {
            let t = self.get(id);
            t.kind == TypeKind::Resource && !t.is_abstract
        })
    }

    /// Whether a name is a known resource type (abstract or not).
    pub fn is_resource_type(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|&id| self.get(id).kind == TypeKind::Resource)
    }
}
