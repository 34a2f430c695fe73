//! The FHIR package cache layout: import into it, resolve from it alone,
//! list it, and load unpacked folders.

mod common;

use std::path::Path;

use common::{cache_only_config, id, shared_tarball, CORE, UKCORE};
use conform_packages::{
    import, list_available, resolve, DefinitionSet, Location, Origin, PackageSpec,
};

fn import_core_and_ukcore(cache: &Path) {
    let cfg = cache_only_config(cache);
    assert_eq!(import(&cfg, &shared_tarball(CORE)).unwrap(), id(CORE));
    assert_eq!(import(&cfg, &shared_tarball(UKCORE)).unwrap(), id(UKCORE));
}

#[test]
fn import_then_resolve_from_cache_alone() {
    let cache = tempfile::tempdir().unwrap();
    import_core_and_ukcore(cache.path());
    let core_dir = cache.path().join("hl7.fhir.r4.core#4.0.1").join("package");
    assert!(core_dir.join("package.json").is_file());
    assert!(core_dir.join("StructureDefinition-Patient.json").is_file());
    // No temporary folders are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".conform-unpack")
        })
        .collect();
    assert!(leftovers.is_empty());

    let cfg = cache_only_config(cache.path());
    let pkgs = resolve(&cfg, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap();
    assert_eq!(pkgs.len(), 2);
    assert_eq!(pkgs[0].id, id(CORE));
    assert_eq!(pkgs[0].location, Location::Folder(core_dir));
    let again = resolve(&cfg, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap();
    assert_eq!(pkgs, again, "folder fingerprints are stable");

    let from_cache = DefinitionSet::load(&pkgs).unwrap();
    assert_eq!(from_cache.by_type("StructureDefinition").count(), 649 + 78);
    assert_eq!(from_cache.examples(&id(UKCORE)).len(), 146);

    // The same folder named as a spec; it loads like the tarball.
    let folder = cache.path().join("fhir.r4.ukcore.stu2#2.0.2");
    let spec = PackageSpec::parse(folder.to_str().unwrap()).unwrap();
    assert_eq!(spec, PackageSpec::Folder(folder.clone()));
    let pkgs = resolve(&cfg, &[spec]).unwrap();
    assert_eq!(pkgs[1].location, Location::Folder(folder.join("package")));
    let from_folder = DefinitionSet::load(&pkgs).unwrap();
    let src_cache = tempfile::tempdir().unwrap();
    let src = common::source_config(src_cache.path());
    let from_tgz =
        DefinitionSet::load(&resolve(&src, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap())
            .unwrap();
    let names = |s: &DefinitionSet| s.entries().map(|e| e.filename.clone()).collect::<Vec<_>>();
    assert_eq!(names(&from_folder), names(&from_tgz));
    assert_eq!(names(&from_cache), names(&from_tgz));
}

#[test]
fn import_twice_is_a_no_op() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(cache.path());
    import(&cfg, &shared_tarball(UKCORE)).unwrap();
    let marker = cache
        .path()
        .join("fhir.r4.ukcore.stu2#2.0.2")
        .join("marker");
    std::fs::write(&marker, b"kept").unwrap();
    import(&cfg, &shared_tarball(UKCORE)).unwrap();
    assert!(marker.is_file(), "existing install was replaced");
}

#[test]
fn list_shows_cache_and_sources_sorted() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(cache.path());
    import(&cfg, &shared_tarball(UKCORE)).unwrap();
    let cfg = common::source_config(cache.path());
    let all = list_available(&cfg);
    let shown: Vec<(String, bool)> = all
        .iter()
        .map(|p| (p.id.to_string(), p.origin == Origin::Cache))
        .collect();
    // The cache copy first, then every package of the source folder (the
    // shared test data, which grows as packages are added) sorted by id.
    let tarballs = std::fs::read_dir(conform_testdata::packages_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "tgz")
        })
        .count();
    assert_eq!(shown.len(), tarballs + 1, "{shown:?}");
    assert_eq!(shown[0], (UKCORE.to_string(), true));
    let from_source: Vec<&String> = shown[1..]
        .iter()
        .map(|(id, cached)| {
            assert!(!cached, "{id} listed twice from the cache");
            id
        })
        .collect();
    assert!(from_source.is_sorted(), "{from_source:?}");
    for id in [
        UKCORE,
        CORE,
        "hl7.fhir.uv.ips#2.0.0",
        "hl7.terminology.r4#7.0.1",
    ] {
        assert!(
            from_source.iter().any(|s| *s == id),
            "{id} missing: {from_source:?}"
        );
    }
}

#[test]
fn folder_fingerprint_follows_content() {
    let cache = tempfile::tempdir().unwrap();
    // UK Core from the cache (R4 core still comes from the source folder).
    let cfg = common::source_config(cache.path());
    import(&cfg, &shared_tarball(UKCORE)).unwrap();
    let spec = PackageSpec::parse(UKCORE).unwrap();
    let before = resolve(&cfg, std::slice::from_ref(&spec)).unwrap();
    assert!(matches!(&before[1].location, Location::Folder(_)));
    let file = cache
        .path()
        .join("fhir.r4.ukcore.stu2#2.0.2/package/UKCore-Patient.json");
    let mut text = std::fs::read(&file).unwrap();
    text.extend_from_slice(b"\n");
    std::fs::write(&file, text).unwrap();
    let after = resolve(&cfg, &[spec]).unwrap();
    assert_ne!(before[1].fingerprint, after[1].fingerprint);
    assert_eq!(before[0].fingerprint, after[0].fingerprint);
}
