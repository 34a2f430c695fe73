//! Running one of HL7's validator test cases (`fhir-test-cases`) the way
//! the reference's own harness does: the case's supporting files and
//! profiles loaded, the options its manifest entry gives (and the
//! reference harness's defaults otherwise), the case run, then its profile
//! run where it has one.

use conform_packages::PackageSpec;
use conform_validate::{ContainedPolicy, Options, ProfileSelection, ReferencePolicy, Validator};
use serde_json::Value;
use std::path::PathBuf;

/// Which of the two manifests: the cases whose input is JSON, or XML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Json,
    Xml,
}

impl Input {
    fn manifest(self) -> &'static str {
        match self {
            Input::Json => "manifest.r4-json.json",
            Input::Xml => "manifest.r4-xml.json",
        }
    }
}

/// What one run gave, against what the reference gave.
pub struct CaseRun {
    pub name: String,
    pub expected_errors: u64,
    pub errors: usize,
    pub first: String,
    /// For an XML case: the errors of the same resource read into JSON and
    /// validated as JSON, which tells a disagreement XML causes from one
    /// the JSON walk has anyway.
    pub json_form_errors: Option<usize>,
}

impl CaseRun {
    /// Valid/invalid agreement.
    pub fn agrees(&self) -> bool {
        (self.expected_errors == 0) == (self.errors == 0)
    }

    pub fn equal(&self) -> bool {
        self.expected_errors as usize == self.errors
    }

    /// A disagreement that is the XML reading's: the JSON form of the same
    /// resource agrees with the reference and the XML does not.
    pub fn xml_specific(&self) -> bool {
        !self.agrees()
            && self
                .json_form_errors
                .is_some_and(|j| (self.expected_errors == 0) == (j == 0))
    }
}

pub fn root() -> PathBuf {
    conform_testdata::path("fhir-test-cases")
}

/// The manifest's cases of one tier.
pub fn cases(input: Input, tier: &str) -> Vec<Value> {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root().join(input.manifest())).expect("manifest"))
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
        enforce_aggregation_outside_bundles: opts["enforceAggregationOutsideBundles"]
            .as_bool()
            .unwrap_or(true),
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
        .filter_map(|p| read_resource(p))
        .collect()
}

/// A supporting file as JSON: XML ones (the XML cases bring most of theirs
/// in XML) read into JSON against base R4's definitions.
fn read_resource(path: &str) -> Option<Value> {
    let bytes = std::fs::read(root().join(path)).ok()?;
    if conform_xml::looks_like_xml(&bytes) {
        let converted = conform_xml::read(&bytes, &super::r4().xml_model()).ok()?;
        serde_json::from_str(&converted.json).ok()
    } else {
        serde_json::from_slice(&bytes).ok()
    }
}

/// The case's bundle validation rule (`bundle-param`), which the
/// reference's runner sets for both runs.
fn bundle_rules(case: &Value) -> Vec<conform_validate::BundleRule> {
    let param = &case["options"]["bundle-param"];
    match (param["rule"].as_str(), param["profile"].as_str()) {
        (Some(rule), Some(profile)) => {
            vec![conform_validate::BundleRule::parse(rule, profile).expect("bundle rule")]
        }
        _ => Vec::new(),
    }
}

/// What the reference's test runner fetches a reference from (its
/// `ValidationTests.fetch`): `Patient/test` is an empty Patient; otherwise
/// the test cases' file named after the reference with `/` as `-`, lower
/// case, `.json` or `.xml`, else after its part past the first `/`.
struct CaseFetcher;

impl conform_validate::ResourceFetcher for CaseFetcher {
    fn fetch(&self, reference: &str) -> Result<Option<std::sync::Arc<str>>, String> {
        if reference == "Patient/test" {
            return Ok(Some("{\"resourceType\":\"Patient\"}".into()));
        }
        let tail = reference.split_once('/').map(|(_, tail)| tail);
        let found = std::iter::once(reference)
            .chain(tail)
            .flat_map(|name| {
                let stem = name.replace('/', "-").to_lowercase();
                ["json", "xml"].map(move |ext| format!("validator/{stem}.{ext}"))
            })
            .find_map(|path| read_resource(&path));
        Ok(found.map(|v| v.to_string().into()))
    }
}

/// The case's own supporting files (profiles, Questionnaires,
/// ValueSets...): what its run loads.
fn case_files(case: &Value) -> Vec<String> {
    let mut files = paths(&case["supporting"]);
    files.extend(paths(&case["profiles"]));
    files
}

/// The case's own files, and the profile of the profile run with its own
/// supporting files: what the profile run loads.
fn files(case: &Value) -> Vec<String> {
    let mut files = case_files(case);
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
    run_with(case, base, packages, None)
}

/// [`run`], asking `checker` (a terminology server) about the codes the
/// loaded definitions cannot judge.
pub fn run_with(
    case: &Value,
    base: &Validator,
    packages: &[PackageSpec],
    checker: Option<std::sync::Arc<dyn conform_validate::CodeChecker>>,
) -> Vec<CaseRun> {
    let root = root();
    let name = case["name"].as_str().expect("name").to_string();
    let profile = &case["profile"];
    // As the reference's test runner: the case's run loads the case's own
    // supporting files and profiles; the profile run adds the profile and
    // its supporting files (so a resource declaring that profile is not
    // checked against it in the case's run).
    let own = case_files(case);
    let all = files(case);
    let context = |files: &[String]| {
        let supporting: Vec<Value> = files.iter().filter_map(|p| read_resource(p)).collect();
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
        validator
            .with_resources(supporting)
            .with_options(options(case))
            .with_code_checker(checker.clone())
            .with_resource_fetcher(Some(std::sync::Arc::new(CaseFetcher)))
            .with_profiles(ProfileSelection {
                bundle_rules: bundle_rules(case),
                ..Default::default()
            })
    };
    let bytes = std::fs::read(root.join(case["file"].as_str().expect("file"))).expect("case file");
    let validator = context(&own);
    let mut runs = vec![one(name.clone(), &validator, &bytes, &case["expected"])];
    if let Some(src) = profile["source"].as_str() {
        let validator = context(&all);
        let url = read_resource(src)
            .and_then(|sd| sd["url"].as_str().map(str::to_string))
            .expect("profile has a url");
        let profiled = validator.with_profiles(ProfileSelection {
            explicit: vec![url],
            bundle_rules: bundle_rules(case),
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
    let result = validator.validate_payload(bytes);
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
    let json_form_errors = conform_xml::looks_like_xml(bytes)
        .then(|| conform_xml::read(bytes, &validator.xml_model()).ok())
        .flatten()
        .map(|c| {
            let r = validator.validate_bytes(c.json.as_bytes(), 0);
            r.findings.iter().filter(|f| f.severity.is_error()).count()
        });
    CaseRun {
        name,
        expected_errors: expected["errors"].as_u64().expect("expected.errors"),
        errors: errors.len(),
        json_form_errors,
        first: errors
            .first()
            .map(|f| format!("{} [{}] {}", f.expression(), f.rule, f.message))
            .unwrap_or_default(),
    }
}

/// Prints every run and the totals; returns (agreement %, equal %).
pub fn print(title: &str, runs: &[CaseRun]) -> (f64, f64) {
    println!(
        "{:<50} {:>8} {:>6} {:>5}  {:<5} {:<5} first error",
        "case", "expected", "ours", "json", "agree", "equal"
    );
    for o in runs {
        println!(
            "{:<50} {:>8} {:>6} {:>5}  {:<5} {:<5} {}",
            o.name,
            o.expected_errors,
            o.errors,
            o.json_form_errors.map_or("-".into(), |j| j.to_string()),
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
    if runs.iter().any(|o| o.json_form_errors.is_some()) {
        let json_agree = runs
            .iter()
            .filter(|o| {
                o.json_form_errors
                    .is_some_and(|j| (o.expected_errors == 0) == (j == 0))
            })
            .count();
        let specific = runs.iter().filter(|o| o.xml_specific()).count();
        println!(
            "{title}, the same resources read into JSON and validated as JSON: valid/invalid agreement {json_agree} ({:.1}%); disagreements only the XML has: {specific}",
            100.0 * json_agree as f64 / total
        );
    }
    (pa, pe)
}
