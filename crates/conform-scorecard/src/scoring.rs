//! Scores and RAGs: criterion (band, hard failures, Amber caps), dimension
//! (weighted mean, gating), overall (weighted mean, coverage, gating),
//! cumulative levels and the CI gate. Not-assessed never passes anything.

use crate::definition::{Criterion, Definition, Gate, Requirement};
use crate::evidence::{scenario_is, scenario_points, Evidence};
use crate::measure::{measure, Measurement};
use conform_outcome::scorecard::*;
use conform_regions::Organisation;

/// Rounds to one decimal, so outputs are stable.
pub fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The scorecard of one region. `register`: its organisations from the
/// regions file.
pub fn score_region(
    def: &Definition,
    region: &str,
    register: &[Organisation],
    ev: &Evidence,
) -> RegionScorecard {
    let dimensions: Vec<DimensionResult> = def
        .dimensions
        .iter()
        .map(|d| {
            let criteria: Vec<CriterionResult> = d
                .criteria
                .iter()
                .map(|c| criterion(def, c, measure(&c.measure, ev, register)))
                .collect();
            let weights: Vec<(f64, f64)> = d
                .criteria
                .iter()
                .zip(&criteria)
                .filter_map(|(c, r)| r.score.map(|s| (c.weight, s)))
                .collect();
            let score = weighted_mean(&weights);
            let gating_red = criteria.iter().any(|c| c.gating && c.rag == Rag::Red);
            let rag = match score {
                None => Rag::NotAssessed,
                Some(_) if gating_red => Rag::Red,
                Some(s) => def.thresholds.band(s),
            };
            DimensionResult {
                id: d.id.clone(),
                title: d.title.clone(),
                weight: d.weight,
                score,
                rag,
                criteria,
            }
        })
        .collect();
    let overall = overall(def, &dimensions);
    let mut card = RegionScorecard {
        region: region.to_string(),
        level: LevelResult {
            id: String::new(),
            label: String::new(),
            next: None,
            next_unmet: Vec::new(),
        },
        gate: gate(def.gate, &overall, &dimensions),
        overall,
        dimensions,
        attestations: attestations(def, ev),
        evidence_files: ev.files.clone(),
    };
    card.level = level(def, &card, ev);
    card
}

fn weighted_mean(items: &[(f64, f64)]) -> Option<f64> {
    let w: f64 = items.iter().map(|(w, _)| w).sum();
    (w > 0.0).then(|| r1(items.iter().map(|(w, s)| w * s).sum::<f64>() / w))
}

fn criterion(def: &Definition, c: &Criterion, m: Measurement) -> CriterionResult {
    let bands = c.thresholds.unwrap_or(def.thresholds);
    let mut findings = m.findings;
    let score = m.score.map(r1);
    let rag = match score {
        None => Rag::NotAssessed,
        Some(s) => {
            let mut rag = bands.band(s);
            if c.red_if_any_failure && m.failures > 0 && rag != Rag::Red {
                rag = Rag::Red;
                findings.insert(
                    0,
                    format!("{} failing: any failure makes this Red", m.failures),
                );
            }
            if let Some(why) = &m.cap_amber {
                if rag == Rag::Green {
                    rag = Rag::Amber;
                }
                findings.insert(0, format!("at most Amber: {why}"));
            }
            rag
        }
    };
    if rag == Rag::Green {
        findings.clear();
    }
    CriterionResult {
        id: c.id.clone(),
        title: c.title.clone(),
        gating: c.gating,
        score,
        rag,
        evidence: EvidenceCount {
            source: m.source.to_string(),
            checked: r1(m.checked),
            passed: r1(m.passed),
            unverified: m.unverified,
            verified: m.verified.filter(|&n| n > 0),
        },
        findings,
        trend: None,
    }
}

fn overall(def: &Definition, dims: &[DimensionResult]) -> Overall {
    let all: Vec<&CriterionResult> = dims.iter().flat_map(|d| &d.criteria).collect();
    let assessed = all.iter().filter(|c| c.rag != Rag::NotAssessed).count();
    let coverage = if all.is_empty() {
        0.0
    } else {
        r1(100.0 * assessed as f64 / all.len() as f64)
    };
    let weights: Vec<(f64, f64)> = dims
        .iter()
        .filter_map(|d| d.score.map(|s| (d.weight, s)))
        .collect();
    let score = weighted_mean(&weights);
    let t = def.overall;
    let mut reasons = Vec::new();
    let gating_red: Vec<&str> = all
        .iter()
        .filter(|c| c.gating && c.rag == Rag::Red)
        .map(|c| c.id.as_str())
        .collect();
    let rag = match score {
        None => {
            reasons.push("no criterion has evidence".into());
            Rag::NotAssessed
        }
        Some(s) => {
            if !gating_red.is_empty() {
                reasons.push(format!("gating criterion Red: {}", gating_red.join(", ")));
                Rag::Red
            } else if s < t.amber {
                reasons.push(format!("score below {}", t.amber));
                Rag::Red
            } else {
                let red_dims: Vec<&str> = dims
                    .iter()
                    .filter(|d| d.rag == Rag::Red)
                    .map(|d| d.id.as_str())
                    .collect();
                if !red_dims.is_empty() {
                    reasons.push(format!("Red dimension: {}", red_dims.join(", ")));
                }
                if coverage < t.min_coverage {
                    reasons.push(format!(
                        "evidence coverage {coverage}% below {}%",
                        t.min_coverage
                    ));
                }
                if s < t.green {
                    reasons.push(format!("score below {}", t.green));
                }
                if reasons.is_empty() {
                    Rag::Green
                } else {
                    Rag::Amber
                }
            }
        }
    };
    Overall {
        score,
        rag,
        evidence_coverage: coverage,
        reasons,
    }
}

/// Whether the region fails the CI gate, and why.
pub fn gate(g: Gate, overall: &Overall, dims: &[DimensionResult]) -> GateResult {
    let mut reasons = Vec::new();
    if overall.rag == Rag::NotAssessed {
        reasons.push("nothing assessed".to_string());
    }
    if g.overall_red && overall.rag == Rag::Red {
        reasons.push("overall Red".into());
    }
    if g.gating_red {
        for c in dims.iter().flat_map(|d| &d.criteria) {
            if c.gating && c.rag == Rag::Red {
                reasons.push(format!("gating criterion {} Red", c.id));
            }
        }
    }
    GateResult {
        failed: !reasons.is_empty(),
        reasons,
    }
}

fn attestations(def: &Definition, ev: &Evidence) -> Vec<AttestationResult> {
    let mut out: Vec<AttestationResult> = def
        .attestations
        .iter()
        .map(|a| {
            let got = ev.attestations.get(&a.id);
            AttestationResult {
                id: a.id.clone(),
                title: a.title.clone(),
                status: got.map_or("missing".into(), |g| g.status.clone()),
                date: got.and_then(|g| g.date.clone()),
                by: got.and_then(|g| g.by.clone()),
                note: got.and_then(|g| g.note.clone()),
            }
        })
        .collect();
    for (id, g) in &ev.attestations {
        if !def.attestations.iter().any(|a| &a.id == id) {
            out.push(AttestationResult {
                id: id.clone(),
                title: id.clone(),
                status: g.status.clone(),
                date: g.date.clone(),
                by: g.by.clone(),
                note: g.note.clone(),
            });
        }
    }
    out
}

fn level(def: &Definition, card: &RegionScorecard, ev: &Evidence) -> LevelResult {
    let mut reached = &def.levels[0];
    for l in &def.levels[1..] {
        let unmet: Vec<String> = l
            .requires
            .iter()
            .filter_map(|r| unmet(r, card, ev))
            .collect();
        if !unmet.is_empty() {
            return LevelResult {
                id: reached.id.clone(),
                label: reached.label.clone(),
                next: Some(l.id.clone()),
                next_unmet: unmet,
            };
        }
        reached = l;
    }
    LevelResult {
        id: reached.id.clone(),
        label: reached.label.clone(),
        next: None,
        next_unmet: Vec::new(),
    }
}

/// None when met; otherwise what is missing, in words.
fn unmet(r: &Requirement, card: &RegionScorecard, ev: &Evidence) -> Option<String> {
    if !r.scenarios_pass.is_empty() {
        let missing: Vec<String> = r
            .scenarios_pass
            .iter()
            .filter_map(|id| {
                let points: Vec<f64> = ev
                    .scenarios
                    .iter()
                    .filter(|s| scenario_is(s, id))
                    .filter_map(|s| scenario_points(s, 0.5))
                    .collect();
                if points.is_empty() {
                    Some(format!("{id} not run"))
                } else if points.contains(&0.0) {
                    Some(format!("{id} failed"))
                } else {
                    None
                }
            })
            .collect();
        return (!missing.is_empty())
            .then(|| format!("scenarios must pass: {}", missing.join(", ")));
    }
    let (name, score, rag) = if let Some(id) = &r.criterion {
        let c = card.criterion(id)?;
        (id.clone(), c.score, c.rag)
    } else if let Some(id) = &r.dimension {
        let d = card.dimensions.iter().find(|d| &d.id == id)?;
        (id.clone(), d.score, d.rag)
    } else {
        ("overall".to_string(), card.overall.score, card.overall.rag)
    };
    let mut wants = Vec::new();
    if let Some(at) = r.at_least {
        if !rag.meets(at) {
            wants.push(format!("at least {}", at.label()));
        }
    }
    if let Some(min) = r.min_score {
        if score.is_none_or(|s| s < min) {
            wants.push(format!("score ≥ {min}"));
        }
    }
    if wants.is_empty() {
        return None;
    }
    let is = match score {
        Some(s) => format!("{s} {}", rag.label()),
        None => "not assessed".into(),
    };
    Some(format!("{name} {} (is {is})", wants.join(" and ")))
}
