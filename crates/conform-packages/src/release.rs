//! FHIR releases as data. Everything that differs between STU3 and R4 —
//! types, elements, choice names, extension and reference rules, invariants
//! — comes from the release's own definitions; what is left is this small
//! table: how users name a release, which core package defines it, how a
//! payload's profile URLs betray it, and what to advise when a payload is
//! of the other release.
//!
//! The two releases share canonical URLs (`http://hl7.org/fhir/
//! StructureDefinition/Patient` is defined by both), so definitions of two
//! releases are never loaded together: [`release_of`] refuses the mix.

use crate::error::PackageError;
use crate::ResolvedPackage;

/// A FHIR release conform validates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FhirRelease {
    /// STU3, 3.0.x: GP Connect and Care Connect.
    Stu3,
    /// R4, 4.0.x: UK Core and the national APIs.
    R4,
}

/// What conform knows of a release beyond its definitions.
struct Facts {
    release: FhirRelease,
    /// How it is written in reports.
    label: &'static str,
    /// The `fhirVersion` of its core package.
    number: &'static str,
    /// `major.minor`: every 3.0.x (or 4.0.x) is this release.
    prefix: &'static str,
    /// Other names users give it (case-insensitive).
    aliases: &'static [&'static str],
    /// The core package validation loads for it (`id#version`).
    core_package: &'static str,
    /// Every package id that is this release's core (HL7 published STU3 as
    /// `hl7.fhir.core`, later repackaged as `hl7.fhir.r3.core`).
    core_names: &'static [&'static str],
    /// Path segments that mark a profile URL as written for this release
    /// (NHS England publishes its STU3 profiles under `/STU3/`).
    profile_markers: &'static [&'static str],
    /// How to validate a payload of this release.
    advice: &'static str,
}

const RELEASES: &[Facts] = &[
    Facts {
        release: FhirRelease::Stu3,
        label: "STU3",
        number: "3.0.1",
        prefix: "3.0",
        aliases: &["stu3", "r3", "3", "3.0"],
        core_package: "hl7.fhir.r3.core#3.0.1",
        core_names: &["hl7.fhir.r3.core", "hl7.fhir.core"],
        profile_markers: &["/STU3/"],
        advice: "validate it with --fhir-version 3.0 or --pack gp-connect",
    },
    Facts {
        release: FhirRelease::R4,
        label: "R4",
        number: "4.0.1",
        prefix: "4.0",
        aliases: &["r4", "4", "4.0"],
        core_package: "hl7.fhir.r4.core#4.0.1",
        core_names: &["hl7.fhir.r4.core"],
        profile_markers: &["/R4/"],
        advice: "validate it with --fhir-version 4.0 or --pack uk-core",
    },
];

impl FhirRelease {
    /// Every release conform knows, oldest first.
    pub const ALL: [FhirRelease; 2] = [FhirRelease::Stu3, FhirRelease::R4];

    fn facts(self) -> &'static Facts {
        RELEASES
            .iter()
            .find(|f| f.release == self)
            .expect("every release has a row")
    }

    /// Reads what a user writes: `3.0`, `3.0.1`, `STU3`, `R4`, `4.0.1`...
    pub fn parse(text: &str) -> Result<FhirRelease, String> {
        let t = text.trim().to_ascii_lowercase();
        RELEASES
            .iter()
            .find(|f| f.aliases.contains(&t.as_str()))
            .map(|f| f.release)
            .or_else(|| FhirRelease::of_version(&t))
            .ok_or_else(|| {
                format!("unknown FHIR version {text:?}: conform validates 3.0 (STU3) and 4.0 (R4)")
            })
    }

    /// The release a declared `fhirVersion` (`3.0.1`, `4.0.0`...) belongs to.
    pub fn of_version(version: &str) -> Option<FhirRelease> {
        RELEASES
            .iter()
            .find(|f| {
                version
                    .strip_prefix(f.prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
            .map(|f| f.release)
    }

    /// `STU3 (3.0.1)`.
    pub fn describe(self) -> String {
        let f = self.facts();
        format!("{} ({})", f.label, f.number)
    }

    pub fn label(self) -> &'static str {
        self.facts().label
    }

    /// The core package this release's validation loads.
    pub fn core_package(self) -> &'static str {
        self.facts().core_package
    }

    /// Whether `package_name` is this release's core package.
    pub fn is_core(self, package_name: &str) -> bool {
        self.facts().core_names.contains(&package_name)
    }

    /// The release whose core package `package_name` is.
    pub fn of_core(package_name: &str) -> Option<FhirRelease> {
        FhirRelease::ALL
            .into_iter()
            .find(|r| r.is_core(package_name))
    }

    /// The release whose core package a spec (`id#version` or `id@version`,
    /// as configured) names.
    pub fn of_core_spec(spec: &str) -> Option<FhirRelease> {
        FhirRelease::of_core(spec.split(['#', '@']).next().unwrap_or(spec))
    }

    /// Whether a profile URL is marked as written for this release.
    pub fn marks_profile(self, url: &str) -> bool {
        self.facts().profile_markers.iter().any(|m| url.contains(m))
    }

    /// How to validate a payload of this release, for messages.
    pub fn advice(self) -> &'static str {
        self.facts().advice
    }

    /// The other releases, for telling which one a payload was written for.
    pub fn others(self) -> impl Iterator<Item = FhirRelease> {
        FhirRelease::ALL.into_iter().filter(move |r| *r != self)
    }
}

impl std::fmt::Display for FhirRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl ResolvedPackage {
    /// The releases its `fhirVersions` name (empty: it declares none that
    /// conform knows, like loose resources).
    pub fn releases(&self) -> Vec<FhirRelease> {
        let mut out: Vec<FhirRelease> = self
            .fhir_versions
            .iter()
            .filter_map(|v| FhirRelease::of_version(v))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The one release `packages` are for: `wanted` if given, else the release
/// of the core package among them, else the one they declare. A package that
/// declares releases, none of them this one, is refused: the releases share
/// canonical URLs, so its definitions would silently replace or mix with the
/// others'. `None` when nothing declares a release.
pub fn release_of(
    packages: &[ResolvedPackage],
    wanted: Option<FhirRelease>,
) -> Result<Option<FhirRelease>, PackageError> {
    let from_core = packages
        .iter()
        .find_map(|p| FhirRelease::of_core(&p.id.name));
    let declared = || packages.iter().find_map(|p| p.releases().first().copied());
    let Some(release) = wanted.or(from_core).or_else(declared) else {
        return Ok(None);
    };
    let chosen_by = match (wanted, from_core) {
        (Some(_), _) => "asked for".to_string(),
        (None, Some(_)) => "of the core package".to_string(),
        (None, None) => "declared by the first package".to_string(),
    };
    for p in packages {
        let of_package = p.releases();
        let other_core = FhirRelease::of_core(&p.id.name).filter(|r| *r != release);
        if other_core.is_some() || (!of_package.is_empty() && !of_package.contains(&release)) {
            return Err(PackageError::MixedReleases {
                package: p.id.to_string(),
                declared: p.fhir_versions.join(", "),
                release: release.describe(),
                chosen_by,
            });
        }
    }
    Ok(Some(release))
}

/// Reads an STU3 StructureDefinition in R4's shape, so one compiler and
/// one snapshot generator serve both releases. STU3 writes three things
/// another way (R4's ElementDefinition and StructureDefinition pages list
/// the changes):
/// - `type.profile` and `type.targetProfile` are one uri each, so a
///   Reference to two target profiles is two `type` entries with the same
///   code; R4 has one entry per code with lists;
/// - a binding names its value set in `valueSetReference.reference` or
///   `valueSetUri`; R4 in `valueSet`;
/// - an extension's context is `contextType` plus a list of strings; R4
///   lists `{type, expression}` (STU3 `resource` and `datatype` contexts
///   are element paths, R4's `element`);
/// - a snapshot may narrow a choice to one type by that type's slice alone
///   (see [`single_type_choices`]).
///
/// Anything already in R4's shape is left as it is, so this is safe to
/// apply to every resource.
pub(crate) fn read_as_r4(resource: &mut serde_json::Value) {
    use serde_json::Value;
    if resource["resourceType"] != "StructureDefinition" {
        return;
    }
    let renames = resource
        .get("snapshot")
        .and_then(|p| p.get("element"))
        .and_then(Value::as_array)
        .map(|elements| single_type_choices(elements))
        .unwrap_or_default();
    for part in ["snapshot", "differential"] {
        // `get_mut`, not indexing: indexing a Value inserts what it misses.
        let elements = resource
            .get_mut(part)
            .and_then(|p| p.get_mut("element"))
            .and_then(Value::as_array_mut);
        let Some(elements) = elements else {
            continue;
        };
        // The differential names the same elements, so it is renamed alike
        // (the compiler matches snapshot elements to differential ids).
        rename_elements(elements, &renames);
        for element in elements {
            if let Some(types) = element.get_mut("type").and_then(Value::as_array_mut) {
                merge_types(types);
            }
            if let Some(binding) = element.get_mut("binding").and_then(Value::as_object_mut) {
                let named = binding
                    .remove("valueSetReference")
                    .and_then(|r| r.get("reference").cloned())
                    .or_else(|| binding.remove("valueSetUri"));
                if let Some(url) = named.filter(|_| !binding.contains_key("valueSet")) {
                    binding.insert("valueSet".into(), url);
                }
            }
        }
    }
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    if let Some(Value::String(kind)) = object.remove("contextType") {
        let kind = if kind == "extension" {
            "extension"
        } else {
            "element"
        };
        if let Some(contexts) = object.get_mut("context").and_then(Value::as_array_mut) {
            for c in contexts.iter_mut() {
                if let Value::String(path) = c {
                    *c = serde_json::json!({"type": kind, "expression": path});
                }
            }
        }
    }
}

/// STU3 snapshots (Forge's, which NHS Digital's profiles come from) write a
/// choice narrowed to one type as that type's slice alone: id
/// `Extension.value[x]:valueCodeableConcept`, path
/// `Extension.valueCodeableConcept`, with no `Extension.value[x]` element
/// to slice. R4 writes it as the choice element itself, with one type.
/// A type slice whose choice element is present is a real slice and stays.
/// Returns the renames: (slice id, choice id, renamed path, choice path).
fn single_type_choices(elements: &[serde_json::Value]) -> Vec<(String, String, String, String)> {
    let ids: std::collections::HashSet<String> = elements
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    let mut renames = Vec::new();
    for e in elements {
        let (Some(id), Some(path)) = (e["id"].as_str(), e["path"].as_str()) else {
            continue;
        };
        let Some((choice_id, slice)) = id.rsplit_once(':') else {
            continue;
        };
        let Some(choice_name) = choice_id.rsplit('.').next() else {
            continue;
        };
        let Some(stem) = choice_name.strip_suffix("[x]") else {
            continue;
        };
        let renamed = path.rsplit('.').next().unwrap_or(path);
        if ids.contains(choice_id) || renamed != slice || !slice.starts_with(stem) {
            continue;
        }
        let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
        renames.push((
            id.to_string(),
            choice_id.to_string(),
            path.to_string(),
            format!("{parent}.{choice_name}"),
        ));
    }
    renames
}

/// Moves each renamed slice, and the elements under it, to its choice.
fn rename_elements(
    elements: &mut [serde_json::Value],
    renames: &[(String, String, String, String)],
) {
    for e in elements.iter_mut() {
        let Some(object) = e.as_object_mut() else {
            continue;
        };
        for (slice_id, choice_id, renamed_path, choice_path) in renames {
            let moved = |text: &str, from: &str, to: &str| {
                (text == from).then(|| to.to_string()).or_else(|| {
                    text.strip_prefix(&format!("{from}."))
                        .map(|rest| format!("{to}.{rest}"))
                })
            };
            let id = object
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if let Some(new_id) = moved(id, slice_id, choice_id) {
                if id == slice_id {
                    object.remove("sliceName");
                }
                object.insert("id".into(), new_id.into());
            }
            let path = object
                .get("path")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if let Some(new_path) = moved(path, renamed_path, choice_path) {
                object.insert("path".into(), new_path.into());
            }
        }
    }
}

/// One `type` entry per code, its profiles and target profiles as lists.
fn merge_types(types: &mut Vec<serde_json::Value>) {
    use serde_json::Value;
    let as_list = |v: &mut Value, key: &str| {
        if let Some(one @ Value::String(_)) = v.get_mut(key) {
            *one = Value::Array(vec![one.take()]);
        }
    };
    let mut merged: Vec<Value> = Vec::with_capacity(types.len());
    for mut t in types.drain(..) {
        as_list(&mut t, "profile");
        as_list(&mut t, "targetProfile");
        let same = merged
            .iter_mut()
            .find(|m| m.get("code").is_some() && m.get("code") == t.get("code"));
        match same {
            Some(m) => {
                for key in ["profile", "targetProfile"] {
                    let Some(Value::Array(more)) = t.get_mut(key).map(Value::take) else {
                        continue;
                    };
                    let list = m
                        .as_object_mut()
                        .expect("a type entry is an object")
                        .entry(key)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = list {
                        for p in more {
                            if !list.contains(&p) {
                                list.push(p);
                            }
                        }
                    }
                }
            }
            None => merged.push(t),
        }
    }
    *types = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_name_releases_many_ways() {
        for t in ["3.0", "3.0.1", "STU3", "r3", "3.0.2"] {
            assert_eq!(FhirRelease::parse(t), Ok(FhirRelease::Stu3), "{t}");
        }
        for t in ["4.0", "4.0.1", "R4", "4"] {
            assert_eq!(FhirRelease::parse(t), Ok(FhirRelease::R4), "{t}");
        }
        for t in ["5.0", "4.3.0", "30", "3.01", ""] {
            assert!(FhirRelease::parse(t).is_err(), "{t}");
        }
    }

    #[test]
    fn stu3_definitions_are_read_in_r4_shape() {
        let mut sd = serde_json::json!({"resourceType": "StructureDefinition",
            "contextType": "datatype", "context": ["Identifier"],
            "snapshot": {"element": [{"path": "Observation.subject",
                "type": [{"code": "Reference", "targetProfile": "http://x/Patient"},
                         {"code": "Reference", "targetProfile": "http://x/Group"}],
                "binding": {"strength": "required", "valueSetReference": {"reference": "http://x/vs"}}},
                {"path": "Observation.code", "binding": {"strength": "example", "valueSetUri": "http://x/vs2"}}]}});
        read_as_r4(&mut sd);
        assert_eq!(
            sd["snapshot"]["element"][0]["type"],
            serde_json::json!([{"code": "Reference", "targetProfile": ["http://x/Patient", "http://x/Group"]}])
        );
        assert_eq!(
            sd["snapshot"]["element"][0]["binding"]["valueSet"],
            "http://x/vs"
        );
        assert!(sd["snapshot"]["element"][0]["binding"]
            .get("valueSetReference")
            .is_none());
        assert_eq!(
            sd["snapshot"]["element"][1]["binding"]["valueSet"],
            "http://x/vs2"
        );
        assert_eq!(
            sd["context"],
            serde_json::json!([{"type": "element", "expression": "Identifier"}])
        );
        // A choice narrowed to one type by an orphan slice becomes the choice.
        let mut ext = serde_json::json!({"resourceType": "StructureDefinition", "snapshot": {"element": [
            {"id": "Extension", "path": "Extension"},
            {"id": "Extension.value[x]:valueCodeableConcept", "path": "Extension.valueCodeableConcept",
             "sliceName": "valueCodeableConcept", "type": [{"code": "CodeableConcept"}]},
            {"id": "Extension.value[x]:valueCodeableConcept.coding", "path": "Extension.valueCodeableConcept.coding"}]}});
        read_as_r4(&mut ext);
        assert_eq!(
            ext["snapshot"]["element"][1],
            serde_json::json!({"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "CodeableConcept"}]})
        );
        assert_eq!(
            ext["snapshot"]["element"][2]["id"],
            "Extension.value[x].coding"
        );
        assert_eq!(
            ext["snapshot"]["element"][2]["path"],
            "Extension.value[x].coding"
        );
        // A type slice beside its choice element is a real slice.
        let sliced = serde_json::json!({"resourceType": "StructureDefinition", "snapshot": {"element": [
            {"id": "Observation.value[x]", "path": "Observation.value[x]"},
            {"id": "Observation.value[x]:valueQuantity", "path": "Observation.valueQuantity", "sliceName": "valueQuantity"}]}});
        let mut same = sliced.clone();
        read_as_r4(&mut same);
        assert_eq!(same, sliced);
        // R4's shape is left alone.
        let r4 = serde_json::json!({"resourceType": "StructureDefinition",
            "context": [{"type": "extension", "expression": "http://x/e"}],
            "snapshot": {"element": [{"type": [{"code": "Reference", "targetProfile": ["a", "b"]}],
                "binding": {"valueSet": "http://x/vs"}}]}});
        let mut same = r4.clone();
        read_as_r4(&mut same);
        assert_eq!(same, r4);
    }

    #[test]
    fn core_packages_name_their_release() {
        assert_eq!(
            FhirRelease::of_core("hl7.fhir.core"),
            Some(FhirRelease::Stu3)
        );
        assert_eq!(
            FhirRelease::of_core("hl7.fhir.r4.core"),
            Some(FhirRelease::R4)
        );
        assert_eq!(FhirRelease::of_core("hl7.fhir.r4.examples"), None);
        assert!(FhirRelease::Stu3.marks_profile(
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"
        ));
        assert!(!FhirRelease::Stu3
            .marks_profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"));
    }
}
