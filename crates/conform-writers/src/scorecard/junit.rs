//! JUnit XML for CI through conform-writers's one JUnit writer: a suite per
//! region (level, overall and coverage as properties), a case per criterion
//! (Red is a failure, not assessed is skipped; the RAG is in the name) plus
//! the region's gate.

use super::score;
use crate::junit_xml::{Case, Junit, Outcome, Suite};
use conform_outcome::scorecard::Rag;
use conform_outcome::scorecard::Report;

pub fn render_junit(report: &Report) -> String {
    let suites = report
        .regions
        .iter()
        .map(|card| {
            let mut cases: Vec<Case> = card
                .criteria()
                .map(|c| Case {
                    classname: card.region.clone(),
                    name: format!(
                        "{} {} [{} {}]",
                        c.id,
                        c.title,
                        score(c.score),
                        c.rag.label()
                    ),
                    time_secs: None,
                    outcome: match c.rag {
                        Rag::Red => Outcome::Failure {
                            message: format!("{} Red", c.id),
                            kind: if c.gating { "gating" } else { "red" }.into(),
                            body: c.findings.join("\n"),
                        },
                        Rag::NotAssessed => Outcome::Skipped {
                            message: format!("not assessed: {}", c.findings.join("; ")),
                        },
                        Rag::Amber | Rag::Green => Outcome::Pass,
                    },
                })
                .collect();
            cases.push(Case {
                classname: card.region.clone(),
                name: format!(
                    "gate ({} {}, overall {} {})",
                    card.level.id,
                    card.level.label,
                    score(card.overall.score),
                    card.overall.rag.label()
                ),
                time_secs: None,
                outcome: if card.gate.failed {
                    Outcome::Failure {
                        message: card.gate.reasons.join("; "),
                        kind: "gate".into(),
                        body: card.overall.reasons.join("\n"),
                    }
                } else {
                    Outcome::Pass
                },
            });
            Suite {
                name: card.region.clone(),
                time_secs: None,
                properties: vec![
                    (
                        "level".into(),
                        format!("{} {}", card.level.id, card.level.label),
                    ),
                    ("overall".into(), score(card.overall.score)),
                    ("rag".into(), card.overall.rag.as_str().into()),
                    (
                        "evidence_coverage".into(),
                        format!("{}", card.overall.evidence_coverage),
                    ),
                ],
                cases,
            }
        })
        .collect();
    Junit {
        name: "conform scorecard".into(),
        suites,
    }
    .render()
}
