//! Every region's scorecard and the national roll-up, as one report: the
//! `conform.scorecard/1` document (its types are conform-outcome's).

use crate::definition::Definition;
use crate::error::ScorecardError;
use crate::evidence::Evidence;
use crate::history::{History, StoredRun};
use crate::scoring::{r1, score_region};
use conform_outcome::scorecard::{
    DefinitionRef, DimensionMean, LevelRef, RegionScorecard, Report, Rollup, RollupCell,
    RollupLevel, RollupRow, SeriesPoint, Trend, TrendInfo, SCHEMA,
};
use conform_regions::RegionsFile;
use std::collections::BTreeMap;
use std::path::Path;

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
    Ok(from_cards(def, cards, generated_at))
}

/// The report of regions already scored.
pub fn from_cards(def: &Definition, regions: Vec<RegionScorecard>, generated_at: String) -> Report {
    let rollup = rollup(def, &regions);
    Report {
        schema: SCHEMA.to_string(),
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

/// Adds the change per criterion since each region's last stored run
/// (before this one) and since `since` (a timestamp from
/// [`crate::time::parse`]), and the overall-score series.
pub fn add_trend(
    report: &mut Report,
    history: &History,
    since: Option<&str>,
) -> Result<(), ScorecardError> {
    let mut series = BTreeMap::new();
    for card in &mut report.regions {
        let runs = history.runs(&card.region)?;
        let earlier: Vec<&StoredRun> = runs.iter().filter(|r| r.at < report.generated_at).collect();
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
            at: report.generated_at.clone(),
            score: card.overall.score,
            level: card.level.id.clone(),
        });
        series.insert(card.region.clone(), points);
    }
    report.trend = Some(TrendInfo {
        since: since.map(str::to_string),
        series,
    });
    Ok(())
}

/// The national picture of the scored regions.
pub fn rollup(def: &Definition, cards: &[RegionScorecard]) -> Rollup {
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
