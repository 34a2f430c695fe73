//! `--format json`: the report as documented in docs/probe-json.md.

pub fn render_json(report: &crate::ProbeReport) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
