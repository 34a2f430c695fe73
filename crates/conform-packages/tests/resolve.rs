//! Resolution against the shared package tarballs used as a package source.

mod common;

use common::{id, source_config, CORE, UKCORE};
use conform_packages::{fingerprint_of, resolve, Location, PackageSpec};

#[test]
fn ukcore_by_id_pulls_in_core_first() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let pkgs = resolve(&cfg, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap();
    let ids: Vec<String> = pkgs.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, [CORE, UKCORE]);
    assert_eq!(pkgs[1].dependencies, [id(CORE)]);
    assert!(pkgs[0].dependencies.is_empty());
    for p in &pkgs {
        assert!(
            matches!(&p.location, Location::Tarball(path) if path.starts_with(conform_testdata::packages_dir())),
            "{:?}",
            p.location
        );
    }
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let specs = [PackageSpec::parse(UKCORE).unwrap()];
    let first = resolve(&cfg, &specs).unwrap();
    // The second run uses the manifest memo; keys must not change.
    let second = resolve(&cfg, &specs).unwrap();
    assert_eq!(first, second);
    assert_ne!(first[0].fingerprint, first[1].fingerprint);
    assert_eq!(fingerprint_of(&first), fingerprint_of(&second));
    // The combined key depends on the list, not just on the packages.
    assert_ne!(fingerprint_of(&first), fingerprint_of(&first[..1]));
    let reversed: Vec<_> = first.iter().rev().cloned().collect();
    assert_ne!(fingerprint_of(&first), fingerprint_of(&reversed));
}

#[test]
fn duplicates_are_resolved_once_in_a_stable_order() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let specs = [
        PackageSpec::parse(UKCORE).unwrap(),
        PackageSpec::parse(CORE).unwrap(),
        PackageSpec::parse(UKCORE).unwrap(),
    ];
    let ids: Vec<String> = resolve(&cfg, &specs)
        .unwrap()
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(ids, [CORE, UKCORE]);
}

#[test]
fn missing_version_means_latest_available_locally() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let pkgs = resolve(&cfg, &[PackageSpec::parse("fhir.r4.ukcore.stu2").unwrap()]).unwrap();
    assert_eq!(pkgs.last().unwrap().id, id(UKCORE));
}

#[test]
fn tarball_spec_and_its_dependencies() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let tgz = common::shared_tarball(UKCORE);
    let spec = PackageSpec::parse(tgz.to_str().unwrap()).unwrap();
    assert_eq!(spec, PackageSpec::Tarball(tgz.clone()));
    let pkgs = resolve(&cfg, &[spec]).unwrap();
    assert_eq!(pkgs.len(), 2);
    assert_eq!(pkgs[1].location, Location::Tarball(tgz));
}

#[test]
fn missing_dependency_names_the_dependent() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    // IPS depends on packages the shared folder does not hold.
    let err = resolve(
        &cfg,
        &[PackageSpec::parse("hl7.fhir.uv.ips#2.0.0").unwrap()],
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("required by hl7.fhir.uv.ips#2.0.0"), "{text}");
    assert!(text.contains("offline"), "{text}");
}
