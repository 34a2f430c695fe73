//! Inline SVG charts for the HTML report: no script, no network.

use super::score;
use crate::xml::escape;
use conform_outcome::scorecard::{Rag, RegionScorecard};
use conform_outcome::scorecard::{Report, SeriesPoint};
use std::fmt::Write;

pub(crate) fn colour(rag: Rag) -> &'static str {
    match rag {
        Rag::Green => "#2e7d32",
        Rag::Amber => "#f9a825",
        Rag::Red => "#c62828",
        Rag::NotAssessed => "#9e9e9e",
    }
}

/// One horizontal bar per region: its level, coloured by overall RAG.
pub fn levels_chart(report: &Report) -> String {
    let levels = &report.definition.levels;
    let top = levels.len().saturating_sub(1).max(1) as f64;
    let (label_w, bar_w, row_h) = (200.0, 480.0, 26.0);
    let h = 30.0 + row_h * report.regions.len() as f64;
    let mut s = format!(
        "<svg class=\"chart levels\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Level per region\">",
        w = label_w + bar_w + 60.0
    );
    for (i, l) in levels.iter().enumerate() {
        let x = label_w + bar_w * i as f64 / top;
        let _ = write!(
            s,
            "<line x1=\"{x}\" y1=\"14\" x2=\"{x}\" y2=\"{h}\" stroke=\"#ccc\"/><text x=\"{x}\" y=\"11\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            escape(&l.id)
        );
    }
    for (i, card) in report.regions.iter().enumerate() {
        let y = 20.0 + row_h * i as f64;
        let rank = levels
            .iter()
            .position(|l| l.id == card.level.id)
            .unwrap_or(0) as f64;
        let w = (bar_w * rank / top).max(3.0);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect class=\"level-bar\" data-region=\"{}\" x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{}\"><title>{}: {} {}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            escape(&card.region),
            escape(&card.region),
            row_h - 8.0,
            colour(card.overall.rag),
            escape(&card.region),
            escape(&card.level.id),
            escape(&card.level.label),
            label_w + w + 4.0,
            y + 14.0,
            escape(&card.level.id)
        );
    }
    s.push_str("</svg>");
    s
}

/// A region's dimension scores as bars (grey outline: not assessed).
pub fn dimension_bars(card: &RegionScorecard) -> String {
    let (bar, gap, h, base) = (56.0, 14.0, 150.0, 120.0);
    let w = 10.0 + (bar + gap) * card.dimensions.len() as f64;
    let mut s = format!(
        "<svg class=\"chart dimensions\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Dimension scores for {}\">",
        escape(&card.region)
    );
    let _ = write!(
        s,
        "<line x1=\"0\" y1=\"{base}\" x2=\"{w}\" y2=\"{base}\" stroke=\"#999\"/>"
    );
    for (i, d) in card.dimensions.iter().enumerate() {
        let x = 10.0 + (bar + gap) * i as f64;
        let v = d.score.unwrap_or(0.0);
        let bh = (base - 10.0) * v / 100.0;
        if d.score.is_some() {
            let _ = write!(
                s,
                "<rect class=\"dim-bar\" x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{bh}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                base - bh,
                colour(d.rag),
                escape(&d.id),
                escape(&d.title),
                score(d.score)
            );
        } else {
            let _ = write!(
                s,
                "<rect class=\"dim-bar\" x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"none\" stroke=\"#9e9e9e\" stroke-dasharray=\"4 3\"><title>{}: not assessed</title></rect>",
                base - (base - 10.0),
                base - 10.0,
                escape(&d.id)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x + bar / 2.0,
            base + 14.0,
            escape(&d.id),
            x + bar / 2.0,
            base + 28.0,
            score(d.score)
        );
    }
    s.push_str("</svg>");
    s
}

/// Overall score per run, one line per region.
pub fn trend_chart(series: &[(&str, &[SeriesPoint])]) -> String {
    let (w, h, left, top, plot_w, plot_h) = (700.0, 260.0, 40.0, 10.0, 480.0, 200.0);
    let runs = series
        .iter()
        .map(|(_, p)| p.len())
        .max()
        .unwrap_or(1)
        .max(2)
        - 1;
    let palette = [
        "#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#4e342e", "#ad1457", "#558b2f",
    ];
    let mut s = format!(
        "<svg class=\"chart trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Overall score per run\">"
    );
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = top + plot_h * (1.0 - v / 100.0);
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{v}</text>",
            left + plot_w,
            left - 4.0,
            y + 3.0
        );
    }
    // Run dates along the x axis (from the longest series; at most 8).
    if let Some((_, longest)) = series.iter().max_by_key(|(_, p)| p.len()) {
        let step = longest.len().div_ceil(8).max(1);
        for (j, p) in longest.iter().enumerate().step_by(step) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                left + plot_w * j as f64 / runs as f64,
                top + plot_h + 16.0,
                escape(p.at.get(..10).unwrap_or(&p.at))
            );
        }
    }
    for (i, (region, points)) in series.iter().enumerate() {
        let c = palette[i % palette.len()];
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .filter_map(|(j, p)| {
                let v = p.score?;
                Some(format!(
                    "{:.1},{:.1}",
                    left + plot_w * j as f64 / runs as f64,
                    top + plot_h * (1.0 - v / 100.0)
                ))
            })
            .collect();
        let _ = write!(
            s,
            "<polyline class=\"trend-line\" data-region=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
            escape(region),
            coords.join(" ")
        );
        for xy in &coords {
            let (x, y) = xy.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(s, "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"{c}\"/>");
        }
        let ly = top + 14.0 * i as f64 + 8.0;
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{c}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            left + plot_w + 16.0,
            ly - 8.0,
            left + plot_w + 30.0,
            ly + 1.0,
            escape(region)
        );
    }
    s.push_str("</svg>");
    s
}
