//! Shared set-up for the integration tests: one validator over the real R4
//! core package from the shared test data, built once per test binary.

#![allow(dead_code)]

pub mod known;
pub mod test_cases;

use conform_packages::{PackageSpec, SourceConfig};
use conform_validate::{ResourceResult, Validator};
use std::sync::OnceLock;

/// A validator for base R4, compiled from `hl7.fhir.r4.core-4.0.1.tgz`
/// (no plan cache, so the tests exercise the compiler every run).
pub fn r4() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| load(&[PackageSpec::parse("hl7.fhir.r4.core#4.0.1").expect("spec")]).0)
}

/// A validator for base STU3 (3.0.1), compiled from
/// `hl7.fhir.r3.core-3.0.1.tgz`.
pub fn stu3() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| load(&[PackageSpec::parse("hl7.fhir.r3.core#3.0.1").expect("spec")]).0)
}

/// Resolves packages from the shared test data (offline) and compiles
/// them afresh, without the plan cache.
pub fn load(specs: &[PackageSpec]) -> (Validator, Vec<conform_packages::ResolvedPackage>) {
    let cache = tempfile::tempdir().expect("temp dir");
    let resolved = resolve_with_cache(cache.path(), specs);
    let validator = Validator::load(&resolved, None).expect("plans compile").0;
    (validator, resolved)
}

/// Resolves packages (offline) from a FHIR package cache folder, which may
/// hold a test's own packages, then from the shared test data.
pub fn resolve_with_cache(
    cache: &std::path::Path,
    specs: &[PackageSpec],
) -> Vec<conform_packages::ResolvedPackage> {
    let mut cfg = SourceConfig::with_cache(cache);
    cfg.source_dirs = vec![conform_testdata::packages_dir()];
    cfg.offline = true;
    // The shared folder holds the extensions package HL7 Terminology 7.0.1
    // asks for in its next (ballot) version only, and that one asks for
    // Terminology 6.5.0: explicit substitutions, as a user would configure
    // them (docs/packages.md).
    cfg.substitutions = vec![
        conform_packages::Substitution::new("hl7.fhir.uv.extensions.r4#5.2.0", "5.3.0-ballot-tc1")
            .expect("substitution"),
        conform_packages::Substitution::new("hl7.terminology.r4", "7.0.1").expect("substitution"),
    ];
    conform_packages::resolve(&cfg, specs).expect("packages resolve")
}

/// A validator for `resolved` as a warm run makes it: its plans compiled
/// and stored in a fresh plan cache (that validator dropped unused), then
/// read back. The cache folder lives as long as the guard returned.
pub fn from_plan_cache(
    resolved: &[conform_packages::ResolvedPackage],
) -> (Validator, tempfile::TempDir) {
    let cache = tempfile::tempdir().expect("temp dir");
    let (_, stats) = Validator::load(resolved, Some(cache.path())).expect("plans compile");
    assert!(!stats.from_cache, "an empty cache folder");
    let (cached, stats) = Validator::load(resolved, Some(cache.path())).expect("plans load");
    assert!(stats.from_cache, "the second load reads the cache");
    (cached, cache)
}

/// A validator for R4 plus loose conformance resources (profiles and what
/// they need).
pub fn r4_with(files: &[std::path::PathBuf]) -> Validator {
    let mut specs = vec![PackageSpec::parse("hl7.fhir.r4.core#4.0.1").expect("spec")];
    specs.extend(files.iter().map(|f| PackageSpec::Loose(f.clone())));
    load(&specs).0
}

/// A profile of the resource type `ty` at `url`, made of the differential
/// `elements` (conform generates its snapshot on load); named after the
/// URL's last segment.
pub fn constraint(url: &str, ty: &str, elements: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"resourceType": "StructureDefinition", "url": url,
        "name": url.rsplit('/').next().unwrap_or("P"), "status": "active",
        "fhirVersion": "4.0.1", "kind": "resource", "abstract": false, "type": ty,
        "baseDefinition": format!("http://hl7.org/fhir/StructureDefinition/{ty}"),
        "derivation": "constraint", "differential": {"element": elements}})
}

/// A Bundle entry for `resource`, its fullUrl on example.org's RESTful
/// base from its type and id.
pub fn entry(resource: serde_json::Value) -> serde_json::Value {
    let url = format!(
        "http://example.org/fhir/{}/{}",
        resource["resourceType"].as_str().expect("resourceType"),
        resource["id"].as_str().expect("id")
    );
    serde_json::json!({"fullUrl": url, "resource": resource})
}

/// A Patient profile (at `url`) that asks for an identifier and that the
/// Patients it links to conform to it too: references that lead to
/// resources judged against a profile, cycles included.
pub fn identified_patient(url: &str) -> serde_json::Value {
    constraint(
        url,
        "Patient",
        serde_json::json!([
            {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1},
            {"id": "Patient.link.other", "path": "Patient.link.other",
                "type": [{"code": "Reference", "targetProfile": [url]}]},
        ]),
    )
}

/// A validator for R4 with these definitions loaded as loose files, as
/// `--ig` loads them.
pub fn r4_with_definitions(definitions: &[serde_json::Value]) -> Validator {
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<std::path::PathBuf> = definitions
        .iter()
        .enumerate()
        .map(|(i, sd)| {
            let path = dir.path().join(format!("definition-{i}.json"));
            std::fs::write(&path, sd.to_string()).expect("write definition");
            path
        })
        .collect();
    r4_with(&files)
}

/// The `*.json` files of a shared test data folder (relative to the test
/// data root), sorted so results never depend on the file system, and
/// checked to be as many as the data's README says.
pub fn example_files(folder: &str, expected: usize) -> Vec<std::path::PathBuf> {
    let dir = conform_testdata::path(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), expected, "the shared test data's {folder}");
    files
}

pub fn validate_file(path: &std::path::Path) -> ResourceResult {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    r4().validate_bytes(&bytes, 0)
}

pub fn error_rules(r: &ResourceResult) -> Vec<String> {
    let mut rules: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity.is_error())
        .map(|f| f.rule.clone())
        .collect();
    rules.sort();
    rules.dedup();
    rules
}
