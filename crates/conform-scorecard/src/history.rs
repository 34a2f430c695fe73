//! Runs kept in an embedded database file (redb): one record per region
//! per run, keyed (region, timestamp), holding the criterion scores as JSON.

use crate::error::ScorecardError;
use conform_outcome::scorecard::Rag;
use conform_outcome::scorecard::Report;
use redb::{Database, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

const RUNS: TableDefinition<(&str, &str), &str> = TableDefinition::new("scorecard_runs_v1");

/// The history store.
pub struct History {
    db: Database,
}

/// One region's stored run.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct StoredRun {
    pub at: String,
    pub region: String,
    pub definition: String,
    pub level: String,
    pub score: Option<f64>,
    pub rag: Rag,
    pub criteria: BTreeMap<String, StoredCriterion>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct StoredCriterion {
    pub score: Option<f64>,
    pub rag: Rag,
}

impl History {
    /// Opens the store, creating the file when missing.
    pub fn open(path: &Path) -> Result<History, ScorecardError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(ScorecardError::history)?;
        }
        let db = Database::create(path)
            .map_err(|e| ScorecardError::History(format!("{}: {e}", path.display())))?;
        Ok(History { db })
    }

    /// Stores every region of a report under its `generated_at` (a run
    /// stored again at the same time replaces the earlier one).
    pub fn record(&self, report: &Report) -> Result<(), ScorecardError> {
        let tx = self.db.begin_write().map_err(ScorecardError::history)?;
        {
            let mut t = tx.open_table(RUNS).map_err(ScorecardError::history)?;
            for card in &report.regions {
                let run = StoredRun {
                    at: report.generated_at.clone(),
                    region: card.region.clone(),
                    definition: report.definition.id.clone(),
                    level: card.level.id.clone(),
                    score: card.overall.score,
                    rag: card.overall.rag,
                    criteria: card
                        .criteria()
                        .map(|c| {
                            (
                                c.id.clone(),
                                StoredCriterion {
                                    score: c.score,
                                    rag: c.rag,
                                },
                            )
                        })
                        .collect(),
                };
                let value = serde_json::to_string(&run).map_err(ScorecardError::history)?;
                t.insert((run.region.as_str(), run.at.as_str()), value.as_str())
                    .map_err(ScorecardError::history)?;
            }
        }
        tx.commit().map_err(ScorecardError::history)
    }

    /// Every stored run of a region, oldest first.
    pub fn runs(&self, region: &str) -> Result<Vec<StoredRun>, ScorecardError> {
        let tx = self.db.begin_read().map_err(ScorecardError::history)?;
        let t = match tx.open_table(RUNS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(ScorecardError::history(e)),
        };
        let mut out = Vec::new();
        // Timestamps are ASCII, so every one of this region sorts below "~".
        let range = t
            .range((region, "")..(region, "~"))
            .map_err(ScorecardError::history)?;
        for item in range {
            let (_, v) = item.map_err(ScorecardError::history)?;
            let run: StoredRun =
                serde_json::from_str(v.value()).map_err(ScorecardError::history)?;
            out.push(run);
        }
        Ok(out)
    }
}
