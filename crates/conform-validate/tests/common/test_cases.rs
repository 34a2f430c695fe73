//! Running one of HL7's validator test cases (`fhir-test-cases`) the way
//! the reference's own harness does: the case's supporting files and
//! profiles loaded, the options its manifest entry gives (and the
//! reference harness's defaults otherwise), the case run, then its profile
//! run where it has one.

use conform_packages::PackageSpec;
use conform_validate::{ContainedPolicy, Options, ProfileSelection, ReferencePolicy, Validator};
use serde_json::Value;
use std::path::PathBuf;

/// What one run gave, against what the reference gave.
pub struct CaseRun {
    pub name: String,
    pub expected_errors: u64,
    pub errors: usize,
    pub first: String,
}

impl CaseRun {
    /// Valid/invalid agreement.
    pub fn agrees(&self) -> bool {
        (self.expected_errors == 0) == (self.errors == 0)
    }

    pub fn equal(&self) -> bool {
        self.expected_errors as usize == self.errors
    }
}

pub fn root() -> PathBuf {
    conform_testdata::path("fhir-test-cases")
}

/// The manifest's cases of one tier.
pub fn cases(tier: &str) -> Vec<Value> {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root().join("manifest.r4-json.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    manifest["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["tier"] == tier)
        .cloned()
        .collect()
}

/// The reference's options that change an outcome, as conform's.
pub fn options(case: &Value) -> Options {
    let opts = &case["options"];
    Options {
        allow_example_urls: opts["examples"].as_bool().unwrap_or(true),
        security_checks: opts["security-checks"].as_bool().unwrap_or(false),
        no_html_in_markdown: opts["noHtmlInMarkdown"].as_bool().unwrap_or(false),
        invariants: true,
        // The reference's test harness leaves this off unless a case turns
        // it on.
        assume_valid_rest_references: opts["assumeValidRestReferences"].as_bool().unwrap_or(false),
        references: match opts["validateReference"].as_str() {
            Some("IGNORE") => ReferencePolicy::Ignore,
            Some("CHECK_EXISTS" | "CHECK_EXISTS_AND_TYPE") => ReferencePolicy::CheckExists,
            Some("CHECK_VALID") => ReferencePolicy::CheckValid,
            _ => ReferencePolicy::CheckType,
        },
        contained: match opts["validateContains"].as_str() {
            Some("IGNORE") => ContainedPolicy::Ignore,
            _ => ContainedPolicy::Check,
        },
        extension_domains: opts["allowed-extension-domain"]
            .as_str()
            .map(|d| vec![d.to_string()])
            .unwrap_or_default(),
        no_experimental_content: opts["no-experimental-content"].as_bool().unwrap_or(false),
        ..Options::default()
    }
}

fn paths(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect()
}

/// The case's supporting files (and its profile run's), as read.
pub fn supporting(case: &Value) -> Vec<Value> {
    files(case)
        .iter()
        .filter_map(|p| std::fs::read(root().join(p)).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

/// Supporting files (profiles, Questionnaires, ValueSets...), and the
/// profile of the profile run with its own supporting files.
fn files(case: &Value) -> Vec<String> {
    let mut files = paths(&case["supporting"]);
    files.extend(paths(&case["profiles"]));
    let profile = &case["profile"];
    if let Some(src) = profile["source"].as_str() {
        files.push(src.to_string());
        files.extend(paths(&profile["supporting"]));
    }
    files
}

/// Runs a case (and its profile run) on `base` (shared, for cases without
/// profiles) or on a validator compiled from `packages` plus the case's
/// files (for cases that bring StructureDefinitions).
pub fn run(case: &Value, base: &Validator, packages: &[PackageSpec]) -> Vec<CaseRun> {
    let root = root();
    let name = case["name"].as_str().expect("name").to_string();
    let files = files(case);
    let profile = &case["profile"];
    let supporting: Vec<Value> = files
        .iter()
        .filter_map(|p| std::fs::read(root.join(p)).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    let has_profiles = supporting
        .iter()
        .any(|r| r["resourceType"] == "StructureDefinition");
    let validator = if has_profiles {
        let mut specs = packages.to_vec();
        specs.extend(files.iter().map(|f| PackageSpec::Loose(root.join(f))));
        super::load(&specs).0
    } else {
        base.clone()
    };
    let validator = validator
        .with_resources(supporting.clone())
        .with_options(options(case));
    let bytes = std::fs::read(root.join(case["file"].as_str().expect("file"))).expect("case file");
    let mut runs = vec![one(name.clone(), &validator, &bytes, &case["expected"])];
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
        runs.push(one(
            format!("{name}#profile"),
            &profiled,
            &bytes,
            &profile["expected"],
        ));
    }
    runs
}

fn one(name: String, validator: &Validator, bytes: &[u8], expected: &Value) -> CaseRun {
    let result = validator.validate_bytes(bytes, 0);
    let errors: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.severity.is_error())
        .collect();
    // CONFORM_CASE_DETAIL=name1,name2 prints every error of those runs.
    if std::env::var("CONFORM_CASE_DETAIL").is_ok_and(|names| names.split(',').any(|n| n == name)) {
        for f in &errors {
            println!("  {name}: {} [{}] {}", f.expression(), f.rule, f.message);
        }
    }
    CaseRun {
        name,
        expected_errors: expected["errors"].as_u64().expect("expected.errors"),
        errors: errors.len(),
        first: errors
            .first()
            .map(|f| format!("{} [{}] {}", f.expression(), f.rule, f.message))
            .unwrap_or_default(),
    }
}

/// Prints every run and the totals; returns (agreement %, equal %).
pub fn print(title: &str, runs: &[CaseRun]) -> (f64, f64) {
    println!(
        "{:<50} {:>8} {:>6}  {:<5} {:<5} first error",
        "case", "expected", "ours", "agree", "equal"
    );
    for o in runs {
        println!(
            "{:<50} {:>8} {:>6}  {:<5} {:<5} {}",
            o.name,
            o.expected_errors,
            o.errors,
            if o.agrees() { "yes" } else { "NO" },
            if o.equal() { "yes" } else { "no" },
            o.first.chars().take(140).collect::<String>()
        );
    }
    let total = runs.len().max(1) as f64;
    let agree = runs.iter().filter(|o| o.agrees()).count();
    let equal = runs.iter().filter(|o| o.equal()).count();
    let (pa, pe) = (100.0 * agree as f64 / total, 100.0 * equal as f64 / total);
    println!(
        "\n{title}: {}; valid/invalid agreement {agree} ({pa:.1}%); equal error counts {equal} ({pe:.1}%)",
        runs.len()
    );
    (pa, pe)
}
