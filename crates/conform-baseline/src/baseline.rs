//! The baseline file: the findings a run had, to compare later runs with.

use crate::id::Entry;
use crate::Error;
use conform_outcome::validate::ValidationReport;
use conform_outcome::Severity;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The layout written now: ids hash the rule and place
/// ([`crate::finding_id`]).
pub const BASELINE_SCHEMA: &str = "conform.baseline/2";
/// The first layout, whose ids hashed the message. Still read (for one
/// release), matched on rule, path and FHIRPath.
const BASELINE_SCHEMA_V1: &str = "conform.baseline/1";

/// The errors and warnings of a run (information findings never fail a
/// run, so they are left out).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    pub findings: Vec<Entry>,
}

impl Baseline {
    pub fn from_report(report: &ValidationReport, base: &Path) -> Baseline {
        Baseline {
            schema: BASELINE_SCHEMA.to_string(),
            findings: report
                .outcomes()
                .filter(|(_, o)| o.severity != Severity::Information)
                .map(|(path, o)| Entry::of(o, &crate::relative_path(path, base)))
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
        Baseline::parse(&text).map_err(|message| Error::Baseline {
            path: path.display().to_string(),
            message,
        })
    }

    /// A baseline from its JSON text, or why it is not one.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if b.schema != BASELINE_SCHEMA && b.schema != BASELINE_SCHEMA_V1 {
            return Err(format!(
                "schema '{}', expected '{BASELINE_SCHEMA}' (or '{BASELINE_SCHEMA_V1}')",
                b.schema
            ));
        }
        Ok(b)
    }

    /// How a finding is looked up in this baseline: by id, or for the
    /// first layout by its place (its ids hashed a message no longer used).
    pub(crate) fn key(&self, e: &Entry) -> String {
        if self.schema == BASELINE_SCHEMA_V1 {
            e.place()
        } else {
            e.id.clone()
        }
    }

    /// How many of each key the baseline holds.
    pub(crate) fn counts(&self) -> HashMap<String, usize> {
        let mut known = HashMap::new();
        for e in &self.findings {
            *known.entry(self.key(e)).or_default() += 1;
        }
        known
    }
}
