//! Loose conformance resources (`-ig` style) override and extend packages.

mod common;

use common::{source_config, structure_definition, CORE};
use conform_packages::{resolve, DefinitionSet, Location, PackageError, PackageSpec};

const PATIENT: &str = "http://hl7.org/fhir/StructureDefinition/Patient";
const MINE: &str = "http://example.org/StructureDefinition/MyPatient";

fn write_json(path: &std::path::Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

#[test]
fn loose_folder_overrides_and_extends() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    write_json(
        &dir.path().join("nested").join("mine.json"),
        &structure_definition("MyPatient", MINE, "MyPatient"),
    );
    write_json(
        &dir.path().join("override.json"),
        &structure_definition("Patient", PATIENT, "OverriddenPatient"),
    );
    std::fs::write(dir.path().join("notes.txt"), "not JSON, ignored").unwrap();
    write_json(
        &dir.path().join("config.json"),
        &serde_json::json!({"not": "a resource"}),
    );

    let spec = PackageSpec::parse(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(spec, PackageSpec::Loose(dir.path().to_path_buf()));
    let pkgs = resolve(&cfg, &[PackageSpec::parse(CORE).unwrap(), spec]).unwrap();
    assert_eq!(pkgs.len(), 2);
    assert_eq!(pkgs[1].id.name, format!("loose:{}", dir.path().display()));
    assert_eq!(pkgs[1].id.version, "local");
    assert_eq!(pkgs[1].location, Location::Loose(dir.path().to_path_buf()));

    let set = DefinitionSet::load(&pkgs).unwrap();
    assert_eq!(set.get(PATIENT).unwrap()["name"], "OverriddenPatient");
    assert_eq!(set.get(MINE).unwrap()["name"], "MyPatient");
    // The override replaces Patient in by_type; the new one is added.
    assert_eq!(set.by_type("StructureDefinition").count(), 650);
    // The core version is still reachable by url|version.
    assert_eq!(
        set.get(&format!("{PATIENT}|4.0.1")).unwrap()["name"],
        "Patient"
    );
}

#[test]
fn loose_bundle_file_is_split_into_entries() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profiles.json");
    write_json(
        &file,
        &serde_json::json!({
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"resource": structure_definition("A", "http://example.org/A", "A")},
                {"fullUrl": "urn:x"},
                {"resource": {"resourceType": "ValueSet", "url": "http://example.org/vs", "status": "draft"}}
            ]
        }),
    );
    let pkgs = resolve(&cfg, &[PackageSpec::parse(file.to_str().unwrap()).unwrap()]).unwrap();
    let set = DefinitionSet::load(&pkgs).unwrap();
    let names: Vec<&str> = set.entries().map(|e| e.filename.as_str()).collect();
    assert_eq!(names, ["profiles.json#entry[0]", "profiles.json#entry[2]"]);
    assert_eq!(
        set.get("http://example.org/vs").unwrap()["resourceType"],
        "ValueSet"
    );
}

#[test]
fn loose_fingerprint_follows_content() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.json");
    write_json(
        &file,
        &structure_definition("A", "http://example.org/A", "A"),
    );
    let spec = PackageSpec::parse(dir.path().to_str().unwrap()).unwrap();
    let before = resolve(&cfg, std::slice::from_ref(&spec)).unwrap()[0].fingerprint;
    write_json(
        &file,
        &structure_definition("A", "http://example.org/A", "B"),
    );
    let after = resolve(&cfg, &[spec]).unwrap()[0].fingerprint;
    assert_ne!(before, after);
}

#[test]
fn loose_bad_json_names_the_file() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        b"{\"resourceType\": \"StructureDefinition\",",
    )
    .unwrap();
    let pkgs = resolve(
        &cfg,
        &[PackageSpec::parse(dir.path().to_str().unwrap()).unwrap()],
    )
    .unwrap();
    let err = DefinitionSet::load(&pkgs).unwrap_err();
    assert!(matches!(err, PackageError::BadJson { .. }), "{err:?}");
    assert!(err.to_string().contains("broken.json"), "{err}");
}
