//! Every region's scorecard and the national roll-up, as one report:
//! the `conform.scorecard/1` document (docs/scorecard-json.md).

use crate::definition::Definition;
use crate::error::ScorecardError;
use crate::evidence::Evidence;
use crate::history::{History, StoredRun};
use crate::model::{Rag, RegionScorecard, Trend};
use crate::scoring::{r1, score_region};
use conform_regions::RegionsFile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The JSON schema id; bumped only when a field is removed or retyped.
pub const SCHEMA: &str = "conform.scorecard/1";

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub definition: DefinitionRef,
    /// When this run was taken (UTC).
    pub generated_at: String,
    pub regions: Vec<RegionScorecard>,
    pub rollup: Rollup,
    /// Which stored runs the trends compare with (absent without history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<TrendInfo>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DefinitionRef {
    pub id: String,
    pub title: String,
    pub version: String,
    /// The definition's levels, lowest first.
    pub levels: Vec<LevelRef>,
    /// Dimension ids and titles, in order.
    pub dimensions: Vec<LevelRef>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LevelRef {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrendInfo {
    /// The `--since` date asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Overall score per stored run (this one last), per region: trend lines.
    pub series: BTreeMap<String, Vec<SeriesPoint>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeriesPoint {
    pub at: String,
    pub score: Option<f64>,
    pub level: String,
}

/// The national picture: regions × dimensions and how many are at each level.
#[derive(Clone, Debug, Serialize)]
pub struct Rollup {
    pub regions: usize,
    /// Regions failing the CI gate.
    pub gate_failed: usize,
    pub levels: Vec<RollupLevel>,
    pub rows: Vec<RollupRow>,
    /// Mean score per dimension over the regions where it was assessed.
    pub dimension_means: Vec<DimensionMean>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RollupLevel {
    pub id: String,
    pub label: String,
    /// Regions exactly at this level.
    pub count: usize,
    /// Regions at this level or above ("37 of 42 at MVS 1.0").
    pub at_or_above: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct RollupRow {
    pub region: String,
    pub level: String,
    pub score: Option<f64>,
    pub rag: Rag,
    pub evidence_coverage: f64,
    pub dimensions: Vec<RollupCell>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RollupCell {
    pub id: String,
    pub score: Option<f64>,
    pub rag: Rag,
}

#[derive(Clone, Debug, Serialize)]
pub struct DimensionMean {
    pub id: String,
    pub score: Option<f64>,
    pub assessed: usize,
}

impl Report {
    /// Scores every region of `regions` from `evidence/<region>/`.
    pub fn build(
        def: &Definition,
        regions: &RegionsFile,
        evidence: &Path,
        generated_at: String,
    ) -> Result<Report, ScorecardError> {
        if !evidence.is_dir() {
            return Err(ScorecardError::input(format!(
                "evidence folder {} does not exist",
                evidence.display()
            )));
        }
        let mut cards = Vec::new();
        for r in &regions.regions {
            let ev = Evidence::load(evidence, &r.name)?;
            cards.push(score_region(def, &r.name, &r.organisations, &ev));
        }
        Ok(Report::from_cards(def, cards, generated_at))
    }

    pub fn from_cards(
        def: &Definition,
        regions: Vec<RegionScorecard>,
        generated_at: String,
    ) -> Report {
        let rollup = Rollup::of(def, &regions);
        Report {
            schema: SCHEMA,
            definition: DefinitionRef {
                id: def.id.clone(),
                title: def.title.clone(),
                version: def.version.clone(),
                levels: def
                    .levels
                    .iter()
                    .map(|l| LevelRef {
                        id: l.id.clone(),
                        label: l.label.clone(),
                    })
                    .collect(),
                dimensions: def
                    .dimensions
                    .iter()
                    .map(|d| LevelRef {
                        id: d.id.clone(),
                        label: d.title.clone(),
                    })
                    .collect(),
            },
            generated_at,
            regions,
            rollup,
            trend: None,
        }
    }

    /// Whether any region fails the CI gate.
    pub fn gate_failed(&self) -> bool {
        self.rollup.gate_failed > 0
    }

    /// Adds the change per criterion since each region's last stored run
    /// (before this one) and since `since` (a timestamp from
    /// [`crate::time::parse`]), and the overall-score series.
    pub fn add_trend(
        &mut self,
        history: &History,
        since: Option<&str>,
    ) -> Result<(), ScorecardError> {
        let mut series = BTreeMap::new();
        for card in &mut self.regions {
            let runs = history.runs(&card.region)?;
            let earlier: Vec<&StoredRun> =
                runs.iter().filter(|r| r.at < self.generated_at).collect();
            let last = earlier.last().copied();
            let then = since.and_then(|d| {
                earlier
                    .iter()
                    .rev()
                    .find(|r| r.at.as_str() <= d)
                    .or_else(|| earlier.iter().find(|r| r.at.as_str() > d))
                    .copied()
            });
            for d in &mut card.dimensions {
                for c in &mut d.criteria {
                    let prev = last.and_then(|r| r.criteria.get(&c.id));
                    let old = then.and_then(|r| r.criteria.get(&c.id));
                    let delta = |o: Option<f64>| match (c.score, o) {
                        (Some(now), Some(o)) => Some(r1(now - o)),
                        _ => None,
                    };
                    c.trend = Some(Trend {
                        previous: prev.and_then(|p| p.score),
                        previous_rag: prev.map(|p| p.rag),
                        delta_since_last: delta(prev.and_then(|p| p.score)),
                        since: old.and_then(|p| p.score),
                        delta_since: delta(old.and_then(|p| p.score)),
                    });
                }
            }
            let mut points: Vec<SeriesPoint> = earlier
                .iter()
                .map(|r| SeriesPoint {
                    at: r.at.clone(),
                    score: r.score,
                    level: r.level.clone(),
                })
                .collect();
            points.push(SeriesPoint {
                at: self.generated_at.clone(),
                score: card.overall.score,
                level: card.level.id.clone(),
            });
            series.insert(card.region.clone(), points);
        }
        self.trend = Some(TrendInfo {
            since: since.map(str::to_string),
            series,
        });
        Ok(())
    }
}

impl Rollup {
    pub fn of(def: &Definition, cards: &[RegionScorecard]) -> Rollup {
        let rank = |id: &str| def.levels.iter().position(|l| l.id == id).unwrap_or(0);
        let levels = def
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| RollupLevel {
                id: l.id.clone(),
                label: l.label.clone(),
                count: cards.iter().filter(|c| c.level.id == l.id).count(),
                at_or_above: cards.iter().filter(|c| rank(&c.level.id) >= i).count(),
            })
            .collect();
        let rows = cards
            .iter()
            .map(|c| RollupRow {
                region: c.region.clone(),
                level: c.level.id.clone(),
                score: c.overall.score,
                rag: c.overall.rag,
                evidence_coverage: c.overall.evidence_coverage,
                dimensions: c
                    .dimensions
                    .iter()
                    .map(|d| RollupCell {
                        id: d.id.clone(),
                        score: d.score,
                        rag: d.rag,
                    })
                    .collect(),
            })
            .collect();
        let dimension_means = def
            .dimensions
            .iter()
            .map(|d| {
                let scores: Vec<f64> = cards
                    .iter()
                    .filter_map(|c| c.dimensions.iter().find(|x| x.id == d.id)?.score)
                    .collect();
                DimensionMean {
                    id: d.id.clone(),
                    score: (!scores.is_empty())
                        .then(|| r1(scores.iter().sum::<f64>() / scores.len() as f64)),
                    assessed: scores.len(),
                }
            })
            .collect();
        Rollup {
            regions: cards.len(),
            gate_failed: cards.iter().filter(|c| c.gate.failed).count(),
            levels,
            rows,
            dimension_means,
        }
    }
}
