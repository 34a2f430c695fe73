//! The waiver file: known deviations accepted until a date, with an owner
//! and a reason (docs/waivers.md).

use crate::date::{self, Date};
use crate::id::Entry;
use crate::Error;
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use std::path::Path;

/// A waiver file: `[[waiver]]` tables.
#[derive(Clone, Debug, Default)]
pub struct Waivers {
    pub waivers: Vec<Waiver>,
}

/// A known deviation accepted until a date: by finding id, or by rule and a
/// path pattern (a glob: `*` within a folder, `**` across folders),
/// optionally narrowed to one FHIRPath.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub id: Option<String>,
    pub rule: Option<String>,
    pub path: Option<String>,
    /// `path`, compiled.
    path_matcher: Option<GlobMatcher>,
    pub expression: Option<String>,
    pub owner: String,
    pub reason: String,
    /// The last day the waiver is in force.
    pub expires: Date,
}

impl Waiver {
    /// How the waiver is named in messages: its id, or rule and path.
    pub fn label(&self) -> String {
        match (&self.id, &self.rule) {
            (Some(id), _) => id.clone(),
            (None, Some(rule)) => format!(
                "{rule} on {}{}",
                self.path.as_deref().unwrap_or("**"),
                self.expression
                    .as_deref()
                    .map(|e| format!(" at {e}"))
                    .unwrap_or_default()
            ),
            (None, None) => "?".into(),
        }
    }

    pub fn matches(&self, e: &Entry) -> bool {
        if let Some(id) = &self.id {
            return *id == e.id;
        }
        self.rule.as_deref().is_some_and(|r| r == e.rule)
            && self
                .path_matcher
                .as_ref()
                .is_none_or(|m| m.is_match(&e.path))
            && self.expression.as_deref().is_none_or(|x| x == e.expression)
    }

    pub fn expired(&self, today: Date) -> bool {
        self.expires < today
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waiver: Vec<RawWaiver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    id: Option<String>,
    rule: Option<String>,
    path: Option<String>,
    expression: Option<String>,
    owner: Option<String>,
    reason: Option<String>,
    expires: Option<toml::Value>,
}

impl Waivers {
    pub fn load(path: &Path) -> Result<Waivers, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        Waivers::parse(&text).map_err(|message| Error::Waivers {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Waivers, String> {
        let file: WaiverFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let waivers = file
            .waiver
            .into_iter()
            .enumerate()
            .map(|(i, w)| w.check(i + 1))
            .collect::<Result<_, _>>()?;
        Ok(Waivers { waivers })
    }
}

impl RawWaiver {
    /// The waiver numbered `n` in its file, or what is wrong with it.
    fn check(self, n: usize) -> Result<Waiver, String> {
        let w = self;
        let what =
            w.id.clone()
                .or(w.rule.clone())
                .map(|x| format!("waiver {n} ({x})"))
                .unwrap_or(format!("waiver {n}"));
        if w.id.is_none() && w.rule.is_none() {
            return Err(format!("{what}: give an id, or a rule (and a path)"));
        }
        if w.id.is_some() && (w.rule.is_some() || w.path.is_some()) {
            return Err(format!("{what}: give an id or a rule and path, not both"));
        }
        let need = |v: Option<String>, field: &str| {
            v.filter(|s| !s.trim().is_empty())
                .ok_or_else(|| format!("{what}: '{field}' is required"))
        };
        let owner = need(w.owner, "owner")?;
        let reason = need(w.reason, "reason")?;
        let expires = match w.expires {
            Some(toml::Value::Datetime(d)) => d.to_string(),
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(format!(
                    "{what}: 'expires' must be a date (YYYY-MM-DD), not {other}"
                ))
            }
            None => return Err(format!("{what}: 'expires' is required")),
        };
        let expires = date::parse(&expires).ok_or_else(|| {
            format!("{what}: 'expires' must be a date (YYYY-MM-DD), not '{expires}'")
        })?;
        let path_matcher = w
            .path
            .as_deref()
            .map(|p| {
                GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .map(|g| g.compile_matcher())
                    .map_err(|e| format!("{what}: 'path' is not a usable pattern: {e}"))
            })
            .transpose()?;
        Ok(Waiver {
            id: w.id,
            rule: w.rule,
            path: w.path,
            path_matcher,
            expression: w.expression,
            owner,
            reason,
            expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conform_outcome::Severity;

    fn entry(rule: &str, path: &str) -> Entry {
        Entry {
            id: format!("{rule}:{path}::00000000"),
            rule: rule.into(),
            path: path.into(),
            expression: String::new(),
            severity: Severity::Error,
            message: "m".into(),
        }
    }

    fn by_path(pattern: &str) -> Waiver {
        let text = format!(
            "[[waiver]]\nrule = \"r\"\npath = \"{pattern}\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2026-01-01\n"
        );
        Waivers::parse(&text).unwrap().waivers.remove(0)
    }

    #[test]
    fn path_patterns() {
        let yes = |p: &str, path: &str| by_path(p).matches(&entry("r", path));
        assert!(yes("fixtures/invalid/*.json", "fixtures/invalid/p.json"));
        assert!(!yes("fixtures/*.json", "fixtures/invalid/p.json"));
        assert!(yes("fixtures/**/*.json", "fixtures/invalid/p.json"));
        assert!(yes("fixtures/**/*.json", "fixtures/p.json"));
        assert!(yes("**", "a/b/c"));
        assert!(yes("a/?.json", "a/b.json"));
        assert!(!yes("a/?.json", "a/bc.json"));
        assert!(yes("exact.json", "exact.json"));
        assert!(!yes("exact.json", "exact.jsonx"));
        assert!(!by_path("x").matches(&entry("other-rule", "x")));
    }

    #[test]
    fn bad_waivers_are_rejected_with_the_reason() {
        let missing_owner = "[[waiver]]\nrule = \"x\"\nreason = \"r\"\nexpires = 2026-01-01\n";
        assert!(Waivers::parse(missing_owner)
            .unwrap_err()
            .contains("'owner' is required"));
        let bad_date =
            "[[waiver]]\nrule = \"x\"\nowner = \"o\"\nreason = \"r\"\nexpires = \"soon\"\n";
        assert!(Waivers::parse(bad_date).unwrap_err().contains("YYYY-MM-DD"));
        let neither = "[[waiver]]\nowner = \"o\"\nreason = \"r\"\nexpires = 2026-01-01\n";
        assert!(Waivers::parse(neither).unwrap_err().contains("give an id"));
        let bad_glob = "[[waiver]]\nrule = \"x\"\npath = \"a/[b\"\nowner = \"o\"\nreason = \"r\"\nexpires = 2026-01-01\n";
        let e = Waivers::parse(bad_glob).unwrap_err();
        assert!(
            e.contains("waiver 1 (x): 'path' is not a usable pattern"),
            "{e}"
        );
    }
}
