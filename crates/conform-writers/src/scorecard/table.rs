//! The terminal view: one table per region, then the national roll-up.

use super::{delta, evidence, gate, has_trend, level_lines, score};
use comfy_table::{presets::ASCII_FULL_CONDENSED, ContentArrangement, Table};
use conform_outcome::scorecard::Rag;
use conform_outcome::scorecard::Report;
use std::fmt::Write;

pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let trend = has_trend(report);
    for card in &report.regions {
        let _ = writeln!(
            out,
            "{}: {} {} | overall {} {} | evidence coverage {}% | gate {}",
            card.region,
            card.level.id,
            card.level.label,
            score(card.overall.score),
            card.overall.rag.label(),
            card.overall.evidence_coverage,
            gate(card.gate.failed, &card.gate.reasons)
        );
        let mut t = new_table();
        let mut header = vec![
            "Dimension",
            "Criterion",
            "Gating",
            "Score",
            "RAG",
            "Evidence",
        ];
        if trend {
            header.extend(["Δ last", "Δ since"]);
        }
        t.set_header(header);
        for d in &card.dimensions {
            t.add_row(vec![
                format!("{} {} (w{})", d.id, d.title, d.weight),
                String::new(),
                String::new(),
                score(d.score),
                d.rag.label().into(),
                String::new(),
            ]);
            for c in &d.criteria {
                let mut row = vec![
                    String::new(),
                    format!("{} {}", c.id, c.title),
                    if c.gating {
                        "yes".into()
                    } else {
                        String::new()
                    },
                    score(c.score),
                    c.rag.label().into(),
                    evidence(c),
                ];
                if trend {
                    let tr = c.trend.clone().unwrap_or_default();
                    row.push(delta(tr.delta_since_last));
                    row.push(delta(tr.delta_since));
                }
                t.add_row(row);
            }
        }
        let _ = writeln!(out, "{t}");
        for c in card.criteria() {
            if matches!(c.rag, Rag::Red | Rag::Amber) {
                for f in &c.findings {
                    let _ = writeln!(out, "  {} {}: {f}", c.id, c.rag.label());
                }
            }
        }
        if let Some(next) = &card.level.next {
            let _ = writeln!(
                out,
                "  next level {next} needs: {}",
                card.level.next_unmet.join("; ")
            );
        }
        if !card.overall.reasons.is_empty() {
            let _ = writeln!(out, "  overall: {}", card.overall.reasons.join("; "));
        }
        let attested: Vec<String> = card
            .attestations
            .iter()
            .map(|a| format!("{} {}", a.id, a.status))
            .collect();
        let _ = writeln!(out, "  attested (not scored): {}\n", attested.join(", "));
    }
    let _ = writeln!(out, "National roll-up ({} regions)", report.rollup.regions);
    let mut t = new_table();
    let mut header = vec![
        "Region".to_string(),
        "Level".into(),
        "Overall".into(),
        "RAG".into(),
        "Coverage".into(),
    ];
    header.extend(report.definition.dimensions.iter().map(|d| d.id.clone()));
    t.set_header(header);
    for r in &report.rollup.rows {
        let mut row = vec![
            r.region.clone(),
            r.level.clone(),
            score(r.score),
            r.rag.label().into(),
            format!("{}%", r.evidence_coverage),
        ];
        row.extend(
            r.dimensions
                .iter()
                .map(|d| format!("{} {}", score(d.score), d.rag.label())),
        );
        t.add_row(row);
    }
    let _ = writeln!(out, "{t}");
    for l in level_lines(report) {
        let _ = writeln!(out, "{l}");
    }
    let _ = writeln!(
        out,
        "{} of {} regions fail the gate",
        report.rollup.gate_failed, report.rollup.regions
    );
    out
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(ASCII_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t
}
