//! Builds [`Plans`] from the base StructureDefinitions (`derivation:
//! specialization`) of the loaded packages. Every type, element, cardinality
//! and binding comes from the definitions; nothing is typed in per resource.

use super::lazy::LazyList;
use super::{
    Binding, ElementPlan, ElementType, Key, Plans, Strength, TypeId, TypeKind, TypePlan, UNBOUNDED,
};
use crate::primitive::Primitive;
use crate::terminology::{self, Definitions};
use rustc_hash::FxHashMap;
use serde_json::Value;

/// The extension on `System.*` type codes that names the FHIR type.
const FHIR_TYPE_EXT: &str = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

/// Where compile reads definitions from.
pub trait Source: Definitions {
    fn structure_definitions(&self) -> Vec<&Value>;
    /// Resources kept for validation time (see [`crate::context`]).
    fn context_resources(&self) -> Vec<&Value>;
    /// Every canonical the packages define (`url` and `url|version`), so
    /// that validation-time lookups know without loading the packages
    /// whether they hold a definition at all (see [`Plans::defined`]).
    fn canonicals(&self) -> Vec<&str> {
        Vec::new()
    }
    /// Profiles whose snapshot could not be generated, with why.
    fn snapshot_failures(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Why plans could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("the loaded packages define no base FHIR types (is a core package, hl7.fhir.r4.core or hl7.fhir.r3.core, loaded?)")]
    NoBaseTypes,
    #[error("StructureDefinition {url} is malformed: {why}")]
    Malformed { url: String, why: String },
}

pub fn compile(src: &dyn Source, packages: Vec<String>) -> Result<Plans, CompileError> {
    let base: Vec<&Value> = src
        .structure_definitions()
        .into_iter()
        .filter(|sd| is_base_type(sd))
        .collect();
    if base.is_empty() {
        return Err(CompileError::NoBaseTypes);
    }
    let mut c = Compiler {
        src,
        plans: Plans {
            types: Default::default(),
            by_name: FxHashMap::default(),
            backbones: FxHashMap::default(),
            constrained: FxHashMap::default(),
            code_sets: Default::default(),
            code_set_urls: Vec::new(),
            packages,
            context: src
                .context_resources()
                .into_iter()
                .filter_map(super::ContextResource::of)
                .collect(),
            profiles: Default::default(),
            constraints: Vec::new(),
            unresolved: Vec::new(),
            defined: super::Canonicals::of(src.canonicals()),
        },
        code_set_ids: FxHashMap::default(),
        constraint_ids: FxHashMap::default(),
        base_constraints: 0,
    };
    // First give every top-level type an id, so elements can refer to types
    // defined later in the list.
    let mut order: Vec<(&Value, TypeId)> = Vec::new();
    for sd in &base {
        let name = sd["type"].as_str().unwrap_or_default().to_string();
        if c.plans.by_name.contains_key(&name) {
            continue; // a later package redefining a base type is ignored
        }
        let id = c.new_plan(
            name.clone(),
            kind_of(sd, &name),
            sd["abstract"].as_bool() == Some(true),
        );
        c.plans.types[id as usize].base = sd["baseDefinition"]
            .as_str()
            .and_then(|b| b.rsplit('/').next())
            .map(str::to_string);
        c.plans.by_name.insert(name, id);
        order.push((sd, id));
    }
    for (sd, id) in order {
        c.fill_type(sd, id)?;
    }
    c.drop_inherited_constraints();
    c.plans.index_type_names();
    c.compile_profiles();
    c.expand_value_sets_named();
    c.plans.profiles.failed = src.snapshot_failures().into_iter().collect();
    c.plans.unresolved = unresolved_canonicals(src);
    Ok(crate::invariants::make_ready(c.plans))
}

/// The canonicals StructureDefinitions refer to that no loaded package
/// defines (see [`Plans::unresolved`]). Packages converted from other
/// tools refer to definitions published elsewhere (NHS Digital's STU3
/// profiles to 91 Care Connect items no package here carries); the load
/// goes on without them.
fn unresolved_canonicals(src: &dyn Source) -> Vec<(String, String)> {
    let mut out: std::collections::BTreeMap<String, String> = Default::default();
    for sd in src.structure_definitions() {
        let referrer = sd["url"].as_str().unwrap_or_default();
        let mut refer = |canonical: &str| {
            if !canonical.is_empty()
                && !out.contains_key(canonical)
                && src.resource(canonical).is_none()
            {
                out.insert(canonical.to_string(), referrer.to_string());
            }
        };
        if let Some(base) = sd["baseDefinition"].as_str() {
            refer(base);
        }
        for part in ["snapshot", "differential"] {
            let elements = sd.get(part).and_then(|p| p.get("element"));
            for e in elements.and_then(Value::as_array).into_iter().flatten() {
                for t in e["type"].as_array().into_iter().flatten() {
                    for key in ["profile", "targetProfile"] {
                        for p in t[key].as_array().into_iter().flatten() {
                            refer(p.as_str().unwrap_or_default());
                        }
                    }
                }
                if let Some(vs) = e["binding"]["valueSet"].as_str() {
                    refer(vs);
                }
            }
        }
    }
    out.into_iter().collect()
}

fn is_base_type(sd: &Value) -> bool {
    let kind = sd["kind"].as_str().unwrap_or_default();
    matches!(kind, "primitive-type" | "complex-type" | "resource")
        && (sd["derivation"] == "specialization" || sd.get("baseDefinition").is_none())
        && sd["type"].is_string()
        && sd.pointer("/snapshot/element").is_some()
}

fn kind_of(sd: &Value, name: &str) -> TypeKind {
    match sd["kind"].as_str() {
        Some("resource") => TypeKind::Resource,
        Some("primitive-type") => Primitive::from_code(name)
            .map(TypeKind::Primitive)
            .unwrap_or(TypeKind::Complex),
        _ => TypeKind::Complex,
    }
}

pub(super) struct Compiler<'a> {
    pub(super) src: &'a dyn Source,
    pub(super) plans: Plans,
    code_set_ids: FxHashMap<String, u32>,
    constraint_ids: FxHashMap<(String, String), u32>,
    /// How many constraints the base types define: profile constraints
    /// numbered below this repeat a base one.
    pub(super) base_constraints: u32,
}

impl Compiler<'_> {
    fn new_plan(&mut self, name: String, kind: TypeKind, is_abstract: bool) -> TypeId {
        let id = self.plans.types.len() as TypeId;
        self.plans.types.push(TypePlan {
            role: if kind == TypeKind::Backbone {
                super::Role::Other
            } else {
                super::Role::of(&name)
            },
            name,
            kind,
            is_abstract,
            base: None,
            elements: Vec::new(),
            keys: FxHashMap::default(),
            required: Vec::new(),
            constraints: Vec::new(),
        });
        id
    }

    fn fill_type(&mut self, sd: &Value, id: TypeId) -> Result<(), CompileError> {
        let url = sd["url"].as_str().unwrap_or("?").to_string();
        let malformed = |why: &str| CompileError::Malformed {
            url: url.clone(),
            why: why.to_string(),
        };
        let elements: Vec<&Value> = sd
            .pointer("/snapshot/element")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no snapshot"))?
            .iter()
            // Slices belong to profiles; the base types have none that matter.
            .filter(|e| !e["id"].as_str().unwrap_or_default().contains(':'))
            .collect();
        let root = elements
            .first()
            .and_then(|e| e["path"].as_str())
            .ok_or_else(|| malformed("empty snapshot"))?
            .to_string();
        let mut children: FxHashMap<&str, Vec<&Value>> = FxHashMap::default();
        for e in &elements[1..] {
            let Some(path) = e["path"].as_str() else {
                return Err(malformed("element without path"));
            };
            let Some((parent, _)) = path.rsplit_once('.') else {
                return Err(malformed(&format!("element path {path} outside the type")));
            };
            children.entry(parent).or_default().push(e);
        }
        let root_constraints = self.constraints(elements[0]);
        self.plans.types[id as usize].constraints = root_constraints;
        let mut backbones: FxHashMap<String, TypeId> = FxHashMap::default();
        backbones.insert(root.clone(), id);
        let mut pending_refs: Vec<(TypeId, usize, String)> = Vec::new();
        let is_primitive = matches!(self.plans.get(id).kind, TypeKind::Primitive(_));
        self.fill_elements(
            id,
            &root,
            &children,
            &mut backbones,
            &mut pending_refs,
            is_primitive,
        );
        for (plan, element, target) in pending_refs {
            let target_id = *backbones
                .get(&target)
                .ok_or_else(|| malformed(&format!("contentReference #{target} not found")))?;
            let e = &mut self.plans.types[plan as usize].elements[element];
            e.types = vec![ElementType {
                code: "BackboneElement".into(),
                plan: target_id,
                target_types: Vec::new(),
            }];
        }
        Ok(())
    }

    fn fill_elements(
        &mut self,
        id: TypeId,
        path: &str,
        children: &FxHashMap<&str, Vec<&Value>>,
        backbones: &mut FxHashMap<String, TypeId>,
        pending_refs: &mut Vec<(TypeId, usize, String)>,
        is_primitive: bool,
    ) {
        let mut elements = Vec::new();
        for e in children.get(path).map(Vec::as_slice).unwrap_or_default() {
            let epath = e["path"].as_str().unwrap_or_default();
            let raw_name = epath.rsplit('.').next().unwrap_or_default();
            // A primitive's value is the JSON scalar itself, not a property.
            if is_primitive && raw_name == "value" {
                continue;
            }
            let choice = raw_name.ends_with("[x]");
            let name = raw_name.trim_end_matches("[x]").to_string();
            let min = e["min"].as_u64().unwrap_or(0) as u32;
            let max = parse_max(e["max"].as_str());
            let base_max = parse_max(
                e.pointer("/base/max")
                    .and_then(Value::as_str)
                    .or(e["max"].as_str()),
            );
            let mut types = Vec::new();
            if children.contains_key(epath) {
                // An inline backbone element: its own plan, named by path.
                let code = e
                    .pointer("/type/0/code")
                    .and_then(Value::as_str)
                    .unwrap_or("BackboneElement");
                let nested = self.new_plan(epath.to_string(), TypeKind::Backbone, false);
                self.plans.types[nested as usize].base = Some(code.to_string());
                backbones.insert(epath.to_string(), nested);
                self.fill_elements(nested, epath, children, backbones, pending_refs, false);
                types.push(ElementType {
                    code: code.to_string(),
                    plan: nested,
                    target_types: Vec::new(),
                });
            } else if let Some(r) = e["contentReference"].as_str() {
                pending_refs.push((id, elements.len(), r.trim_start_matches('#').to_string()));
            } else {
                for t in e["type"].as_array().into_iter().flatten() {
                    let code = type_code(t, e);
                    let Some(&plan) = self.plans.by_name.get(&code) else {
                        continue; // a type we do not have (logical models): skip
                    };
                    types.push(ElementType {
                        code,
                        plan,
                        target_types: target_types(t),
                    });
                }
            }
            let binding = self.binding(e);
            let constraints = self.constraints(e);
            elements.push(ElementPlan {
                constraints,
                name,
                path: epath.to_string(),
                min,
                max,
                array: base_max > 1,
                choice,
                types,
                binding,
            });
        }
        let keys = keys_of(&elements, &self.plans.types);
        let plan = &mut self.plans.types[id as usize];
        plan.required = (0..elements.len() as u16)
            .filter(|&i| elements[i as usize].min > 0)
            .collect();
        plan.elements = elements;
        plan.keys = keys;
    }

    fn binding(&mut self, e: &Value) -> Option<Binding> {
        let b = e.get("binding")?;
        let strength = match b["strength"].as_str()? {
            "required" => Strength::Required,
            "extensible" => Strength::Extensible,
            "preferred" => Strength::Preferred,
            _ => Strength::Example,
        };
        let value_set = b["valueSet"].as_str()?.to_string();
        let code_set = (strength == Strength::Required).then(|| self.code_set(&value_set));
        Some(Binding {
            strength,
            value_set,
            code_set,
        })
    }

    /// An element's invariants, except those the walk checks natively.
    pub(super) fn constraints(&mut self, e: &Value) -> Vec<u32> {
        let mut out = Vec::new();
        for c in e["constraint"].as_array().into_iter().flatten() {
            let (Some(key), Some(expr)) = (c["key"].as_str(), c["expression"].as_str()) else {
                continue;
            };
            if NATIVE.contains(&key) {
                continue;
            }
            let fixed = erratum(key, expr);
            let expr = fixed.as_deref().unwrap_or(expr);
            out.push(self.register_constraint(super::Constraint {
                key: key.to_string(),
                error: c["severity"] != "warning",
                best_practice: c["extension"].as_array().into_iter().flatten().any(|x| {
                    x["url"]
                        == "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice"
                        && x["valueBoolean"] == true
                }),
                human: c["human"].as_str().unwrap_or_default().to_string(),
                expression: expr.to_string(),
                ready: Default::default(),
            }));
        }
        out
    }

    /// The index of a constraint in the plans (one entry per key and
    /// expression, however many elements carry it).
    pub(super) fn register_constraint(&mut self, c: super::Constraint) -> u32 {
        let id = (c.key.clone(), c.expression.clone());
        let next = self.plans.constraints.len() as u32;
        let i = *self.constraint_ids.entry(id).or_insert(next);
        if i == next {
            self.plans.constraints.push(c);
        }
        i
    }

    /// Snapshots copy a type's own invariants (`ext-1` of Extension) onto
    /// the elements of that type; the walk applies them once, with the type.
    fn drop_inherited_constraints(&mut self) {
        let types = &mut self.plans.types;
        for t in 0..types.len() {
            for e in 0..types[t].elements.len() {
                let [only] = types[t].elements[e].types.as_slice() else {
                    continue;
                };
                let own = types[only.plan as usize].constraints.clone();
                types[t].elements[e]
                    .constraints
                    .retain(|c| !own.contains(c));
            }
        }
    }

    /// The value sets invariants name in `memberOf()` (`opd-3` asks about
    /// resource types), expanded with the plans as required bindings'
    /// are, so a run finds them ready rather than expanding each the
    /// first time an invariant asks.
    fn expand_value_sets_named(&mut self) {
        let urls: Vec<String> = self
            .plans
            .constraints
            .iter()
            .filter(|c| c.expression.contains("memberOf"))
            .filter_map(|c| conform_fhirpath::parse(&c.expression).ok())
            .flat_map(|e| {
                e.value_sets_named()
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        for url in urls {
            self.code_set(&url);
        }
    }

    pub(super) fn code_set(&mut self, url: &str) -> u32 {
        if let Some(&i) = self.code_set_ids.get(url) {
            return i;
        }
        let set = terminology::expand(self.src, url);
        let i = self.plans.code_sets.len() as u32;
        self.plans.code_set_urls.push(set.url.clone());
        self.plans.code_sets.push(set);
        self.code_set_ids.insert(url.to_string(), i);
        i
    }
}

fn parse_max(max: Option<&str>) -> u32 {
    match max {
        Some("*") | None => UNBOUNDED,
        Some(n) => n.parse().unwrap_or(UNBOUNDED),
    }
}

/// The FHIR type code of an element type. `System.String` and friends (used
/// for ids, urls and primitive values) carry the FHIR type in an extension.
/// `Resource.id` says `string` there, but the specification makes it an
/// `id`, and the reference validator checks it as one.
pub(super) fn type_code(t: &Value, e: &Value) -> String {
    let code = t["code"].as_str().unwrap_or_default();
    if e.pointer("/base/path").and_then(Value::as_str) == Some("Resource.id") {
        return "id".into();
    }
    if code.starts_with("http://hl7.org/fhirpath/System.") {
        let from_ext = t["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["url"] == FHIR_TYPE_EXT)
            .and_then(|x| x["valueUrl"].as_str().or(x["valueUri"].as_str()));
        return from_ext.unwrap_or("string").to_string();
    }
    code.to_string()
}

/// Resource type names from `targetProfile` (Reference) or `profile`
/// (canonical) URLs; empty means any.
fn target_types(t: &Value) -> Vec<String> {
    let profiles = t["targetProfile"].as_array();
    let mut out: Vec<String> = profiles
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .filter_map(|p| p.rsplit('/').next())
        .map(str::to_string)
        .collect();
    if out.iter().any(|t| t == "Resource") {
        out.clear();
    }
    out
}

/// The JSON property names of a type's elements.
fn keys_of(elements: &[ElementPlan], types: &LazyList<TypePlan>) -> FxHashMap<String, Key> {
    let mut keys = FxHashMap::default();
    for (i, e) in elements.iter().enumerate() {
        let element = i as u16;
        let is_primitive =
            |t: &ElementType| matches!(types[t.plan as usize].kind, TypeKind::Primitive(_));
        if e.choice {
            for (c, t) in e.types.iter().enumerate() {
                let key = format!("{}{}", e.name, upper_first(&t.code));
                if is_primitive(t) {
                    keys.insert(
                        format!("_{key}"),
                        Key {
                            element,
                            choice: c as u8,
                            underscore: true,
                        },
                    );
                }
                keys.insert(
                    key,
                    Key {
                        element,
                        choice: c as u8,
                        underscore: false,
                    },
                );
            }
        } else {
            if e.types.first().is_some_and(is_primitive) {
                keys.insert(
                    format!("_{}", e.name),
                    Key {
                        element,
                        choice: 0,
                        underscore: true,
                    },
                );
            }
            keys.insert(
                e.name.clone(),
                Key {
                    element,
                    choice: 0,
                    underscore: false,
                },
            );
        }
    }
    keys
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// R4 invariants whose published expression is wrong, with the correction
/// the HL7 validator evaluates instead (its `FHIRPathExpressionFixer`, in
/// org.hl7.fhir.validation, applies each of these to R4 content; later
/// FHIR versions publish the corrected forms). Each arm says what is wrong.
fn erratum(key: &str, expr: &str) -> Option<String> {
    let fixed = match (key, expr) {
        // `answer is Boolean` tests System.Boolean, which a FHIR `boolean`
        // is not (official FHIRPath test testType12), so every valid
        // `exists` condition would fail.
        ("que-7", "operator = 'exists' implies (answer is Boolean)") => {
            "operator = 'exists' implies (answer is boolean)".to_string()
        }
        // enableBehavior is needed as soon as there are two conditions
        // (R4's own text: "If there are more than one enableWhen,
        // enableBehavior SHALL be specified"); `> 2` let two through.
        ("que-12", "enableWhen.count() > 2 implies enableBehavior.exists()") => {
            "enableWhen.count() >= 2 implies enableBehavior.exists()".to_string()
        }
        // "should have narrative for human readability" is about the
        // resource a reader opens, not the ones contained in it.
        ("dom-6", "text.`div`.exists()") => {
            "(%rootResource != $this) or text.`div`.exists()".to_string()
        }
        // A target profile is also allowed on a parameter whose type is a
        // resource type (a parameter carrying a whole resource).
        ("opd-3", "targetProfile.exists() implies (type = 'Reference' or type = 'canonical')") => {
            "targetProfile.exists() implies (type = 'Reference' or type = 'canonical' or type.memberOf('http://hl7.org/fhir/ValueSet/resource-types'))".to_string()
        }
        // The problem-list rule: R4's expression tests the category's
        // Coding against a string (never equal) and reads inverted; the
        // intent is "a problem-list item not entered in error needs a
        // clinical status".
        ("con-3", "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or category.select($this='problem-list-item').empty()") => {
            "(verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() and category.coding.exists(system='http://terminology.hl7.org/CodeSystem/condition-category' and code ='problem-list-item').empty()) implies (clinicalStatus.exists())".to_string()
        }
        // `when` repeats; `in` on a collection of more than one is an
        // error in FHIRPath, so test each value.
        ("tim-9", "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))") => {
            "offset.empty() or (when.exists() and when.select($this in ('C' | 'CM' | 'CD' | 'CV')).allFalse())".to_string()
        }
        // `probability is decimal implies …` on a Range probability gives
        // an empty left side; the rule is only about a decimal.
        ("ras-2", "probability is decimal implies (probability as decimal) <= 100") => {
            "(probability.exists() and (probability is decimal)) implies ((probability as decimal) <= 100)".to_string()
        }
        // Names and paths must match the whole pattern, not contain a
        // match of it (FHIRPath's matches() finds a match anywhere).
        (_, "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')") => {
            "name.exists() implies name.matches('^[A-Z]([A-Za-z0-9_]){0,254}$')".to_string()
        }
        // STU3 (3.0.1) publishes these; the reference rewrites each the
        // same way for STU3 content (FHIRPathExpressionFixer, "R3").
        // Elements used as booleans (`code or …`, `definition and min`):
        // a repeating or non-boolean element is not a boolean, so the
        // intent, "present", is written `exists()`.
        ("mny-1", "(code or value.empty()) and (system.empty() or system = 'urn:iso:std:iso:4217')") => {
            "(code.exists() or value.empty()) and (system.empty() or system = 'urn:iso:std:iso:4217')".to_string()
        }
        ("age-1", "(code or value.empty()) and (system.empty() or system = %ucum) and (value.empty() or value > 0)") => {
            "(code.exists() or value.empty()) and (system.empty() or system = %ucum) and (value.empty() or value > 0)".to_string()
        }
        ("sdf-3", "element.all(definition and min and max)") => {
            "element.all(definition.exists() and min.exists() and max.exists())".to_string()
        }
        ("opd-2", "searchType implies type = 'string'") => {
            "searchType.exists() implies type = 'string'".to_string()
        }
        ("vs-2", "(component.empty() and related.empty()) implies (dataAbsentReason or value)") => {
            "(component.empty() and related.empty()) implies (dataAbsentReason.exists() or value.exists())".to_string()
        }
        // `!=` between collections of different sizes is true, so with two
        // components the rule passed even when one repeats the code.
        ("obs-7", "value.empty() or code!=component.code") => {
            "value.empty() or (code in component.code).not()".to_string()
        }
        // `abatement as boolean` is empty for a dateTime or Age abatement,
        // and the clinicalStatus comparisons need parentheses to read as
        // intended: only a boolean `true` abatement needs a resolved status.
        ("con-4", "abatement.empty() or (abatement as boolean).not()  or clinicalStatus='resolved' or clinicalStatus='remission' or clinicalStatus='inactive'") => {
            "abatement.empty() or (abatement is boolean).not() or (abatement as boolean).not() or (clinicalStatus = 'resolved') or (clinicalStatus = 'remission') or (clinicalStatus = 'inactive')".to_string()
        }
        // STU3's form of ras-2 above: a Range probability is not limited.
        ("ras-2", "probability is decimal implies probability.as(decimal) <= 100") => {
            "probability.empty() or (probability is decimal implies probability.as(decimal) <= 100)".to_string()
        }
        ("eld-19" | "eld-20", _) if expr.starts_with("path.matches('") && expr.ends_with("')") => {
            let pattern = &expr["path.matches('".len()..expr.len() - 2];
            format!("path.matches('^{pattern}$')")
        }
        _ => return None,
    };
    Some(fixed)
}

/// Invariants the walk checks natively, faster and with a more precise
/// message: `ele-1` ("a value or children": empty objects, strings and
/// arrays) on every element, and `ref-1` (a local reference must resolve
/// to a contained resource) and `dom-3` (each contained resource is
/// referred to), whose FHIRPath searches every descendant. `txt-1` and
/// `txt-2` are `htmlChecks()`, which is the walk's own narrative check
/// (rule `narrative`): evaluating them too would report each defect twice.
const NATIVE: &[&str] = &["ele-1", "ref-1", "dom-3", "txt-1", "txt-2"];
