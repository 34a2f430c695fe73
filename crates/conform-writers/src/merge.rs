//! Joining SARIF and JUnit reports of the shards of one run (`conform
//! report merge`), for CI jobs that kept only those formats. (Shards'
//! `conform.validate/1` JSON joins losslessly in conform-outcome and renders
//! to any format; these joins are for the formats as written.)

use serde_json::{json, Value};

/// One SARIF log from several: the runs of each tool become one run, its
/// rules the union (by id, sorted as the writer sorts them) and its
/// results all the shards' in order, each `ruleIndex` pointing into the
/// joined rules. Whether any result is an error comes back with it.
pub fn merge_sarif(logs: &[Value]) -> Result<(Value, bool), String> {
    let first = logs.first().ok_or("nothing to merge")?;
    let mut runs: Vec<Value> = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let list = log["runs"]
            .as_array()
            .ok_or_else(|| format!("report {} is not a SARIF log (no runs)", i + 1))?;
        for run in list {
            let tool = &run["tool"]["driver"]["name"];
            match runs
                .iter_mut()
                .find(|r| r["tool"]["driver"]["name"] == *tool)
            {
                None => runs.push(run.clone()),
                Some(joined) => {
                    let rules = run["tool"]["driver"]["rules"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    // `pointer_mut`, not indexing: a `tool` that is not an
                    // object must be an error, not a panic (found by the
                    // fuzz target `reports`)
                    let have = joined
                        .pointer_mut("/tool/driver/rules")
                        .and_then(Value::as_array_mut)
                        .ok_or("a SARIF run without tool.driver.rules")?;
                    for r in rules {
                        if !have.iter().any(|h| h["id"] == r["id"]) {
                            have.push(r);
                        }
                    }
                    have.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
                    let results = run["results"].as_array().cloned().unwrap_or_default();
                    joined
                        .pointer_mut("/results")
                        .and_then(Value::as_array_mut)
                        .ok_or("a SARIF run without results")?
                        .extend(results);
                }
            }
        }
    }
    let mut failed = false;
    for run in &mut runs {
        let ids: Vec<String> = run["tool"]["driver"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect();
        let results = run.pointer_mut("/results").and_then(Value::as_array_mut);
        for r in results.into_iter().flatten() {
            failed |= r["level"] == "error";
            let index = r["ruleId"]
                .as_str()
                .and_then(|id| ids.iter().position(|x| x == id));
            if let (Some(i), Some(r)) = (index, r.as_object_mut()) {
                r.insert("ruleIndex".into(), json!(i));
            }
        }
    }
    let mut out = first.clone();
    out.as_object_mut()
        .ok_or("report 1 is not a SARIF log")?
        .insert("runs".into(), Value::Array(runs));
    Ok((out, failed))
}

/// One JUnit report from several: every `<testsuite>` of each, as written,
/// under one `<testsuites>` whose counts are the sums. Whether any case
/// failed comes back with it.
pub fn merge_junit(reports: &[String]) -> Result<(String, bool), String> {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut name = None;
    for (i, text) in reports.iter().enumerate() {
        let doc = roxmltree::Document::parse(text)
            .map_err(|e| format!("report {} is not XML: {e}", i + 1))?;
        let root = doc.root_element();
        if !root.has_tag_name("testsuites") {
            return Err(format!("report {} is not JUnit (<testsuites>)", i + 1));
        }
        let count = |attr: &str| {
            root.attribute(attr)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        tests += count("tests");
        failures += count("failures");
        errors += count("errors");
        skipped += count("skipped");
        name = name.or_else(|| root.attribute("name").map(str::to_string));
        for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
            suites.push_str("  ");
            suites.push_str(&text[suite.range()]);
            suites.push('\n');
        }
    }
    let name = escape(name.as_deref().unwrap_or("conform"));
    Ok((
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
        ),
        failures + errors > 0,
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rules: &[&str], results: &[(&str, &str)]) -> Value {
        json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "conform",
            "rules": rules.iter().map(|r| json!({"id": r})).collect::<Vec<_>>()}},
            "results": results.iter().map(|(id, level)| json!({"ruleId": id, "level": level})).collect::<Vec<_>>()}]})
    }

    /// Found by the fuzz smoke test (`reports`): a run whose `tool` is a
    /// string, merged with itself, indexed `tool.driver.rules` mutably and
    /// panicked. Shapes that are not SARIF are errors.
    #[test]
    fn malformed_sarif_is_an_error_not_a_panic() {
        let log: Value = serde_json::from_str(
            r#"{"version": "2.1.0", "runs": [{"tool":  "a.json", "expression": "Patient.x"}]}"#,
        )
        .unwrap();
        let err = merge_sarif(&[log.clone(), log]).unwrap_err();
        assert!(err.contains("tool.driver.rules"), "{err}");
        // results that are not objects, and runs that are not objects
        let odd = json!({"runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "r"}]}},
            "results": ["text", {"ruleId": "r"}]}, "run"]});
        let (joined, _) = merge_sarif(&[odd]).unwrap();
        assert_eq!(joined["runs"][0]["results"][1]["ruleIndex"], 0);
        assert_eq!(joined["runs"][0]["results"][0], "text");
        assert!(merge_sarif(&[json!([{"runs": []}])]).is_err());
    }

    #[test]
    fn sarif_runs_of_one_tool_become_one_with_rules_reindexed() {
        let (joined, failed) = merge_sarif(&[
            run(&["b"], &[("b", "warning")]),
            run(&["a", "c"], &[("c", "error"), ("a", "note")]),
        ])
        .unwrap();
        assert!(failed);
        let run = &joined["runs"][0];
        assert_eq!(joined["runs"].as_array().unwrap().len(), 1);
        let ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let index: Vec<(String, u64)> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["ruleIndex"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(index, [("b".into(), 1), ("c".into(), 2), ("a".into(), 0)]);
        assert!(merge_sarif(&[json!({})]).is_err());
    }

    #[test]
    fn junit_suites_are_kept_and_counts_summed() {
        let one = r#"<?xml version="1.0"?><testsuites name="conform validate" tests="2" failures="1" errors="0" skipped="0"><testsuite name="a.json" tests="2"><testcase name="x"/><testcase name="y"><failure message="m"/></testcase></testsuite></testsuites>"#;
        let two = r#"<testsuites name="conform validate" tests="1" failures="0" errors="0" skipped="1"><testsuite name="b.json" tests="1"><testcase name="z"><skipped/></testcase></testsuite></testsuites>"#;
        let (joined, failed) = merge_junit(&[one.into(), two.into()]).unwrap();
        assert!(failed);
        assert!(
            joined.contains(r#"tests="3" failures="1" errors="0" skipped="1""#),
            "{joined}"
        );
        assert_eq!(joined.matches("<testsuite ").count(), 2);
        roxmltree::Document::parse(&joined).expect("well-formed");
        assert!(merge_junit(&["<nope/>".into()]).is_err());
    }
}
