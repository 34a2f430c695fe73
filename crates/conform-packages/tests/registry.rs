//! Installing from a registry served on 127.0.0.1 by the test itself.

mod common;

use std::net::TcpListener;
use std::path::Path;

use common::registry::{Faults, TestRegistry};
use common::{id, CORE, UKCORE};
use conform_packages::{install, resolve, Location, PackageError, PackageSpec, SourceConfig};

fn online(cache: &Path, registry: &str) -> SourceConfig {
    SourceConfig {
        cache_dir: cache.to_path_buf(),
        source_dirs: Vec::new(),
        registry: registry.to_string(),
        offline: false,
        substitutions: Vec::new(),
        allow_missing_deps: false,
    }
}

fn cache_folders(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn install_ukcore_installs_core_too() {
    let registry = TestRegistry::start(Faults::default(), &[]);
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &registry.url);
    let dir = install(&cfg, &id(UKCORE)).unwrap();
    assert_eq!(dir, cache.path().join("fhir.r4.ukcore.stu2#2.0.2"));
    assert!(dir.join("package/package.json").is_file());
    assert!(cache
        .path()
        .join("hl7.fhir.r4.core#4.0.1/package/StructureDefinition-Patient.json")
        .is_file());
    assert_eq!(
        cache_folders(cache.path()),
        ["fhir.r4.ukcore.stu2#2.0.2", "hl7.fhir.r4.core#4.0.1"]
    );

    // Installed already: nothing is downloaded again.
    let before = registry.connections();
    assert_eq!(install(&cfg, &id(UKCORE)).unwrap(), dir);
    assert_eq!(registry.connections(), before);

    // And the cache now resolves without the network.
    let offline = SourceConfig {
        offline: true,
        ..cfg
    };
    let pkgs = resolve(&offline, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap();
    assert_eq!(pkgs[0].id, id(CORE));
}

#[test]
fn resolve_downloads_what_is_missing() {
    let registry = TestRegistry::start(Faults::default(), &[]);
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &registry.url);
    // No version: the registry's latest.
    let pkgs = resolve(&cfg, &[PackageSpec::parse("fhir.r4.ukcore.stu2").unwrap()]).unwrap();
    let ids: Vec<String> = pkgs.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, [CORE, UKCORE]);
    assert!(matches!(&pkgs[1].location, Location::Folder(p) if p.starts_with(cache.path())));
}

#[test]
fn wrong_shasum_is_rejected_and_leaves_nothing() {
    let registry = TestRegistry::start(Faults { wrong_shasum: true }, &[]);
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &registry.url);
    let err = install(&cfg, &id(UKCORE)).unwrap_err();
    assert!(matches!(err, PackageError::Checksum { .. }), "{err:?}");
    assert!(err.to_string().contains(UKCORE), "{err}");
    let left: Vec<String> = cache_folders(cache.path())
        .into_iter()
        .filter(|n| !n.starts_with(".conform") || n.starts_with(".conform-unpack"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn tarball_with_another_name_is_rejected_and_leaves_nothing() {
    // The registry serves R4 core's tarball under another name.
    let registry = TestRegistry::start(
        Faults::default(),
        &[("impostor.pkg", "4.0.1", common::shared_tarball(CORE))],
    );
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &registry.url);
    let err = install(&cfg, &id("impostor.pkg#4.0.1")).unwrap_err();
    assert!(matches!(err, PackageError::WrongPackage { .. }), "{err:?}");
    assert!(
        cache_folders(cache.path()).is_empty(),
        "{:?}",
        cache_folders(cache.path())
    );
}

#[test]
fn unknown_package_or_version_is_not_found() {
    let registry = TestRegistry::start(Faults::default(), &[]);
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &registry.url);
    let err = install(&cfg, &id("no.such.pkg#1.0.0")).unwrap_err();
    assert!(matches!(err, PackageError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("no such package"), "{err}");
    let err = install(&cfg, &id("hl7.fhir.r4.core#9.9.9")).unwrap_err();
    assert!(matches!(err, PackageError::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("4.0.1"),
        "lists known versions: {err}"
    );
}

#[test]
fn offline_never_connects() {
    let registry = TestRegistry::start(Faults::default(), &[]);
    let cache = tempfile::tempdir().unwrap();
    let cfg = SourceConfig {
        offline: true,
        ..online(cache.path(), &registry.url)
    };
    let err = resolve(&cfg, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap_err();
    assert!(
        matches!(err, PackageError::NotFound { offline: true, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("offline"), "{err}");
    assert!(install(&cfg, &id(UKCORE)).is_err());
    assert_eq!(registry.connections(), 0);
}

#[test]
fn registry_down_is_a_network_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &format!("http://127.0.0.1:{port}"));
    let err = install(&cfg, &id(UKCORE)).unwrap_err();
    assert!(matches!(err, PackageError::Network { .. }), "{err:?}");
    assert!(err.to_string().contains(UKCORE), "{err}");
    let err = resolve(&cfg, &[PackageSpec::parse(UKCORE).unwrap()]).unwrap_err();
    assert!(matches!(err, PackageError::Network { .. }), "{err:?}");
}

#[test]
fn registry_metadata_over_the_size_limit_is_refused() {
    use std::io::{Read, Write};
    // One more byte than the 64 MiB limit on a package's metadata
    // (docs/limits.md): read up to the limit and refused, not kept.
    const LIMIT: usize = 64 << 20;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            LIMIT + 1
        );
        let chunk = vec![b' '; 1 << 20];
        let mut left = LIMIT + 1;
        while left > 0 {
            let n = left.min(chunk.len());
            // the client stops reading past the limit: a broken pipe is fine
            if stream.write_all(&chunk[..n]).is_err() {
                break;
            }
            left -= n;
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let cfg = online(cache.path(), &format!("http://127.0.0.1:{port}"));
    let err = install(&cfg, &id(UKCORE)).unwrap_err();
    assert!(matches!(err, PackageError::Registry { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("larger than {LIMIT} bytes")),
        "{err}"
    );
    server.join().unwrap();
    assert!(cache_folders(cache.path()).is_empty());
}
