//! Bad input gives errors that name the package and file, never panics.

mod common;

use common::{build_raw_tgz, build_tgz, cache_only_config, manifest, source_config};
use conform_packages::{import, resolve, DefinitionSet, PackageError, PackageSpec};

#[test]
fn missing_package_says_what_was_searched_and_how_to_get_it() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = source_config(cache.path());
    let err = resolve(
        &cfg,
        &[PackageSpec::parse("no.such.package#1.2.3").unwrap()],
    )
    .unwrap_err();
    assert!(matches!(err, PackageError::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    for needle in [
        "no.such.package#1.2.3",
        &cache.path().display().to_string(),
        &conform_testdata::packages_dir().display().to_string(),
        "no.such.package-1.2.3.tgz",
        "conform package install no.such.package#1.2.3",
        "--package-source DIR",
        "conform package import FILE.tgz",
        "offline",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
}

#[test]
fn corrupt_tarball_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("random.tgz");
    // Deterministic junk (not gzip).
    let junk: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&tgz, junk).unwrap();
    let cfg = cache_only_config(dir.path());
    let err = resolve(&cfg, &[PackageSpec::parse(tgz.to_str().unwrap()).unwrap()]).unwrap_err();
    assert!(matches!(err, PackageError::BadArchive { .. }), "{err:?}");
    assert!(err.to_string().contains("random.tgz"), "{err}");
    let err = import(&cfg, &tgz).unwrap_err();
    assert!(err.to_string().contains("random.tgz"), "{err}");
}

#[test]
fn truncated_tarball_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(common::shared_tarball(common::UKCORE)).unwrap();
    let tgz = dir.path().join("cut.tgz");
    std::fs::write(&tgz, &full[..full.len() / 2]).unwrap();
    let cfg = cache_only_config(dir.path());
    let err = import(&cfg, &tgz).unwrap_err();
    assert!(matches!(err, PackageError::BadArchive { .. }), "{err:?}");
    assert!(!dir.path().join("fhir.r4.ukcore.stu2#2.0.2").exists());
}

#[test]
fn bad_package_json_names_package_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("badmanifest.tgz");
    build_tgz(
        &tgz,
        &[("package/package.json", b"{\"name\": \"x.y\", \"version\": ")],
    );
    let cfg = cache_only_config(dir.path());
    let err = resolve(&cfg, &[PackageSpec::parse(tgz.to_str().unwrap()).unwrap()]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("badmanifest.tgz"), "{text}");
    assert!(text.contains("package/package.json"), "{text}");
}

#[test]
fn tarball_without_package_json_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("nomanifest.tgz");
    build_tgz(&tgz, &[("package/Patient.json", b"{}")]);
    let cfg = cache_only_config(dir.path());
    let err = import(&cfg, &tgz).unwrap_err();
    assert!(err.to_string().contains("package/package.json"), "{err}");
}

#[test]
fn bad_resource_json_names_package_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(dir.path());
    let good = br#"{"resourceType":"ValueSet","url":"http://example.org/vs","status":"draft"}"#;
    let bad = br#"{"resourceType":"StructureDefinition","url": "http://example.org/sd",,}"#;
    let index = br#"{"index-version":1,"files":[
        {"filename":"ValueSet-vs.json","resourceType":"ValueSet","url":"http://example.org/vs"},
        {"filename":"StructureDefinition-sd.json","resourceType":"StructureDefinition","url":"http://example.org/sd"}]}"#;
    // With an index (syntax checked at load) and without (scanned).
    for (name, with_index) in [("indexed.tgz", true), ("unindexed.tgz", false)] {
        let tgz = dir.path().join(name);
        let man = manifest("example.bad", "1.0.0", &[]);
        let mut files: Vec<(&str, &[u8])> = vec![
            ("package/package.json", &man),
            ("package/ValueSet-vs.json", good),
            ("package/StructureDefinition-sd.json", bad),
        ];
        if with_index {
            files.push(("package/.index.json", index));
        }
        build_tgz(&tgz, &files);
        let pkgs = resolve(&cfg, &[PackageSpec::parse(tgz.to_str().unwrap()).unwrap()]).unwrap();
        let err = DefinitionSet::load(&pkgs).unwrap_err();
        assert!(matches!(err, PackageError::BadJson { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("example.bad#1.0.0"), "{text}");
        assert!(text.contains("StructureDefinition-sd.json"), "{text}");
    }
}

#[test]
fn bad_index_json_names_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(dir.path());
    let tgz = dir.path().join("badindex.tgz");
    let man = manifest("example.badindex", "1.0.0", &[]);
    build_tgz(
        &tgz,
        &[
            ("package/package.json", &man),
            ("package/.index.json", b"{\"files\": ["),
        ],
    );
    let pkgs = resolve(&cfg, &[PackageSpec::parse(tgz.to_str().unwrap()).unwrap()]).unwrap();
    let err = DefinitionSet::load(&pkgs).unwrap_err();
    assert!(err.to_string().contains(".index.json"), "{err}");
}

#[test]
fn parent_dir_entry_is_rejected_and_nothing_escapes() {
    let outer = tempfile::tempdir().unwrap();
    let cache = outer.path().join("cache");
    let cfg = cache_only_config(&cache);
    let man = manifest("example.evil", "1.0.0", &[]);
    for (name, entry) in [
        ("dotdot.tgz", "package/../../evil.json"),
        ("absolute.tgz", "/tmp/conform-evil.json"),
    ] {
        let tgz = outer.path().join(name);
        build_raw_tgz(
            &tgz,
            &[
                ("package/package.json", tar::EntryType::Regular, &man),
                (entry, tar::EntryType::Regular, b"{}"),
            ],
        );
        let err = import(&cfg, &tgz).unwrap_err();
        assert!(matches!(err, PackageError::BadArchive { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(entry), "{text}");
        assert!(text.contains(name), "{text}");
        // Resolve stops at package.json (it comes first here); loading
        // reads every entry and hits the same check.
        let pkgs = resolve(&cfg, &[PackageSpec::Tarball(tgz)]).unwrap();
        let err = DefinitionSet::load(&pkgs).unwrap_err();
        assert!(err.to_string().contains(entry), "{err}");
    }
    assert!(!outer.path().join("evil.json").exists());
    assert!(!cache.join("example.evil#1.0.0").exists());
}

#[test]
fn symlink_entry_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(&dir.path().join("cache"));
    let man = manifest("example.link", "1.0.0", &[]);
    let tgz = dir.path().join("link.tgz");
    build_raw_tgz(
        &tgz,
        &[
            ("package/link.json", tar::EntryType::Symlink, b""),
            ("package/package.json", tar::EntryType::Regular, &man),
        ],
    );
    let err = import(&cfg, &tgz).unwrap_err();
    assert!(err.to_string().contains("package/link.json"), "{err}");
    assert!(!dir.path().join("cache").join("example.link#1.0.0").exists());
}

#[test]
fn specs_that_are_neither_paths_nor_ids() {
    assert!(matches!(
        PackageSpec::parse("not a package!"),
        Err(PackageError::InvalidSpec { .. })
    ));
    assert!(matches!(
        PackageSpec::parse("./missing/file.json"),
        Err(PackageError::InvalidSpec { .. })
    ));
}

/// A loose FHIR XML file is read with the converter the caller gives (it
/// needs the core's definitions); without one, or when the converter
/// refuses it, the error names the file and says why.
#[test]
fn loose_xml_is_read_by_the_callers_converter() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(dir.path());
    let file = dir.path().join("profile.xml");
    std::fs::write(&file, "\u{feff}  <ValueSet xmlns=\"http://hl7.org/fhir\"/>").unwrap();
    let pkgs = resolve(&cfg, &[PackageSpec::Loose(file)]).unwrap();

    let err = DefinitionSet::load(&pkgs).unwrap_err();
    assert!(matches!(err, PackageError::BadXml { .. }), "{err:?}");
    assert!(err.to_string().contains("profile.xml"), "{err}");

    let refuse = |_: &[u8]| Err::<Vec<u8>, String>("bad tag (line 1, column 3)".to_string());
    let err = DefinitionSet::load_with(&pkgs, Some(&refuse)).unwrap_err();
    assert!(
        err.to_string().contains("bad tag (line 1, column 3)"),
        "{err}"
    );

    let convert = |xml: &[u8]| {
        assert!(String::from_utf8_lossy(xml).contains("<ValueSet"));
        Ok(
            br#"{"resourceType": "ValueSet", "url": "http://example.org/vs", "status": "draft"}"#
                .to_vec(),
        )
    };
    let set = DefinitionSet::load_with(&pkgs, Some(&convert)).unwrap();
    assert!(set.get("http://example.org/vs").is_some());
}

/// In a folder of loose resources, XML outside FHIR's namespace (a build
/// file) is skipped, as JSON without a resourceType is; FHIR XML is read.
#[test]
fn loose_folders_skip_xml_that_is_not_fhir() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cache_only_config(dir.path());
    let folder = dir.path().join("igsrc");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("pom.xml"),
        "<project><modelVersion>4.0.0</modelVersion></project>",
    )
    .unwrap();
    std::fs::write(
        folder.join("vs.xml"),
        "<ValueSet xmlns=\"http://hl7.org/fhir\"/>",
    )
    .unwrap();
    let pkgs = resolve(&cfg, &[PackageSpec::Loose(folder)]).unwrap();
    let read = std::cell::RefCell::new(Vec::new());
    let convert = |xml: &[u8]| {
        read.borrow_mut()
            .push(String::from_utf8_lossy(xml).into_owned());
        Ok(
            br#"{"resourceType": "ValueSet", "url": "http://example.org/vs", "status": "draft"}"#
                .to_vec(),
        )
    };
    let set = DefinitionSet::load_with(&pkgs, Some(&convert)).unwrap();
    assert!(set.get("http://example.org/vs").is_some());
    assert_eq!(
        read.borrow().len(),
        1,
        "only the FHIR file is read: {:?}",
        read.borrow()
    );
}
