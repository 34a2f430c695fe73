//! All 703 official R4 examples validate with no errors, except the
//! committed list of genuinely invalid ones, which must fail for the listed
//! reasons.

mod common;

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Known {
    example: Vec<KnownExample>,
}

#[derive(Deserialize)]
struct KnownExample {
    file: String,
    rules: Vec<String>,
    reason: String,
}

#[test]
fn official_examples_validate_clean_except_known_invalid() {
    let known: Known =
        toml::from_str(include_str!("data/r4-examples-invalid.toml")).expect("known list parses");
    let known: BTreeMap<String, KnownExample> = known
        .example
        .into_iter()
        .map(|k| (k.file.clone(), k))
        .collect();
    let dir = conform_testdata::path("r4/examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        703,
        "the shared test data holds 703 R4 examples"
    );

    let mut problems = Vec::new();
    let mut clean = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let result = common::validate_file(path);
        let rules = common::error_rules(&result);
        match known.get(&name) {
            None if rules.is_empty() => clean += 1,
            None => {
                let first: Vec<String> = result
                    .findings
                    .iter()
                    .filter(|f| f.severity.is_error())
                    .take(3)
                    .map(|f| format!("{}:{} {} {}", f.line, f.column, f.expression, f.message))
                    .collect();
                problems.push(format!(
                    "{name}: unexpected errors {rules:?}\n    {}",
                    first.join("\n    ")
                ));
            }
            Some(k) if rules.is_empty() => problems.push(format!(
                "{name}: listed as invalid ({}) but now validates clean: remove it from the list",
                k.reason
            )),
            Some(k) if rules != k.rules => problems.push(format!(
                "{name}: listed with rules {:?} but fails with {rules:?}",
                k.rules
            )),
            Some(_) => {}
        }
    }
    println!(
        "{clean} of {} examples clean; {} known invalid",
        files.len(),
        known.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
