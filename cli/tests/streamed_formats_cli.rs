//! `conform validate` streams every format: what it writes as results
//! arrive is what the whole report renders. The whole report is the one
//! `conform report merge` joins from two JSON shards (the collected
//! document, in the unsharded input order) and renders in each format.

mod common;

use common::{run, stderr, stdout, validate_inputs};
use serde_json::Value;

#[test]
fn every_format_streams_what_the_whole_report_renders() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = common::shard_inputs(dir.path(), 600);
    let mut shards = Vec::new();
    for k in 1..=2 {
        let out = dir.path().join(format!("shard-{k}.json"));
        let shard = format!("{k}/2");
        let o = validate_inputs(
            &["--shard", &shard, "-f", "json", "-o", out.to_str().unwrap()],
            &inputs,
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        shards.push(out.display().to_string());
    }
    for format in ["text", "json", "operationoutcome", "junit", "sarif"] {
        let streamed = validate_inputs(&["-f", format, "--info"], &inputs);
        assert_eq!(
            streamed.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&streamed)
        );
        let mut merge = vec!["report", "merge", "-f", format, "--info"];
        merge.extend(shards.iter().map(String::as_str));
        let whole = run(&merge);
        assert_eq!(whole.status.code(), Some(1), "{format}: {}", stderr(&whole));
        let (streamed, whole) = (stdout(&streamed), stdout(&whole));
        if format == "json" {
            // The streamed document has its summary last (known only at the
            // end): the same members otherwise.
            let (s, w): (Value, Value) = (
                serde_json::from_str(&streamed).unwrap(),
                serde_json::from_str(&whole).unwrap(),
            );
            for key in ["packages", "summary", "files"] {
                assert_eq!(s[key], w[key], "json: {key}");
            }
        } else {
            assert_eq!(streamed, whole, "{format}");
        }
        assert!(streamed.contains("patients.ndjson"), "{format}: {streamed}");
    }
}
