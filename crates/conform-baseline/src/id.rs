//! Where a finding is, as an id that outlives edits and rewordings.

use conform_outcome::{Outcome, Severity};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One finding of a run, flattened: what a baseline stores and what a
/// waiver is matched against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub rule: String,
    pub path: String,
    pub expression: String,
    pub severity: Severity,
    pub message: String,
}

impl Entry {
    /// The outcome `o` of the file at `path` (already relative, see
    /// [`relative_path`]).
    pub fn of(o: &Outcome, path: &str) -> Entry {
        Entry {
            id: finding_id(o, path),
            rule: o.rule.clone(),
            path: path.to_string(),
            expression: o.expression().to_string(),
            severity: o.severity,
            message: o.message.clone(),
        }
    }

    /// What a baseline of the first layout (`conform.baseline/1`, whose
    /// hash was of the message) can still be matched on.
    pub(crate) fn place(&self) -> String {
        format!("{}:{}:{}", self.rule, self.path, self.expression)
    }
}

/// The id of outcome `o` of the file at `path`: `RULE:PATH:FHIRPATH:HASH`
/// (see the crate documentation).
pub fn finding_id(o: &Outcome, path: &str) -> String {
    let hash = o.fingerprint(path);
    format!("{}:{path}:{}:{}", o.rule, o.expression(), &hash[..8])
}

/// `path` relative to `base` when it lies inside it, `/`-separated.
pub fn relative_path(path: &str, base: &Path) -> String {
    let p = Path::new(path);
    let rel = if p.is_absolute() {
        p.strip_prefix(base).unwrap_or(p)
    } else {
        p
    };
    let text = rel.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use conform_outcome::{IssueCode, Location};

    fn finding(expression: &str, message: &str, line: u32) -> Outcome {
        Outcome::finding(
            Severity::Error,
            IssueCode::Invariant,
            "pat-1",
            Location::payload(expression.into(), line, 3),
            message,
        )
    }

    #[test]
    fn ids_are_rule_path_and_place_not_message_or_line() {
        let a = finding_id(&finding("Patient.contact[0]", "x", 4), "p.json");
        assert!(a.starts_with("pat-1:p.json:Patient.contact[0]:"), "{a}");
        assert_eq!(
            a,
            finding_id(&finding("Patient.contact[0]", "reworded", 40), "p.json")
        );
        assert_ne!(
            a,
            finding_id(&finding("Patient.contact[1]", "x", 4), "p.json")
        );
        assert_ne!(
            a,
            finding_id(&finding("Patient.contact[0]", "x", 4), "q.json")
        );
    }

    #[test]
    fn the_hash_is_the_start_of_the_sarif_fingerprint() {
        let o = finding("Patient.contact[0]", "x", 4);
        let id = finding_id(&o, "dir/p.json");
        assert!(id.ends_with(&o.fingerprint("dir/p.json")[..8]), "{id}");
    }

    #[test]
    fn relative_paths() {
        let base = Path::new("/work/repo");
        assert_eq!(relative_path("/work/repo/a/b.json", base), "a/b.json");
        assert_eq!(relative_path("./a/b.json", base), "a/b.json");
        assert_eq!(
            relative_path("/elsewhere/b.json", base),
            "/elsewhere/b.json"
        );
    }
}
