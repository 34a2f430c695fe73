//! Markdown for issues, wikis and CI job summaries.

use super::{delta, evidence, gate, has_trend, level_lines, score};
use conform_outcome::scorecard::Rag;
use conform_outcome::scorecard::Report;
use std::fmt::Write;

/// Escapes the characters that break a Markdown table cell.
/// Text from the document as Markdown text: `<` and `>` as entities (a
/// finding such as `<not R4>` would otherwise be read as an HTML tag and
/// dropped), `|` escaped for table cells, one line.
fn cell(s: &str) -> String {
    s.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', " ")
}

pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let trend = has_trend(report);
    let _ = writeln!(
        out,
        "# Readiness scorecards: {} ({})\n",
        report.definition.title, report.definition.version
    );
    let _ = writeln!(out, "Generated {}.\n", report.generated_at);
    let _ = writeln!(out, "## National roll-up\n");
    let mut head = "| Region | Level | Overall | RAG | Coverage |".to_string();
    let mut rule = "| --- | --- | --- | --- | --- |".to_string();
    for d in &report.definition.dimensions {
        let _ = write!(head, " {} {} |", d.id, cell(&d.label));
        rule.push_str(" --- |");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for r in &report.rollup.rows {
        let mut line = format!(
            "| {} | {} | {} | {} | {}% |",
            cell(&r.region),
            r.level,
            score(r.score),
            r.rag.label(),
            r.evidence_coverage
        );
        for d in &r.dimensions {
            let _ = write!(line, " {} {} |", score(d.score), d.rag.label());
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    for l in level_lines(report) {
        let _ = writeln!(out, "* {l}");
    }
    let _ = writeln!(
        out,
        "* {} of {} regions fail the gate\n",
        report.rollup.gate_failed, report.rollup.regions
    );
    for card in &report.regions {
        let _ = writeln!(out, "## {}\n", cell(&card.region));
        let _ = writeln!(
            out,
            "**{} {}** · overall **{} {}** · evidence coverage {}% · gate {}\n",
            card.level.id,
            cell(&card.level.label),
            score(card.overall.score),
            card.overall.rag.label(),
            card.overall.evidence_coverage,
            cell(&gate(card.gate.failed, &card.gate.reasons))
        );
        if !card.overall.reasons.is_empty() {
            let _ = writeln!(
                out,
                "Overall: {}.\n",
                cell(&card.overall.reasons.join("; "))
            );
        }
        if let Some(next) = &card.level.next {
            let _ = writeln!(
                out,
                "Next level {next} needs: {}.\n",
                cell(&card.level.next_unmet.join("; "))
            );
        }
        let _ = write!(out, "| Criterion | Gating | Score | RAG | Evidence |");
        let _ = writeln!(out, "{}", if trend { " Δ last | Δ since |" } else { "" });
        let _ = write!(out, "| --- | --- | --- | --- | --- |");
        let _ = writeln!(out, "{}", if trend { " --- | --- |" } else { "" });
        for d in &card.dimensions {
            let _ = writeln!(
                out,
                "| **{} {}** (weight {}) | | **{}** | **{}** | |{}",
                d.id,
                cell(&d.title),
                d.weight,
                score(d.score),
                d.rag.label(),
                if trend { " | |" } else { "" }
            );
            for c in &d.criteria {
                let mut line = format!(
                    "| {} {} | {} | {} | {} | {} |",
                    c.id,
                    cell(&c.title),
                    if c.gating { "yes" } else { "" },
                    score(c.score),
                    c.rag.label(),
                    evidence(c)
                );
                if trend {
                    let tr = c.trend.clone().unwrap_or_default();
                    let _ = write!(
                        line,
                        " {} | {} |",
                        delta(tr.delta_since_last),
                        delta(tr.delta_since)
                    );
                }
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out);
        let flagged: Vec<_> = card
            .criteria()
            .filter(|c| matches!(c.rag, Rag::Red | Rag::Amber) && !c.findings.is_empty())
            .collect();
        if !flagged.is_empty() {
            let _ = writeln!(out, "Findings behind Red and Amber:\n");
            for c in flagged {
                for f in &c.findings {
                    let _ = writeln!(out, "* {} {}: {}", c.id, c.rag.label(), cell(f));
                }
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "Attested evidence (shown, not scored):\n");
        for a in &card.attestations {
            let mut line = format!("* {}: {}", cell(&a.title), cell(&a.status));
            if let Some(d) = &a.date {
                let _ = write!(line, " ({d})");
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out);
    }
    out
}
