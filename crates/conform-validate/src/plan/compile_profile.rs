//! Compiles profile snapshots into [`ProfileSet`] node trees.

use super::compile::{type_code, Compiler};
use super::lazy::Lazy;
use super::profile::{
    Discriminator, DiscriminatorKind, NodeIdx, ProfileNode, ProfilePlan, ProfileType, Slicing,
    SlicingRules, Step,
};
use super::{Binding, Strength, UNBOUNDED};

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

impl Compiler<'_> {
    /// Compiles every constraint StructureDefinition that has a snapshot.
    pub(super) fn compile_profiles(&mut self) {
        self.base_constraints = self.plans.constraints.len() as u32;
        let src = self.src;
        let sds: Vec<&Value> = src
            .structure_definitions()
            .into_iter()
            .filter(|sd| {
                sd["derivation"] == "constraint" && sd.pointer("/snapshot/element").is_some()
            })
            .collect();
        for sd in sds {
            let Some(url) = sd["url"].as_str() else {
                continue;
            };
            if self.plans.profiles.by_url.contains_key(url) {
                continue; // an earlier package (or --ig) already defines it
            }
            if let Some(plan) = self.compile_profile(sd) {
                let i = self.plans.profiles.profiles.len() as u32;
                self.plans.profiles.profiles.push(plan);
                self.plans.profiles.by_url.insert(url.to_string(), i);
            }
        }
    }

    fn compile_profile(&mut self, sd: &Value) -> Option<ProfilePlan> {
        let elements = sd.pointer("/snapshot/element")?.as_array()?;
        let constrained_ids = self.differential_ids(sd);
        let mut by_id: FxHashMap<&str, NodeIdx> = FxHashMap::default();
        let mut nodes: Vec<ProfileNode> = Vec::with_capacity(elements.len());
        let mut root = None;
        for e in elements {
            let id = e["id"].as_str().or(e["path"].as_str())?;
            let constrained = constrained_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(id) || ids.contains(&renamed_choice(id)));
            let idx = nodes.len() as NodeIdx;
            nodes.push(self.profile_node(e, id, constrained));
            by_id.insert(id, idx);
            let Some((parent, last)) = id.rsplit_once('.') else {
                if let Some((sliced, _)) = id.split_once(':') {
                    // A slice of the root is not allowed; ignore it.
                    let _ = sliced;
                    continue;
                }
                root = Some(idx);
                continue;
            };
            if let Some((name, slice)) = last.split_once(':') {
                // A slice (or re-slice `a/b`) of the element it names. A
                // re-slice whose slice `a` this branch does not repeat (a
                // slice of a slice of the parent: `action:x.extension:a/b`
                // where only `action.extension:a` is written) re-slices the
                // element itself.
                let element_id = format!("{parent}.{name}");
                let sliced = match slice.rsplit_once('/') {
                    Some((outer, _)) => by_id
                        .get(format!("{element_id}:{outer}").as_str())
                        .or_else(|| by_id.get(element_id.as_str())),
                    None => by_id.get(element_id.as_str()),
                };
                if let Some(&sliced) = sliced {
                    let node = &mut nodes[sliced as usize];
                    node.slicing
                        .get_or_insert_with(|| implicit_slicing(name))
                        .slices
                        .push(idx);
                }
            } else if let Some(&p) = by_id.get(parent) {
                nodes[p as usize].children.push(idx);
            }
        }
        // An extension's context invariants, each compiled like any
        // constraint (keyed by the extension's url, so messages name it).
        let context_invariants = sd["contextInvariant"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|expr| {
                self.register_constraint(crate::plan::Constraint {
                    key: "extension-context".to_string(),
                    error: true,
                    best_practice: false,
                    human: expr.to_string(),
                    expression: typed_choice_names(expr),
                    ready: Default::default(),
                })
            })
            .collect();
        Some(ProfilePlan {
            context_invariants,
            url: sd["url"].as_str()?.to_string(),
            version: sd["version"].as_str().map(str::to_string),
            name: sd["name"]
                .as_str()
                .or(sd["id"].as_str())
                .unwrap_or("profile")
                .to_string(),
            type_name: sd["type"].as_str()?.to_string(),
            root: root?,
            nodes: Lazy::new(nodes),
            contexts: sd["context"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    Some((
                        c["type"].as_str()?.to_string(),
                        c["expression"].as_str()?.to_string(),
                    ))
                })
                .collect(),
            is_modifier: sd
                .pointer("/snapshot/element/0/isModifier")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            sub_extensions: sd
                .pointer("/snapshot/element")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|e| e["path"] == "Extension.extension.url")
                .filter_map(|e| e["fixedUri"].as_str().map(str::to_string))
                .collect(),
        })
    }

    /// Element ids in the differentials of this profile and of the profiles
    /// it derives from: what the profile chain itself constrains. `None`
    /// when a differential is missing (then every element is checked).
    fn differential_ids(&self, sd: &Value) -> Option<FxHashSet<String>> {
        let mut ids = FxHashSet::default();
        let mut current = Some(sd);
        let mut depth = 0;
        while let Some(p) = current.filter(|p| p["derivation"] == "constraint") {
            for e in p.pointer("/differential/element")?.as_array()? {
                if let Some(id) = e["id"].as_str().or(e["path"].as_str()) {
                    ids.insert(id.to_string());
                }
            }
            depth += 1;
            if depth > 16 {
                break;
            }
            current = p["baseDefinition"]
                .as_str()
                .and_then(|b| self.src.resource(b));
        }
        Some(ids)
    }

    fn profile_node(&mut self, e: &Value, id: &str, constrained: bool) -> ProfileNode {
        let path = e["path"].as_str().unwrap_or(id);
        let raw_name = path.rsplit('.').next().unwrap_or(path);
        let mut values = |prefix: &str| -> Option<u32> {
            let (_, v) = e.as_object()?.iter().find(|(k, _)| k.starts_with(prefix))?;
            let i = self.plans.profiles.values.len() as u32;
            self.plans.profiles.values.push(v.to_string());
            Some(i)
        };
        let fixed = values("fixed");
        let pattern = values("pattern");
        let min_value = values("minValue");
        let max_value = values("maxValue");
        let types = e["type"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| ProfileType {
                code: type_code(t, e),
                profiles: strings(&t["profile"]),
                target_types: strings(&t["targetProfile"])
                    .iter()
                    .map(|url| self.type_of_profile(url))
                    .filter(|t| t != "Resource")
                    .collect(),
                target_profiles: strings(&t["targetProfile"]),
                aggregation: strings(&t["aggregation"]),
            })
            .collect();
        let binding = e.get("binding").and_then(|b| {
            let strength = Strength::parse(b["strength"].as_str()?);
            let value_set = b["valueSet"].as_str()?.to_string();
            // Every strength is expanded: required and extensible give
            // errors and warnings, preferred and example information.
            let code_set = Some(self.code_set(&value_set));
            Some(Binding {
                strength,
                value_set,
                code_set,
            })
        });
        let slicing = e.get("slicing").map(|s| Slicing {
            discriminators: s["discriminator"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(discriminator)
                .collect(),
            rules: match s["rules"].as_str() {
                Some("closed") => SlicingRules::Closed,
                Some("openAtEnd") => SlicingRules::OpenAtEnd,
                _ => SlicingRules::Open,
            },
            ordered: s["ordered"].as_bool().unwrap_or(false),
            slices: Vec::new(),
        });
        let base = self.base_constraints;
        let constraints = self
            .constraints(e)
            .into_iter()
            .filter(|&c| c >= base)
            .collect();
        ProfileNode {
            id: id.to_string(),
            name: raw_name.trim_end_matches("[x]").to_string(),
            choice: raw_name.ends_with("[x]"),
            min: e["min"].as_u64().unwrap_or(0) as u32,
            max: match e["max"].as_str() {
                Some("*") | None => UNBOUNDED,
                Some(n) => n.parse().unwrap_or(UNBOUNDED),
            },
            constrained,
            types,
            fixed,
            pattern,
            binding,
            max_length: e["maxLength"].as_u64().map(|n| n as u32),
            min_length: e["extension"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["url"] == "http://hl7.org/fhir/StructureDefinition/minLength")
                .and_then(|x| x["valueInteger"].as_u64())
                .map(|n| n as u32),
            min_value,
            max_value,
            must_support: e["mustSupport"].as_bool().unwrap_or(false),
            constraints,
            children: Vec::new(),
            slicing,
        }
    }

    /// The resource type a (target) profile constrains: from its
    /// definition when loaded, else the URL's last segment (core types).
    fn type_of_profile(&self, url: &str) -> String {
        self.src
            .resource(url)
            .and_then(|sd| sd["type"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| url.rsplit('/').next().unwrap_or(url).to_string())
    }
}

/// Slices without a declared slicing (type slices of a choice element such
/// as `value[x]:valueQuantity`) are told apart by type.
fn implicit_slicing(_name: &str) -> Slicing {
    Slicing {
        discriminators: vec![Discriminator {
            kind: DiscriminatorKind::Type,
            path: Vec::new(),
        }],
        rules: SlicingRules::Open,
        ordered: false,
        slices: Vec::new(),
    }
}

fn discriminator(d: &Value) -> Option<Discriminator> {
    let kind = match d["type"].as_str()? {
        "value" => DiscriminatorKind::Value,
        "pattern" => DiscriminatorKind::Pattern,
        "type" => DiscriminatorKind::Type,
        "profile" => DiscriminatorKind::Profile,
        "exists" => DiscriminatorKind::Exists,
        _ => return None,
    };
    let path = Step::parse_path(d["path"].as_str()?);
    Some(Discriminator { kind, path })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// A type slice's id as a differential may write it: the snapshot's
/// `Observation.value[x]:valueQuantity` is the differential's
/// `Observation.valueQuantity`.
fn renamed_choice(id: &str) -> String {
    match id.split_once("[x]:") {
        Some((before, after)) => {
            let prefix = before.rsplit_once('.').map_or("", |(p, _)| p);
            if prefix.is_empty() {
                after.to_string()
            } else {
                format!("{prefix}.{after}")
            }
        }
        None => id.to_string(),
    }
}

/// R4's published context invariants name the extension's value with its
/// type (`%extension.valueInteger=0` in questionnaire-minOccurs and
/// -maxOccurs), which FHIRPath does not allow for a choice element and the
/// reference's engine accepts; read it as `value.ofType(integer)`.
fn typed_choice_names(expr: &str) -> String {
    static TYPED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = TYPED
        .get_or_init(|| regex::Regex::new(r"%extension\.value([A-Z][A-Za-z]*)").expect("regex"));
    re.replace_all(expr, |c: &regex::Captures| {
        let t = &c[1];
        let mut lower = t[..1].to_lowercase();
        lower.push_str(&t[1..]);
        format!("%extension.value.ofType({lower})")
    })
    .into_owned()
}

#[cfg(test)]
mod typed_choice_tests {
    #[test]
    fn typed_choice_names_become_of_type() {
        assert_eq!(
            super::typed_choice_names("required=true or %extension.valueInteger=0"),
            "required=true or %extension.value.ofType(integer)=0"
        );
        assert_eq!(super::typed_choice_names("type='choice'"), "type='choice'");
    }
}
