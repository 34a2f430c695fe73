//! The published JSON Schema (testkits/schema/scenario.schema.json) accepts
//! every scenario and fragment of our kits, and rejects what the loader
//! rejects (unknown fields, a step without a region).

use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    conform_testdata::workspace_root()
}

fn validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("testkits/schema/scenario.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn as_json(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("YAML")
}

#[test]
fn every_kit_file_validates_against_the_schema() {
    let v = validator();
    let mut files = Vec::new();
    yaml_files(&root().join("testkits/cross-ics"), &mut files);
    assert!(files.len() >= 5, "{files:?}");
    for f in files {
        let doc = as_json(&std::fs::read_to_string(&f).unwrap());
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let v = validator();
    let good = "id: x\nregions: [a]\nsteps:\n  - {name: n, on: a, request: {path: metadata}, expect: {status: 200}}\n";
    assert!(v.is_valid(&as_json(good)));
    for bad in [
        // an unknown field in a step
        "id: x\nregions: [a]\nsteps:\n  - {name: n, on: a, request: {path: metadata}, expectt: {status: 200}}\n",
        // a step without a region
        "id: x\nregions: [a]\nsteps:\n  - {name: n, request: {path: metadata}}\n",
        // a bad severity
        "id: x\nregions: [a]\nsteps:\n  - {name: n, on: a, request: {path: p}, expect: {severity: MUST}}\n",
        // until without retry
        "id: x\nregions: [a]\nsteps:\n  - {name: n, on: a, request: {path: p}, until: 'true'}\n",
    ] {
        assert!(!v.is_valid(&as_json(bad)), "accepted: {bad}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.yaml");
        std::fs::write(&f, bad).unwrap();
        assert!(
            conform_scenario::load_plan(&[f], &Default::default()).is_err(),
            "the loader accepted: {bad}"
        );
    }
}
