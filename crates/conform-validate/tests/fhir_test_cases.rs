//! Agreement with the HL7 Java validator on HL7's own test cases
//! (`fhir-test-cases`, tier `base`): each case's run, plus its run against a
//! profile where the case has one (named `case#profile`).
//!
//! Prints a table of every case, then checks: valid/invalid agreement of at
//! least 90%, and every disagreement is in the committed list of known
//! differences (each with a reason), which may only shrink: a listed case
//! that now agrees fails the test until it is removed from the list.

mod common;

use conform_validate::{Options, ProfileSelection};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct KnownList {
    case: Vec<KnownCase>,
}

#[derive(Deserialize)]
struct KnownCase {
    name: String,
    reason: String,
}

struct Outcome {
    name: String,
    expected_errors: u64,
    errors: usize,
    first: String,
}

impl Outcome {
    fn agrees(&self) -> bool {
        (self.expected_errors == 0) == (self.errors == 0)
    }
}

#[test]
fn agrees_with_the_reference_validator_on_base_cases() {
    let root = conform_testdata::path("fhir-test-cases");
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root.join("manifest.r4-json.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let known: KnownList =
        toml::from_str(include_str!("data/fhir-test-cases-known-differences.toml"))
            .expect("known list parses");
    let known: BTreeMap<String, String> =
        known.case.into_iter().map(|k| (k.name, k.reason)).collect();

    let mut outcomes = Vec::new();
    for case in manifest["cases"].as_array().expect("cases") {
        if case["tier"] != "base" {
            continue;
        }
        let name = case["name"].as_str().expect("name").to_string();
        let file = root.join(case["file"].as_str().expect("file"));
        let paths = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        };
        // Supporting files (profiles, Questionnaires, ValueSets...), and the
        // profile of the profile run with its own supporting files.
        let mut files = paths(&case["supporting"]);
        files.extend(paths(&case["profiles"]));
        let profile = &case["profile"];
        if let Some(src) = profile["source"].as_str() {
            files.push(src.to_string());
            files.extend(paths(&profile["supporting"]));
        }
        let supporting: Vec<Value> = files
            .iter()
            .filter_map(|p| std::fs::read(root.join(p)).ok())
            .filter_map(|b| serde_json::from_slice(&b).ok())
            .collect();
        // The reference validator's options that we also have.
        let opts = &case["options"];
        let options = Options {
            allow_example_urls: opts["examples"].as_bool().unwrap_or(true),
            security_checks: opts["security-checks"].as_bool().unwrap_or(false),
            no_html_in_markdown: opts["noHtmlInMarkdown"].as_bool().unwrap_or(false),
            invariants: true,
            // The reference's test harness leaves this off unless a case
            // turns it on.
            assume_valid_rest_references: opts["assumeValidRestReferences"]
                .as_bool()
                .unwrap_or(false),
        };
        // Profiles among the supporting files need compiling, so those cases
        // get a validator of their own; the rest share the R4 one.
        let has_profiles = supporting
            .iter()
            .any(|r| r["resourceType"] == "StructureDefinition");
        let validator = if has_profiles {
            common::r4_with(&files.iter().map(|f| root.join(f)).collect::<Vec<_>>())
        } else {
            common::r4().clone()
        };
        let validator = validator
            .with_resources(supporting.clone())
            .with_options(options);
        let bytes = std::fs::read(&file).expect("case file");
        let mut run = |name: String, validator: &conform_validate::Validator, expected: &Value| {
            let result = validator.validate_bytes(&bytes, 0);
            let errors: Vec<_> = result
                .findings
                .iter()
                .filter(|f| f.severity.is_error())
                .collect();
            outcomes.push(Outcome {
                name,
                expected_errors: expected["errors"].as_u64().expect("expected.errors"),
                errors: errors.len(),
                first: errors
                    .first()
                    .map(|f| format!("{} [{}] {}", f.expression(), f.rule, f.message))
                    .unwrap_or_default(),
            });
        };
        run(name.clone(), &validator, &case["expected"]);
        if let Some(src) = profile["source"].as_str() {
            let url = supporting
                .iter()
                .zip(&files)
                .find(|(_, f)| f.as_str() == src)
                .and_then(|(r, _)| r["url"].as_str())
                .expect("profile has a url")
                .to_string();
            let profiled = validator.with_profiles(ProfileSelection {
                explicit: vec![url],
                ..Default::default()
            });
            run(format!("{name}#profile"), &profiled, &profile["expected"]);
        }
    }

    println!(
        "{:<50} {:>8} {:>6}  {:<5} {:<5} first error",
        "case", "expected", "ours", "agree", "equal"
    );
    for o in &outcomes {
        println!(
            "{:<50} {:>8} {:>6}  {:<5} {:<5} {}",
            o.name,
            o.expected_errors,
            o.errors,
            if o.agrees() { "yes" } else { "NO" },
            if o.expected_errors as usize == o.errors {
                "yes"
            } else {
                "no"
            },
            o.first.chars().take(140).collect::<String>()
        );
    }
    let total = outcomes.len();
    let agree = outcomes.iter().filter(|o| o.agrees()).count();
    let equal = outcomes
        .iter()
        .filter(|o| o.expected_errors as usize == o.errors)
        .count();
    let pct = 100.0 * agree as f64 / total as f64;
    println!("\nbase cases: {total}; valid/invalid agreement {agree} ({pct:.1}%); equal error counts {equal} ({:.1}%)", 100.0 * equal as f64 / total as f64);

    let mut problems = Vec::new();
    for o in &outcomes {
        match (o.agrees(), known.get(&o.name)) {
            (false, None) => problems.push(format!("{}: expected {} errors, found {} ({}) and it is not a known difference", o.name, o.expected_errors, o.errors, o.first)),
            (true, Some(reason)) => problems.push(format!("{}: listed as a known difference ({reason}) but now agrees: remove it from the list", o.name)),
            _ => {}
        }
    }
    for name in known.keys() {
        if !outcomes.iter().any(|o| &o.name == name) {
            problems.push(format!(
                "{name}: listed as a known difference but is not a base case"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        pct >= 90.0,
        "valid/invalid agreement {pct:.1}% is below the 90% target"
    );
}
