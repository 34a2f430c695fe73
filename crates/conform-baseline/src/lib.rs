//! Baselines and waivers, as data: which findings of a validation run were
//! already known (a baseline written by an earlier run), which are waived
//! (a waiver file with an owner, a reason and an expiry date), and which are
//! new. Loading, saving and comparing only; the CLI decides the exit code.
//!
//! A finding's id is `RULE:PATH:FHIRPATH:HASH`, where PATH is the file's
//! path relative to the folder conform runs in (with `/` separators) and
//! HASH the first 8 hex digits of the BLAKE3 hash of the message. Lines and
//! columns are left out, so a finding keeps its id when text above it moves.
//! Identical ids (the same defect on two NDJSON lines) are matched by count.

mod date;
mod glob;

pub use date::{parse as parse_date, today, Date};

use conform_outcome::validate::ValidationReport;
use conform_outcome::Triage;
use conform_validate::Severity;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

pub const BASELINE_SCHEMA: &str = "conform.baseline/1";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a conform baseline: {message}")]
    Baseline { path: String, message: String },
    #[error("{path}: {message}")]
    Waivers { path: String, message: String },
}

/// One finding of a run, flattened, in report order.
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
    fn fails(&self) -> bool {
        self.severity.is_error()
    }
}

/// A finding's stable id (see the crate documentation).
pub fn finding_id(rule: &str, path: &str, expression: &str, message: &str) -> String {
    let hash = blake3::hash(message.as_bytes()).to_hex();
    format!("{rule}:{path}:{expression}:{}", &hash[..8])
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

/// Every finding of the report in order: per file, its failure (rule
/// `input`) first, then each resource's findings. This is the order of
/// [`Assessment::triage`] and of SARIF's results.
pub fn entries(report: &ValidationReport, base: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    for file in &report.files {
        let path = relative_path(&file.path, base);
        if let Some(failure) = &file.failure {
            let rule = conform_validate::rules::INPUT;
            out.push(Entry {
                id: finding_id(rule, &path, "", &failure.message),
                rule: rule.to_string(),
                path: path.clone(),
                expression: String::new(),
                severity: Severity::Fatal,
                message: failure.message.clone(),
            });
        }
        for r in &file.resources {
            for f in &r.findings {
                out.push(Entry {
                    id: finding_id(&f.rule, &path, f.expression(), &f.message),
                    rule: f.rule.clone(),
                    path: path.clone(),
                    expression: f.expression().to_string(),
                    severity: f.severity,
                    message: f.message.clone(),
                });
            }
        }
    }
    out
}

/// The findings a run had, to compare later runs with. Information
/// findings are left out: they never fail a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    pub findings: Vec<Entry>,
}

impl Baseline {
    pub fn from_report(report: &ValidationReport, base: &Path) -> Baseline {
        Baseline {
            schema: BASELINE_SCHEMA.to_string(),
            findings: entries(report, base)
                .into_iter()
                .filter(|e| e.severity != Severity::Information)
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a baseline always serialises") + "\n"
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, self.to_json()).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })
    }

    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        let bad = |message: String| Error::Baseline {
            path: path.display().to_string(),
            message,
        };
        let b: Baseline = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if b.schema != BASELINE_SCHEMA {
            return Err(bad(format!(
                "schema '{}', expected '{BASELINE_SCHEMA}'",
                b.schema
            )));
        }
        Ok(b)
    }
}

/// A waiver file: `[[waiver]]` tables (see docs/waivers.md).
#[derive(Clone, Debug, Default)]
pub struct Waivers {
    pub waivers: Vec<Waiver>,
}

/// A known deviation accepted until a date: by finding id, or by rule and a
/// path pattern (`*` within a folder, `**` across folders), optionally
/// narrowed to one FHIRPath.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub id: Option<String>,
    pub rule: Option<String>,
    pub path: Option<String>,
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
                .path
                .as_deref()
                .is_none_or(|p| glob::matches(p, &e.path))
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
        let mut waivers = Vec::new();
        for (i, w) in file.waiver.into_iter().enumerate() {
            let n = i + 1;
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
            waivers.push(Waiver {
                id: w.id,
                rule: w.rule,
                path: w.path,
                expression: w.expression,
                owner,
                reason,
                expires,
            });
        }
        Ok(Waivers { waivers })
    }
}

/// A run's findings against a baseline and waivers.
#[derive(Debug, Default)]
pub struct Assessment {
    /// One per finding in report order (see [`entries`]).
    pub triage: Vec<Triage>,
    /// Errors (and unreadable files) neither in the baseline nor waived.
    pub new_errors: usize,
    /// Warnings neither in the baseline nor waived.
    pub new_warnings: usize,
    /// Findings found in the baseline.
    pub baselined: usize,
    /// Findings covered by a waiver in force.
    pub waived: usize,
    /// Baseline entries this run no longer has (fixed).
    pub fixed: usize,
    /// Waivers past their expiry date: they fail the run.
    pub expired: Vec<Waiver>,
    /// Waivers in force that matched no finding.
    pub unmatched: Vec<Waiver>,
}

impl Assessment {
    /// Whether the run fails: a new error, or an expired waiver.
    pub fn fails(&self) -> bool {
        self.new_errors > 0 || !self.expired.is_empty()
    }
}

/// Triage each finding: waived by a waiver in force, else in the baseline
/// (by id, matched by count), else new.
pub fn assess(
    entries: &[Entry],
    baseline: Option<&Baseline>,
    waivers: Option<&Waivers>,
    today: Date,
) -> Assessment {
    let mut known: HashMap<&str, usize> = HashMap::new();
    for e in baseline.map_or(&[][..], |b| b.findings.as_slice()) {
        *known.entry(e.id.as_str()).or_default() += 1;
    }
    let all_waivers = waivers.map_or(&[][..], |w| w.waivers.as_slice());
    let (expired, active): (Vec<&Waiver>, Vec<&Waiver>) =
        all_waivers.iter().partition(|w| w.expired(today));
    let mut used = vec![false; active.len()];
    let mut a = Assessment {
        expired: expired.into_iter().cloned().collect(),
        ..Default::default()
    };
    for e in entries {
        if let Some(i) = active.iter().position(|w| w.matches(e)) {
            used[i] = true;
            let w = active[i];
            a.waived += 1;
            a.triage.push(Triage::Waived {
                justification: format!("{} (owner {}, until {})", w.reason, w.owner, w.expires),
            });
            continue;
        }
        if let Some(n) = known.get_mut(e.id.as_str()).filter(|n| **n > 0) {
            *n -= 1;
            a.baselined += 1;
            a.triage.push(Triage::Baselined);
            continue;
        }
        if e.fails() {
            a.new_errors += 1;
        } else if e.severity == Severity::Warning {
            a.new_warnings += 1;
        }
        a.triage.push(Triage::New);
    }
    a.fixed = known.values().sum();
    a.unmatched = active
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(w, _)| (*w).clone())
        .collect();
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rule: &str, path: &str, expr: &str, severity: Severity) -> Entry {
        Entry {
            id: finding_id(rule, path, expr, "m"),
            rule: rule.into(),
            path: path.into(),
            expression: expr.into(),
            severity,
            message: "m".into(),
        }
    }

    fn today() -> Date {
        date::parse("2026-06-01").unwrap()
    }

    #[test]
    fn ids_leave_out_lines_but_not_messages() {
        let a = finding_id("pat-1", "p.json", "Patient.contact[0]", "x");
        assert!(a.starts_with("pat-1:p.json:Patient.contact[0]:"), "{a}");
        assert_ne!(a, finding_id("pat-1", "p.json", "Patient.contact[0]", "y"));
    }

    #[test]
    fn baseline_matches_by_id_and_count() {
        let e = entry(
            "binding-required",
            "a.json",
            "Patient.gender",
            Severity::Error,
        );
        let baseline = Baseline {
            schema: BASELINE_SCHEMA.into(),
            findings: vec![e.clone()],
        };
        let a = assess(std::slice::from_ref(&e), Some(&baseline), None, today());
        assert!(!a.fails());
        assert_eq!(a.triage, vec![Triage::Baselined]);
        let a = assess(&[e.clone(), e.clone()], Some(&baseline), None, today());
        assert!(a.fails(), "a second occurrence is new");
        assert_eq!(a.new_errors, 1);
        let a = assess(&[], Some(&baseline), None, today());
        assert_eq!(a.fixed, 1);
        assert!(!a.fails());
    }

    #[test]
    fn new_warnings_do_not_fail() {
        let w = entry(
            "binding-extensible",
            "a.json",
            "Patient.x",
            Severity::Warning,
        );
        let a = assess(&[w], None, None, today());
        assert_eq!(a.new_warnings, 1);
        assert!(!a.fails());
    }

    #[test]
    fn waivers_by_rule_and_pattern_and_expiry() {
        let e = entry(
            "pat-1",
            "fixtures/invalid/p.json",
            "Patient.contact[0]",
            Severity::Error,
        );
        let w = Waivers::parse(
            r#"
[[waiver]]
rule = "pat-1"
path = "fixtures/**/*.json"
owner = "Jo Bloggs"
reason = "supplier fix due"
expires = 2026-06-01

[[waiver]]
id = "nothing:here.json::00000000"
owner = "Jo"
reason = "r"
expires = "2099-01-01"
"#,
        )
        .unwrap();
        let a = assess(std::slice::from_ref(&e), None, Some(&w), today());
        assert!(!a.fails(), "in force on its expiry day");
        assert_eq!(a.waived, 1);
        assert_eq!(a.unmatched.len(), 1);
        assert_eq!(
            a.unmatched[0].id.as_deref(),
            Some("nothing:here.json::00000000")
        );

        let later = date::parse("2026-06-02").unwrap();
        let a = assess(&[e], None, Some(&w), later);
        assert!(a.fails());
        assert_eq!(a.expired.len(), 1);
        assert_eq!(a.expired[0].expires.to_string(), "2026-06-01");
        assert_eq!(a.new_errors, 1, "an expired waiver waives nothing");
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
    }
}
