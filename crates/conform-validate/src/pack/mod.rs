//! Profile packs: what "validate as UK Core" (or any other national or
//! regional flavour) means, as data rather than code. A pack names the FHIR
//! packages to load, the profile that applies to each resource type, and
//! the national rules (see [`crate::national`]).
//!
//! Packs are TOML files, `profiles/<name>.toml`. The repository's packs are
//! also built into the binary, so `--pack uk-core` works from any folder;
//! a file of the same name found on disk wins, so a team can adjust one.

mod error;

pub use error::PackError;

use crate::national::{Rule, RuleSet};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The packs built into the binary: (name, TOML text).
const BUILTIN: &[(&str, &str)] = &[
    ("base", include_str!("../../../../profiles/base.toml")),
    ("uk-core", include_str!("../../../../profiles/uk-core.toml")),
    (
        "gp-connect",
        include_str!("../../../../profiles/gp-connect.toml"),
    ),
];

/// A loaded profile pack.
#[derive(Clone, Debug)]
pub struct Pack {
    pub name: String,
    pub description: String,
    /// The FHIR release its packages are for (`None`: whatever the
    /// configured core package is).
    pub fhir_release: Option<conform_packages::FhirRelease>,
    /// The SNOMED CT edition a terminology server answers from for this
    /// pack's payloads (module URI), unless `[terminology]` says.
    pub snomed_edition: Option<String>,
    /// FHIR packages (`id#version`) to load on top of the configured ones.
    pub packages: Vec<String>,
    /// Resource type -> canonical URL of the profile that applies to it.
    pub profiles: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
    /// Where it came from: a file path, or `built-in <name>`.
    pub origin: String,
}

/// The file format, kept apart from [`Pack`] so the format can reject
/// unknown fields without the loaded form carrying serde's constraints.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default, rename = "fhir-version")]
    fhir_version: Option<toml::Spanned<String>>,
    #[serde(default, rename = "snomed-edition")]
    snomed_edition: Option<String>,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    profiles: BTreeMap<String, String>,
    #[serde(default, rename = "rule")]
    rules: Vec<toml::Spanned<Rule>>,
}

/// The names of the packs built into the binary.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

impl Pack {
    /// Reads a pack file.
    pub fn load(path: &Path) -> Result<Pack, PackError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PackError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Pack::parse(&text, &file)
    }

    /// A pack built into the binary, if there is one of that name.
    pub fn builtin(name: &str) -> Option<Result<Pack, PackError>> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Some(Pack::parse(text, "built-in").map(|mut p| {
            p.origin = format!("built-in {name}");
            p
        }))
    }

    /// Finds a pack by name: `<dir>/<name>.toml` in each folder in turn,
    /// then the built-in packs. A value that looks like a path (ends in
    /// `.toml` or has a slash) is loaded as a file.
    pub fn find(name: &str, dirs: &[PathBuf]) -> Result<Pack, PackError> {
        if Pack::names_a_file(name) {
            return Pack::load(Path::new(name));
        }
        if !is_pack_name(name) {
            return Err(PackError::Invalid {
                file: name.to_string(),
                at: None,
                message: "a pack name is lower-case letters, digits and '-' (or give a .toml file)"
                    .into(),
            });
        }
        for dir in dirs {
            let path = dir.join(format!("{name}.toml"));
            if path.is_file() {
                return Pack::load(&path);
            }
        }
        Pack::builtin(name).unwrap_or_else(|| {
            Err(PackError::NotFound {
                name: name.to_string(),
                searched: dirs.to_vec(),
            })
        })
    }

    /// Whether a `--pack` value names a file rather than a pack.
    pub fn names_a_file(value: &str) -> bool {
        value.ends_with(".toml") || value.contains(['/', '\\'])
    }

    /// Parses pack TOML; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Pack, PackError> {
        let invalid = |span: Option<std::ops::Range<usize>>, message: String| PackError::Invalid {
            file: file.to_string(),
            at: span.map(|s| line_column(text, s.start)),
            message,
        };
        let parsed: PackFile =
            toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_string()))?;
        if !is_pack_name(&parsed.name) {
            return Err(invalid(
                None,
                format!(
                    "name '{}' must be lower-case letters, digits and '-'",
                    parsed.name
                ),
            ));
        }
        for spec in &parsed.packages {
            if conform_packages::PackageSpec::parse(spec).is_err() {
                return Err(invalid(None, format!("package '{spec}' is not id#version")));
            }
        }
        for (resource_type, url) in &parsed.profiles {
            if !is_type_name(resource_type) || url.trim().is_empty() {
                return Err(invalid(
                    None,
                    format!("profiles: '{resource_type} = \"{url}\"' must map a resource type name to a profile URL"),
                ));
            }
        }
        let fhir_release = parsed
            .fhir_version
            .map(|v| {
                conform_packages::FhirRelease::parse(v.get_ref())
                    .map_err(|e| invalid(Some(v.span()), format!("fhir-version: {e}")))
            })
            .transpose()?;
        let mut ids = HashSet::new();
        for rule in &parsed.rules {
            let r = rule.get_ref();
            let problem = if r.id.is_empty() || r.id.contains(char::is_whitespace) {
                Some(format!("rule id '{}' must be a non-empty word", r.id))
            } else if !ids.insert(r.id.as_str()) {
                Some(format!("rule id '{}' is used twice", r.id))
            } else if r.why.trim().is_empty() {
                Some(format!("rule '{}' needs a `why`", r.id))
            } else {
                None
            };
            if let Some(message) = problem {
                return Err(invalid(Some(rule.span()), message));
            }
        }
        Ok(Pack {
            name: parsed.name,
            description: parsed.description,
            fhir_release,
            snomed_edition: parsed.snomed_edition,
            packages: parsed.packages,
            profiles: parsed.profiles,
            rules: parsed
                .rules
                .into_iter()
                .map(toml::Spanned::into_inner)
                .collect(),
            origin: file.to_string(),
        })
    }

    /// The profile this pack applies to a resource type, if any. Explicit
    /// choices (`--profile`, `meta.profile`) come first; this is the default.
    pub fn profile_for(&self, resource_type: &str) -> Option<&str> {
        self.profiles.get(resource_type).map(String::as_str)
    }

    /// The pack's national rules, ready for [`crate::Validator::with_rules`].
    pub fn rule_set(&self) -> RuleSet {
        RuleSet::new(self.rules.clone())
    }
}

fn is_pack_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// FHIR resource type names: an upper-case letter, then letters.
fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphabetic())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
