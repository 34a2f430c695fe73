//! What a CapabilityStatement declares, in the shape the checks ask about.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default)]
pub struct Declared {
    pub fhir_version: Option<String>,
    pub formats: Vec<String>,
    pub software: Option<String>,
    /// Per resource type: interactions (`read`, `search-type` ...).
    pub interactions: BTreeMap<String, BTreeSet<String>>,
    pub search_params: BTreeMap<String, BTreeSet<String>>,
    pub profiles: BTreeMap<String, Vec<String>>,
    pub conditional_create: BTreeSet<String>,
    /// Whole-system interactions (`transaction`, `batch` ...).
    pub system_interactions: BTreeSet<String>,
    pub server_mode: bool,
}

impl Declared {
    pub fn from_capability_statement(cs: &Value) -> Declared {
        let mut d = Declared {
            fhir_version: cs["fhirVersion"].as_str().map(str::to_string),
            formats: strings(&cs["format"]),
            software: cs["software"]["name"].as_str().map(|n| {
                match cs["software"]["version"].as_str() {
                    Some(v) => format!("{n} {v}"),
                    None => n.to_string(),
                }
            }),
            ..Declared::default()
        };
        for rest in cs["rest"].as_array().into_iter().flatten() {
            if rest["mode"] != "server" {
                continue;
            }
            d.server_mode = true;
            for i in rest["interaction"].as_array().into_iter().flatten() {
                if let Some(c) = i["code"].as_str() {
                    d.system_interactions.insert(c.to_string());
                }
            }
            for r in rest["resource"].as_array().into_iter().flatten() {
                let Some(t) = r["type"].as_str() else {
                    continue;
                };
                let set = d.interactions.entry(t.to_string()).or_default();
                for i in r["interaction"].as_array().into_iter().flatten() {
                    if let Some(c) = i["code"].as_str() {
                        set.insert(c.to_string());
                    }
                }
                let params = d.search_params.entry(t.to_string()).or_default();
                for p in r["searchParam"].as_array().into_iter().flatten() {
                    if let Some(n) = p["name"].as_str() {
                        params.insert(n.to_string());
                    }
                }
                let mut profiles: Vec<String> = r["profile"]
                    .as_str()
                    .map(str::to_string)
                    .into_iter()
                    .collect();
                profiles.extend(strings(&r["supportedProfile"]));
                if !profiles.is_empty() {
                    d.profiles.insert(t.to_string(), profiles);
                }
                if r["conditionalCreate"] == true {
                    d.conditional_create.insert(t.to_string());
                }
            }
        }
        d
    }

    pub fn declares_type(&self, t: &str) -> bool {
        self.interactions.contains_key(t)
    }

    pub fn has(&self, t: &str, interaction: &str) -> bool {
        self.interactions
            .get(t)
            .is_some_and(|s| s.contains(interaction))
    }

    pub fn has_param(&self, t: &str, param: &str) -> bool {
        self.search_params.get(t).is_some_and(|s| s.contains(param))
    }

    pub fn has_json(&self) -> bool {
        self.formats
            .iter()
            .any(|f| f == "json" || f.contains("fhir+json") || f == "application/json")
    }

    pub fn has_xml(&self) -> bool {
        self.formats
            .iter()
            .any(|f| f == "xml" || f.contains("fhir+xml") || f == "application/xml")
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}
