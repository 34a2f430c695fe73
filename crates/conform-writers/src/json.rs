//! `--format json`: one object with a summary and per-resource issues. The
//! shape is versioned by `schema` so CI scripts can rely on it.

use conform_outcome::validate::ValidationReport;
use serde_json::{json, Value};

pub const SCHEMA: &str = "conform.validate/1";

pub fn render_json(report: &ValidationReport) -> String {
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            let resources: Vec<Value> = f
                .resources
                .iter()
                .map(|r| {
                    json!({
                        "resourceType": r.resource_type,
                        "id": r.id,
                        "line": r.line,
                        "valid": r.errors() == 0,
                        "issues": r.findings,
                    })
                })
                .collect();
            let mut file = json!({ "path": f.path, "resources": resources });
            if let Some(failure) = &f.failure {
                file["error"] = json!(failure.message);
            }
            file
        })
        .collect();
    let out = json!({
        "schema": SCHEMA,
        "tool": { "name": "conform", "version": env!("CARGO_PKG_VERSION") },
        "packages": report.packages,
        "summary": report.summary,
        "files": files,
    });
    serde_json::to_string_pretty(&out).expect("JSON values always serialise") + "\n"
}
