//! The validator's limits (docs/limits.md) as flags and `conform.toml`
//! keys: a limit hit is a finding or a file failure naming the limit, exit
//! 1, the other files still validated; an impossible limit is exit 2.

mod common;

use common::{conform_in, stderr, stdout};
use serde_json::Value;

/// A Patient with three unknown elements: three errors.
const THREE_ERRORS: &str = r#"{"resourceType":"Patient","a":1,"b":2,"c":3}"#;

fn report(dir: &std::path::Path, args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec!["validate", "-f", "json"];
    all.extend_from_slice(args);
    let out = conform_in(dir, &all);
    let report = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("JSON report ({e}): {}", stderr(&out)));
    (report, out.status.code())
}

fn rules(resource: &Value) -> Vec<String> {
    resource["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn max_findings_is_a_flag_and_a_config_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.json"), THREE_ERRORS).unwrap();
    let (r, code) = report(dir.path(), &["p.json"]);
    assert_eq!(code, Some(1));
    assert!(!rules(&r["files"][0]["resources"][0]).contains(&"findings-truncated".into()));

    let (r, code) = report(dir.path(), &["--max-findings", "1", "p.json"]);
    assert_eq!(code, Some(1));
    let found = rules(&r["files"][0]["resources"][0]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1], "findings-truncated");

    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nmax-findings = 2\n",
    )
    .unwrap();
    let (r, _) = report(dir.path(), &["p.json"]);
    assert_eq!(rules(&r["files"][0]["resources"][0]).len(), 3);
    // The flag wins over the file.
    let (r, _) = report(dir.path(), &["--max-findings", "1", "p.json"]);
    assert_eq!(rules(&r["files"][0]["resources"][0]).len(), 2);
}

#[test]
fn a_file_over_max_file_bytes_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.json"), THREE_ERRORS).unwrap();
    std::fs::write(dir.path().join("ok.json"), r#"{"resourceType":"Basic"}"#).unwrap();
    let (r, code) = report(
        dir.path(),
        &["--max-file-bytes", "30", "big.json", "ok.json"],
    );
    assert_eq!(code, Some(1));
    let text = r.to_string();
    assert!(text.contains("over the limit of 30"), "{text}");
    assert!(text.contains("--max-file-bytes"), "{text}");
    // The other file is validated all the same.
    let ok = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("ok.json"))
        .expect("ok.json reported");
    assert_eq!(ok["resources"].as_array().unwrap().len(), 1);
}

#[test]
fn nesting_and_line_limits_are_flags() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        r#"{{"resourceType":"Patient","extension":[{}]}}"#,
        r#"{"url":"http://example.org/x","extension":["#.repeat(3).to_string()
            + r#"{"url":"http://example.org/x","valueString":"v"}"#
            + &"]}".repeat(3)
    );
    std::fs::write(dir.path().join("deep.json"), &deep).unwrap();
    let (r, code) = report(dir.path(), &["--max-depth", "4", "deep.json"]);
    assert_eq!(code, Some(1));
    assert_eq!(rules(&r["files"][0]["resources"][0]), ["limit-exceeded"]);
    let (r, _) = report(dir.path(), &["deep.json"]);
    assert!(!rules(&r["files"][0]["resources"][0]).contains(&"limit-exceeded".into()));

    std::fs::write(
        dir.path().join("lines.ndjson"),
        format!("{THREE_ERRORS}\n{{\"resourceType\":\"Basic\"}}\n"),
    )
    .unwrap();
    let (r, _) = report(dir.path(), &["--max-line-bytes", "30", "lines.ndjson"]);
    let resources = r["files"][0]["resources"].as_array().unwrap();
    assert_eq!(rules(&resources[0]), ["limit-exceeded"]);
    assert!(!rules(&resources[1]).contains(&"limit-exceeded".into()));
}

#[test]
fn an_impossible_depth_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.json"), THREE_ERRORS).unwrap();
    let out = conform_in(dir.path(), &["validate", "--max-depth", "100000", "p.json"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nmax-depth = 100000\n",
    )
    .unwrap();
    let out = conform_in(dir.path(), &["validate", "p.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("max-depth = 100000: must be 1 to 2048"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn max_fhirpath_steps_is_a_flag_and_a_config_key() {
    let dir = tempfile::tempdir().unwrap();
    // pat-1 on the contact is evaluated and fails (no name, telecom...)
    std::fs::write(
        dir.path().join("p.json"),
        r#"{"resourceType":"Patient","contact":[{"gender":"male"}]}"#,
    )
    .unwrap();
    let not_evaluated = |r: &Value| {
        r["files"][0]["resources"][0]["issues"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["rule"] == "invariant-not-evaluated" && i["severity"] == "warning")
    };
    let (r, _) = report(dir.path(), &["p.json"]);
    assert!(!not_evaluated(&r), "{r}");
    let (r, _) = report(dir.path(), &["--max-fhirpath-steps", "2", "p.json"]);
    assert!(not_evaluated(&r), "{r}");
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\nmax-fhirpath-steps = 2\n",
    )
    .unwrap();
    let (r, _) = report(dir.path(), &["p.json"]);
    assert!(not_evaluated(&r), "{r}");
}
