//! Wildcard lists for check ids, rule ids and requirement ids in scorecard
//! definitions (`metadata.*`, `*.search.paging`, `nhs-number-*`): globs,
//! compiled once when the definition is read, so a bad pattern is an error
//! naming it and measuring never re-parses one.

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// A list of id patterns; `*` stands for any run of characters. An empty
/// list matches everything.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Patterns {
    source: Vec<String>,
    compiled: GlobSet,
}

impl Patterns {
    /// Whether any pattern matches `id` (everything when there are none).
    pub fn matches(&self, id: &str) -> bool {
        self.source.is_empty() || self.compiled.is_match(id)
    }

    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }
}

/// The patterns as written, `, `-separated (for messages).
impl std::fmt::Display for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source.join(", "))
    }
}

impl TryFrom<Vec<String>> for Patterns {
    type Error = String;

    fn try_from(source: Vec<String>) -> Result<Patterns, String> {
        let mut set = GlobSetBuilder::new();
        for p in &source {
            set.add(Glob::new(p).map_err(|e| format!("bad pattern '{p}': {e}"))?);
        }
        let compiled = set.build().map_err(|e| e.to_string())?;
        Ok(Patterns { source, compiled })
    }
}

impl From<Patterns> for Vec<String> {
    fn from(p: Patterns) -> Vec<String> {
        p.source
    }
}

#[cfg(test)]
mod tests {
    use super::Patterns;

    fn matches(pattern: &str, id: &str) -> bool {
        Patterns::try_from(vec![pattern.to_string()])
            .unwrap()
            .matches(id)
    }

    #[test]
    fn wildcards() {
        assert!(matches("metadata.*", "metadata.fhirVersion"));
        assert!(matches("*.search.paging", "Patient.search.paging"));
        assert!(matches("*AUDIT*", "NRL-AUDIT-1"));
        assert!(matches("nhs-number-*", "nhs-number-check-digit"));
        assert!(!matches("metadata.*", "smart.metadata"));
        assert!(matches("exact", "exact"));
        assert!(!matches("a*b*c", "acb"));
        assert!(Patterns::default().matches("anything"));
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let e = Patterns::try_from(vec!["ok".into(), "a[b".into()]).unwrap_err();
        assert!(e.starts_with("bad pattern 'a[b'"), "{e}");
    }
}
