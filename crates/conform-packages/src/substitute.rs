//! Explicit version substitution and what resolution reports about it and
//! about dependencies it left out.
//!
//! A substitution says "where `id#a` is asked for, load `id#b`": for
//! packages whose dependencies name a version nobody can get (IPS 2.0.0
//! asks for `hl7.fhir.uv.extensions.r4#5.2.0`, which no registry serves).
//! It is never silent: the package loaded in its place records every
//! request it stands in for ([`crate::ResolvedPackage::substituted_for`]),
//! and [`substitutions_used`] / [`notes`] turn those into the report.

use std::fmt;
use std::str::FromStr;

use conform_outcome::validate::{MissingPackage, PackageSubstitution};

use crate::error::PackageError;
use crate::id::PackageId;
use crate::resolve::ResolvedPackage;

/// One substitution rule: `id#version=other` (that version only) or
/// `id=other` (any version asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// The package and the version it replaces (empty: any version).
    pub from: PackageId,
    /// The version loaded instead (one concrete version).
    pub version: String,
}

impl Substitution {
    /// A rule from `conform.toml`'s `[packages.substitute]`: `key` is
    /// `id#version` or `id`, `version` what to load instead.
    pub fn new(key: &str, version: &str) -> Result<Substitution, PackageError> {
        let invalid = |reason: String| PackageError::InvalidSpec {
            input: format!("{key}={version}"),
            reason,
        };
        let from: PackageId = key
            .parse()
            .map_err(|e: PackageError| invalid(format!("bad package before '=': {e}")))?;
        let version = version.trim();
        let to = PackageId::new(from.name.clone(), version);
        if !crate::id::is_valid_version(version) || !to.is_exact() {
            return Err(invalid(format!(
                "a substitution names one concrete version after '=' (e.g. {}=5.3.0-ballot-tc1), not {version:?}",
                from.name
            )));
        }
        if !from.version.is_empty() && !from.is_exact() {
            return Err(invalid(format!(
                "substitute one version ({}#5.2.0) or every version ({}), not the range {}",
                from.name, from.name, from.version
            )));
        }
        Ok(Substitution {
            from,
            version: version.to_string(),
        })
    }

    /// The id loaded instead of `requested` when this rule applies.
    pub fn target(&self) -> PackageId {
        PackageId::new(self.from.name.clone(), self.version.clone())
    }

    fn applies_to(&self, requested: &PackageId) -> bool {
        self.from.name == requested.name
            && (self.from.version.is_empty() || self.from.version == requested.version)
            && requested.version != self.version
    }
}

impl FromStr for Substitution {
    type Err = PackageError;

    /// `id#version=other` or `id=other` (the `--substitute` syntax).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((key, version)) => Substitution::new(key, version),
            None => Err(PackageError::InvalidSpec {
                input: s.to_string(),
                reason: "a substitution is id#version=other-version (or id=other-version), e.g. hl7.fhir.uv.extensions.r4#5.2.0=5.3.0-ballot-tc1".to_string(),
            }),
        }
    }
}

impl fmt::Display for Substitution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.from, self.version)
    }
}

/// The rule for `requested`: one naming its version wins over one naming
/// the package alone; a rule that would load the version asked for is none.
pub(crate) fn find<'a>(
    rules: &'a [Substitution],
    requested: &PackageId,
) -> Option<&'a Substitution> {
    let applicable = || rules.iter().filter(|r| r.applies_to(requested));
    applicable()
        .find(|r| !r.from.version.is_empty())
        .or_else(|| applicable().next())
}

/// One request a substituted package stands in for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Substituted {
    /// What was asked for (`id#version`).
    pub requested: PackageId,
    /// The package whose dependencies asked for it; `None` when it was
    /// asked for directly (configuration, pack, `--ig`).
    pub required_by: Option<PackageId>,
}

/// Every substitution the resolved `packages` used, one entry per
/// (requested, used) pair with all who asked for it.
pub fn substitutions_used(packages: &[ResolvedPackage]) -> Vec<PackageSubstitution> {
    let mut out: Vec<PackageSubstitution> = Vec::new();
    for p in packages {
        for s in &p.substituted_for {
            let requested = s.requested.to_string();
            let used = p.id.to_string();
            let entry = match out
                .iter_mut()
                .position(|e| e.requested == requested && e.used == used)
            {
                Some(i) => &mut out[i],
                None => {
                    out.push(PackageSubstitution {
                        requested,
                        used,
                        required_by: Vec::new(),
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            if let Some(by) = &s.required_by {
                let by = by.to_string();
                if !entry.required_by.contains(&by) {
                    entry.required_by.push(by);
                }
            }
        }
    }
    out
}

/// Every dependency left out because it was found nowhere (only with
/// [`crate::SourceConfig::allow_missing_deps`]), with all who asked for it.
pub fn missing_dependencies(packages: &[ResolvedPackage]) -> Vec<MissingPackage> {
    let mut out: Vec<MissingPackage> = Vec::new();
    for p in packages {
        for m in &p.missing_dependencies {
            let package = m.to_string();
            let by = p.id.to_string();
            match out.iter_mut().find(|e| e.package == package) {
                Some(e) => e.required_by.push(by),
                None => out.push(MissingPackage {
                    package,
                    required_by: vec![by],
                }),
            }
        }
    }
    out
}

/// One line per substitution used and per dependency left out, for
/// standard error (`conform: <line>`).
pub fn notes(packages: &[ResolvedPackage]) -> Vec<String> {
    let mut lines: Vec<String> = substitutions_used(packages)
        .iter()
        .map(|s| format!("note: {s}"))
        .collect();
    lines.extend(
        missing_dependencies(packages)
            .iter()
            .map(|m| format!("warning: {m}")),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_prefers_the_exact_rule() {
        let exact: Substitution = "hl7.fhir.uv.extensions.r4#5.2.0=5.3.0-ballot-tc1"
            .parse()
            .unwrap();
        assert_eq!(exact.from.version, "5.2.0");
        assert_eq!(
            exact.target().to_string(),
            "hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1"
        );
        let any = Substitution::new("hl7.fhir.uv.extensions.r4", "5.1.0").unwrap();
        assert_eq!(any.to_string(), "hl7.fhir.uv.extensions.r4=5.1.0");
        let rules = [any.clone(), exact.clone()];
        let asked = PackageId::new("hl7.fhir.uv.extensions.r4", "5.2.0");
        assert_eq!(find(&rules, &asked), Some(&exact));
        let other = PackageId::new("hl7.fhir.uv.extensions.r4", "1.0.0");
        assert_eq!(find(&rules, &other), Some(&any));
        // A rule that would load what is asked for does nothing.
        let same = PackageId::new("hl7.fhir.uv.extensions.r4", "5.1.0");
        assert_eq!(find(&rules, &same), None);
        assert_eq!(find(&rules, &PackageId::new("x", "5.2.0")), None);
    }

    #[test]
    fn rejects_what_is_not_one_rule() {
        for bad in [
            "hl7.fhir.uv.extensions.r4#5.2.0",
            "hl7.fhir.uv.extensions.r4#5.2.0=",
            "hl7.fhir.uv.extensions.r4#5.2.0=5.x",
            "hl7.fhir.uv.extensions.r4#5.x=5.3.0",
            "../x#1=2",
        ] {
            let err = bad.parse::<Substitution>().unwrap_err().to_string();
            assert!(err.contains(bad.split('=').next().unwrap()), "{bad}: {err}");
        }
    }
}
