//! `conform validate --shard K/N` and `conform report merge`: the shards of
//! a run, joined, are the unsharded run — files in order, an NDJSON file's
//! line ranges back together, counts and exit code — in JSON, SARIF and
//! JUnit.

mod common;

use common::{run, stderr, stdout, validate_inputs};
use serde_json::Value;

#[test]
fn merged_shards_are_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = common::shard_inputs(dir.path(), 2500);
    let whole = validate_inputs(&["-f", "json"], &inputs);
    let whole_json: Value = serde_json::from_slice(&whole.stdout).expect("JSON");
    let mut shard_files = Vec::new();
    for k in 1..=3 {
        let out = dir.path().join(format!("shard-{k}.json"));
        let shard = format!("{k}/3");
        let o = validate_inputs(
            &["--shard", &shard, "-f", "json", "-o", out.to_str().unwrap()],
            &inputs,
        );
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc["shard"], serde_json::json!({"index": k, "count": 3}));
        // Each shard did part of the work.
        let n = doc["summary"]["resources"].as_u64().unwrap();
        assert!(
            n > 0 && n < whole_json["summary"]["resources"].as_u64().unwrap(),
            "shard {k}: {n}"
        );
        shard_files.push(out.display().to_string());
    }
    // Given in any order.
    shard_files.reverse();
    let mut merge_args = vec!["report", "merge", "-f", "json"];
    merge_args.extend(shard_files.iter().map(String::as_str));
    let merged = run(&merge_args);
    assert_eq!(
        merged.status.code(),
        whole.status.code(),
        "{}",
        stderr(&merged)
    );
    assert_eq!(merged.status.code(), Some(1));
    let merged_json: Value = serde_json::from_slice(&merged.stdout).expect("merged JSON");
    assert_eq!(merged_json["summary"], whole_json["summary"]);
    assert_eq!(merged_json["files"], whole_json["files"]);
    assert_eq!(merged_json["packages"], whole_json["packages"]);
    common::assert_follows_schema(&merged_json, "conform.validate-1.schema.json");

    // A missing shard is refused, naming it.
    let partial = run(&["report", "merge", &shard_files[0], &shard_files[1]]);
    assert_eq!(partial.status.code(), Some(2));
    assert!(
        stderr(&partial).contains("shard 1/3 is missing"),
        "{}",
        stderr(&partial)
    );

    // The joined JSON renders in the other formats as the whole run does.
    let mut as_text = merge_args.clone();
    as_text[3] = "text";
    let text = stdout(&run(&as_text));
    let whole_text = stdout(&validate_inputs(&[], &inputs));
    assert_eq!(text.lines().last(), whole_text.lines().last());
}

#[test]
fn sarif_and_junit_shards_join_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = common::shard_inputs(dir.path(), 2500);
    for (format, ext) in [("sarif", "sarif"), ("junit", "xml")] {
        let whole = stdout(&validate_inputs(&["-f", format], &inputs));
        let mut files = Vec::new();
        for k in 1..=2 {
            let out = dir.path().join(format!("shard-{k}.{ext}"));
            let shard = format!("{k}/2");
            validate_inputs(
                &["--shard", &shard, "-f", format, "-o", out.to_str().unwrap()],
                &inputs,
            );
            files.push(out.display().to_string());
        }
        let mut args = vec!["report", "merge"];
        args.extend(files.iter().map(String::as_str));
        let merged = run(&args);
        assert_eq!(
            merged.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&merged)
        );
        let merged = stdout(&merged);
        if format == "sarif" {
            let key = |v: &Value| -> Vec<String> {
                let mut k: Vec<String> = v["runs"][0]["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let loc = &r["locations"][0]["physicalLocation"];
                        format!(
                            "{} {} {}",
                            r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"]
                        )
                    })
                    .collect();
                k.sort();
                k
            };
            let (w, m): (Value, Value) = (
                serde_json::from_str(&whole).unwrap(),
                serde_json::from_str(&merged).unwrap(),
            );
            assert_eq!(key(&m), key(&w));
            assert_eq!(
                m["runs"][0]["tool"]["driver"]["rules"],
                w["runs"][0]["tool"]["driver"]["rules"]
            );
        } else {
            let counts = |xml: &str| -> String {
                let doc = roxmltree::Document::parse(xml).unwrap();
                let root = doc.root_element();
                ["tests", "failures", "errors", "skipped"]
                    .map(|a| root.attribute(a).unwrap_or("?").to_string())
                    .join(" ")
            };
            assert_eq!(counts(&merged), counts(&whole));
        }
    }
}
