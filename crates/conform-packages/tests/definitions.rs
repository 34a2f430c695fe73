//! Loading the real packages and looking definitions up.

mod common;

use common::{id, source_config, CORE, UKCORE};
use conform_packages::{fingerprint_of, resolve, DefinitionSet, PackageSpec};

const PATIENT: &str = "http://hl7.org/fhir/StructureDefinition/Patient";

fn load(spec: &str) -> DefinitionSet {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let pkgs = resolve(&cfg, &[PackageSpec::parse(spec).unwrap()]).unwrap();
    DefinitionSet::load(&pkgs).unwrap()
}

#[test]
fn r4_core_lookups() {
    let set = load(CORE);
    let patient = set.get(PATIENT).expect("Patient by url");
    assert_eq!(patient["id"], "Patient");
    assert_eq!(patient["kind"], "resource");
    let versioned = set
        .get(&format!("{PATIENT}|4.0.1"))
        .expect("Patient by url|version");
    assert!(std::ptr::eq(patient, versioned));
    assert!(set.get(&format!("{PATIENT}|3.0.2")).is_none());
    assert!(set.get("http://example.org/nothing").is_none());

    // Counts as published for R4 4.0.1 (see the shared packages README).
    assert_eq!(set.by_type("StructureDefinition").count(), 649);
    assert_eq!(set.entries().count(), 4474);
    assert!(set.by_type("ValueSet").count() > 1000);

    let entry = set
        .entries()
        .find(|e| e.url.as_deref() == Some(PATIENT))
        .unwrap();
    assert_eq!(entry.filename, "StructureDefinition-Patient.json");
    assert_eq!(entry.resource_type, "StructureDefinition");
    assert_eq!(entry.kind.as_deref(), Some("resource"));
    assert_eq!(entry.type_.as_deref(), Some("Patient"));
    assert_eq!(entry.package, id(CORE));
}

#[test]
fn ukcore_on_top_of_core_with_examples() {
    let set = load(UKCORE);
    assert_eq!(set.packages().len(), 2);
    assert_eq!(set.fingerprint(), fingerprint_of(set.packages()));
    let uk = set
        .get("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient")
        .expect("UKCore-Patient");
    assert_eq!(uk["baseDefinition"], PATIENT);
    assert!(set.get(PATIENT).is_some());
    let examples = set.examples(&id(UKCORE));
    assert_eq!(examples.len(), 146);
    assert!(examples
        .iter()
        .all(|e| e.filename().starts_with("examples/")));
    assert!(examples[0].json().unwrap().get("resourceType").is_some());
    assert!(set.examples(&id(CORE)).is_empty());
}

#[test]
fn ips_examples_live_in_package_example() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    // Loaded as a tarball spec without resolving its (unavailable)
    // dependencies: load takes whatever list it is given.
    let pkgs = resolve(&cfg, &[PackageSpec::parse(CORE).unwrap()]).unwrap();
    let ips = conform_packages::ResolvedPackage {
        id: id("hl7.fhir.uv.ips#2.0.0"),
        location: conform_packages::Location::Tarball(common::shared_tarball(
            "hl7.fhir.uv.ips#2.0.0",
        )),
        dependencies: Vec::new(),
        fingerprint: [0; 32],
        substituted_for: Vec::new(),
        missing_dependencies: Vec::new(),
        fhir_versions: vec!["4.0.1".into()],
    };
    let set = DefinitionSet::load(&[pkgs[0].clone(), ips.clone()]).unwrap();
    let examples = set.examples(&ips.id);
    assert_eq!(examples.len(), 44);
    assert!(examples
        .iter()
        .all(|e| e.filename().starts_with("example/")));
    assert!(set
        .get("http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips")
        .is_some());
}

#[test]
fn definition_set_is_shareable_across_threads() {
    fn assert_sync<T: Sync + Send>() {}
    assert_sync::<DefinitionSet>();
}
