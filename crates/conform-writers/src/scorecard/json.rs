use conform_outcome::scorecard::Report;

/// `conform.scorecard/1`, pretty-printed (docs/scorecard-json.md).
pub fn render_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report serialises");
    s.push('\n');
    s
}
