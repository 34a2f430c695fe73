//! Running the `conform` binary as a user would, for the CLI tests: offline,
//! packages from the shared test data, no colours, and a plan cache shared
//! by the tests of one binary (the first run compiles, the rest read it).

#![allow(dead_code)]

pub mod probe;
pub mod scenario;
pub mod scorecard;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    conform_testdata::workspace_root()
}

/// The plan and package caches shared by this test binary's tests (the
/// first compiles, the rest read), empty when the first asks, in cargo's
/// scratch folder for tests.
pub fn cache_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        conform_testdata::process_scratch_dir(
            &Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-test-caches"),
        )
    })
}

/// `conform ARGS` in `dir`, not yet run.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conform"));
    cmd.current_dir(dir)
        .env("CONFORM_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .env_remove("CONFORM_PACKAGE_SOURCE")
        .env("FHIR_PACKAGE_CACHE", cache_dir().join("fhir-packages"))
        .arg("--offline")
        .arg("--package-source")
        .arg(conform_testdata::packages_dir())
        .args(args);
    cmd
}

pub fn conform_in(dir: &Path, args: &[&str]) -> Output {
    command_in(dir, args).output().expect("conform runs")
}

/// `conform ARGS` from the workspace root.
pub fn run(args: &[&str]) -> Output {
    conform_in(&root(), args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Patient data's pseudonyms (docs/patient-data.md) are keyed afresh each
/// run: snapshots show `nhs-number:[PSEUDONYM]`.
pub fn filter_pseudonyms(s: &mut insta::Settings) {
    s.add_filter(
        r"(nhs-number|identifier|name|birth-date|address|telecom):[0-9a-f]{10}\b",
        "$1:[PSEUDONYM]",
    );
}

/// Checks a document against its JSON Schema in docs/schemas/ (generated
/// from the types by conform-outcome), e.g. `conform.validate-1.schema.json`.
pub fn assert_follows_schema(document: &serde_json::Value, schema_file: &str) {
    let text = std::fs::read_to_string(root().join("docs/schemas").join(schema_file)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:?}");
}

/// The inputs of a sharded run: the fixtures, valid and invalid, around an
/// NDJSON of `patients` lines written into `dir` (every 7th Patient with a
/// gender not in the value set), so that shards split whole files and
/// line ranges both.
pub fn shard_inputs(dir: &Path, patients: usize) -> Vec<String> {
    let mut text = String::new();
    for i in 0..patients {
        let gender = if i % 7 == 0 { "F" } else { "female" };
        text.push_str(&format!(
            "{{\"resourceType\":\"Patient\",\"id\":\"p{i}\",\"gender\":\"{gender}\"}}\n"
        ));
    }
    let ndjson = dir.join("patients.ndjson");
    std::fs::write(&ndjson, text).unwrap();
    vec![
        "fixtures/valid".into(),
        ndjson.display().to_string(),
        "fixtures/invalid".into(),
    ]
}

/// `conform validate ARGS INPUTS`.
pub fn validate_inputs(args: &[&str], inputs: &[String]) -> Output {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    all.extend(inputs.iter().map(String::as_str));
    run(&all)
}
