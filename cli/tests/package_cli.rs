//! `conform package list|import|install` as a user runs them.

use std::process::{Command, Output};

fn conform(cache: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(std::env::temp_dir())
        .env("FHIR_PACKAGE_CACHE", cache)
        .env_remove("CONFORM_PACKAGE_SOURCE")
        .args(args)
        .output()
        .expect("conform runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn list_shows_package_sources() {
    let cache = tempfile::tempdir().unwrap();
    let source = conform_testdata::packages_dir();
    let out = conform(
        cache.path(),
        &[
            "package",
            "list",
            "--package-source",
            source.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listing = text(&out);
    for id in [
        "hl7.fhir.r4.core#4.0.1",
        "fhir.r4.ukcore.stu2#2.0.2",
        "hl7.fhir.uv.ips#2.0.0",
        "hl7.terminology.r4#7.0.1",
    ] {
        assert!(listing.contains(id), "{id} missing from:\n{listing}");
    }
}

#[test]
fn import_then_validate_offline_from_the_cache_alone() {
    let cache = tempfile::tempdir().unwrap();
    let tgz = conform_testdata::packages_dir().join("hl7.fhir.r4.core-4.0.1.tgz");
    let out = conform(cache.path(), &["package", "import", tgz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Imported hl7.fhir.r4.core#4.0.1"));
    assert!(cache
        .path()
        .join("hl7.fhir.r4.core#4.0.1/package/package.json")
        .is_file());

    let listing = conform(cache.path(), &["package", "list"]);
    assert!(text(&listing).contains("hl7.fhir.r4.core#4.0.1"));

    let fixture = conform_testdata::workspace_root().join("fixtures/valid/patient-nhs-number.json");
    let plans = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(std::env::temp_dir())
        .env("FHIR_PACKAGE_CACHE", cache.path())
        .env("CONFORM_CACHE_DIR", plans.path())
        .env_remove("CONFORM_PACKAGE_SOURCE")
        .args(["--offline", "validate", fixture.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn import_of_a_broken_file_is_a_clear_error() {
    let cache = tempfile::tempdir().unwrap();
    let bad = cache.path().join("not-a-package.tgz");
    std::fs::write(&bad, b"this is not gzip").unwrap();
    let out = conform(cache.path(), &["package", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("not-a-package.tgz"), "{}", text(&out));
}

#[test]
fn missing_package_offline_says_how_to_get_it() {
    let cache = tempfile::tempdir().unwrap();
    let out = conform(
        cache.path(),
        &[
            "--offline",
            "validate",
            "--ig",
            "fhir.r4.ukcore.stu2#2.0.2",
            "x.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(
        msg.contains("fhir.r4.ukcore.stu2#2.0.2") || msg.contains("hl7.fhir.r4.core#4.0.1"),
        "{msg}"
    );
    assert!(
        msg.contains("conform package install") || msg.contains("--package-source"),
        "{msg}"
    );
}

#[test]
fn unreachable_registry_is_an_infrastructure_failure() {
    let cache = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let registry = format!("http://127.0.0.1:{port}");
    let out = conform(
        cache.path(),
        &[
            "package",
            "install",
            "fhir.r4.ukcore.stu2#2.0.2",
            "--registry",
            &registry,
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}
