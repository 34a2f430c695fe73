//! One self-contained HTML page: inline CSS and SVG, no script, no links
//! out; prints readably (each region starts on a fresh page).

use super::svg::{colour, dimension_bars, levels_chart, trend_chart};
use super::{delta, evidence, gate, has_trend, level_lines, score};
use crate::xml::escape;
use conform_outcome::scorecard::Rag;
use conform_outcome::scorecard::Report;
use std::fmt::Write;

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;margin:24px;color:#222}\
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.rag{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-weight:600}\
.rag.amber{color:#222}.rag.not-assessed{background:#9e9e9e}.dim td{background:#fafafa;font-weight:600}\
.findings{font-size:12px;color:#444}.summary{font-size:15px}\
@media print{body{margin:0}.region{page-break-before:always}.chart{max-width:100%}th{background:#eee!important}\
.rag{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

fn rag(r: Rag) -> String {
    format!(
        "<span class=\"rag {}\" style=\"background:{}\">{}</span>",
        r.as_str(),
        colour(r),
        r.label()
    )
}

pub fn render_html(report: &Report) -> String {
    let trend = has_trend(report);
    let mut b = String::new();
    let _ = write!(
        b,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Readiness scorecards: {t}</title><style>{CSS}</style></head><body>\n<h1>Readiness scorecards: {t} ({v})</h1>\n<p>Generated {g}.</p>\n",
        t = escape(&report.definition.title),
        v = escape(&report.definition.version),
        g = escape(&report.generated_at)
    );
    b.push_str("<section id=\"rollup\"><h2>National roll-up</h2>\n<ul class=\"summary\">");
    for l in level_lines(report) {
        let _ = write!(b, "<li>{}</li>", escape(&l));
    }
    let _ = writeln!(
        b,
        "<li>{} of {} regions fail the gate</li></ul>",
        report.rollup.gate_failed, report.rollup.regions
    );
    b.push_str(&levels_chart(report));
    b.push_str("\n<table class=\"rollup\"><tr><th>Region</th><th>Level</th><th>Overall</th><th>Coverage</th>");
    for d in &report.definition.dimensions {
        let _ = write!(b, "<th>{} {}</th>", escape(&d.id), escape(&d.label));
    }
    b.push_str("</tr>\n");
    for r in &report.rollup.rows {
        let _ = write!(
            b,
            "<tr><td><a href=\"#region-{id}\">{id}</a></td><td>{}</td><td>{} {}</td><td>{}%</td>",
            escape(&r.level),
            score(r.score),
            rag(r.rag),
            r.evidence_coverage,
            id = escape(&r.region)
        );
        for d in &r.dimensions {
            let _ = write!(b, "<td>{} {}</td>", score(d.score), rag(d.rag));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n");
    if let Some(t) = &report.trend {
        b.push_str("<h3>Trend: overall score per run</h3>\n");
        let series: Vec<(&str, &[_])> = t
            .series
            .iter()
            .map(|(r, p)| (r.as_str(), p.as_slice()))
            .collect();
        b.push_str(&trend_chart(&series));
        if let Some(since) = &t.since {
            let _ = write!(
                b,
                "<p>Δ since compares with the run nearest {}.</p>",
                escape(since)
            );
        }
    }
    b.push_str("</section>\n");
    for card in &report.regions {
        let _ = write!(
            b,
            "<section class=\"region\" id=\"region-{r}\"><h2>{r}</h2>\n<p class=\"summary\"><strong>{} {}</strong> · overall <strong>{}</strong> {} · evidence coverage {}% · gate {}</p>\n",
            escape(&card.level.id),
            escape(&card.level.label),
            score(card.overall.score),
            rag(card.overall.rag),
            card.overall.evidence_coverage,
            escape(&gate(card.gate.failed, &card.gate.reasons)),
            r = escape(&card.region)
        );
        if !card.overall.reasons.is_empty() {
            let _ = write!(
                b,
                "<p>Overall: {}.</p>",
                escape(&card.overall.reasons.join("; "))
            );
        }
        if let Some(next) = &card.level.next {
            let _ = write!(
                b,
                "<p>Next level {} needs: {}.</p>",
                escape(next),
                escape(&card.level.next_unmet.join("; "))
            );
        }
        b.push_str(&dimension_bars(card));
        b.push_str("\n<table class=\"criteria\"><tr><th>Criterion</th><th>Gating</th><th>Score</th><th>RAG</th><th>Evidence</th>");
        if trend {
            b.push_str("<th>Δ last</th><th>Δ since</th>");
        }
        b.push_str("<th>Findings</th></tr>\n");
        for d in &card.dimensions {
            let _ = writeln!(
                b,
                "<tr class=\"dim\"><td>{} {} (weight {})</td><td></td><td>{}</td><td>{}</td><td></td>{}<td></td></tr>",
                escape(&d.id),
                escape(&d.title),
                d.weight,
                score(d.score),
                rag(d.rag),
                if trend { "<td></td><td></td>" } else { "" }
            );
            for c in &d.criteria {
                let _ = write!(
                    b,
                    "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    escape(&c.id),
                    escape(&c.title),
                    if c.gating { "yes" } else { "" },
                    score(c.score),
                    rag(c.rag),
                    escape(&evidence(c))
                );
                if trend {
                    let tr = c.trend.clone().unwrap_or_default();
                    let _ = write!(
                        b,
                        "<td>{}</td><td>{}</td>",
                        delta(tr.delta_since_last),
                        delta(tr.delta_since)
                    );
                }
                let findings: Vec<String> = c.findings.iter().map(|f| escape(f)).collect();
                let _ = writeln!(
                    b,
                    "<td class=\"findings\">{}</td></tr>",
                    findings.join("<br>")
                );
            }
        }
        b.push_str("</table>\n<h3>Attested evidence (shown, not scored)</h3><ul>");
        for a in &card.attestations {
            let _ = write!(
                b,
                "<li>{}: <strong>{}</strong>{}</li>",
                escape(&a.title),
                escape(&a.status),
                a.date
                    .as_ref()
                    .map(|d| format!(" ({})", escape(d)))
                    .unwrap_or_default()
            );
        }
        b.push_str("</ul></section>\n");
    }
    b.push_str("</body></html>\n");
    b
}
