//! Helpers shared by the integration tests: configs over the shared test
//! packages, hand-built (possibly hostile) tarballs, and a tiny registry.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

pub mod registry;

use std::io::Write;
use std::path::{Path, PathBuf};

use conform_packages::{PackageId, SourceConfig};
use flate2::write::GzEncoder;
use flate2::Compression;

pub const CORE: &str = "hl7.fhir.r4.core#4.0.1";
pub const UKCORE: &str = "fhir.r4.ukcore.stu2#2.0.2";

pub fn id(text: &str) -> PackageId {
    text.parse().expect("valid package id")
}

/// Offline config: an empty temporary cache plus the shared tarballs as source.
pub fn source_config(cache: &Path) -> SourceConfig {
    SourceConfig {
        cache_dir: cache.to_path_buf(),
        source_dirs: vec![conform_testdata::packages_dir()],
        registry: "http://127.0.0.1:9".to_string(),
        offline: true,
        substitutions: Vec::new(),
        allow_missing_deps: false,
    }
}

/// Offline config with only a cache: no sources, no registry.
pub fn cache_only_config(cache: &Path) -> SourceConfig {
    SourceConfig {
        source_dirs: Vec::new(),
        ..source_config(cache)
    }
}

/// The shared tarball of a package id (`id#version`).
pub fn shared_tarball(id_text: &str) -> PathBuf {
    conform_testdata::packages_dir().join(id(id_text).tarball_name())
}

/// Builds a .tgz from (path, bytes) pairs with well-formed headers.
pub fn build_tgz(path: &Path, files: &[(&str, &[u8])]) {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, *data)
            .expect("append entry");
    }
    let gz = builder.into_inner().expect("finish tar");
    let bytes = gz.finish().expect("finish gzip");
    std::fs::write(path, bytes).expect("write tgz");
}

/// Builds a .tgz whose entry names are written raw into the header, so
/// names the tar crate would refuse (`../x`, `/etc/x`) can be made.
pub fn build_raw_tgz(path: &Path, files: &[(&str, tar::EntryType, &[u8])]) {
    let mut tar_bytes = Vec::new();
    for (name, kind, data) in files {
        let mut header = tar::Header::new_old();
        {
            let old = header.as_old_mut();
            old.name[..name.len()].copy_from_slice(name.as_bytes());
            if *kind == tar::EntryType::Symlink {
                old.linkname[..6].copy_from_slice(b"../../");
            }
        }
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(*kind);
        header.set_cksum();
        tar_bytes.extend_from_slice(header.as_bytes());
        tar_bytes.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        tar_bytes.extend(std::iter::repeat_n(0u8, pad));
    }
    tar_bytes.extend(std::iter::repeat_n(0u8, 1024));
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&tar_bytes).expect("gzip");
    std::fs::write(path, gz.finish().expect("finish gzip")).expect("write tgz");
}

/// A minimal valid package.json.
pub fn manifest(name: &str, version: &str, deps: &[(&str, &str)]) -> Vec<u8> {
    let deps: serde_json::Map<String, serde_json::Value> = deps
        .iter()
        .map(|(n, v)| (n.to_string(), serde_json::Value::from(*v)))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "name": name,
        "version": version,
        "fhirVersions": ["4.0.1"],
        "dependencies": deps,
    }))
    .expect("serialise manifest")
}

/// A small StructureDefinition with the given url and name.
pub fn structure_definition(id: &str, url: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "resourceType": "StructureDefinition",
        "id": id,
        "url": url,
        "version": "0.1.0",
        "name": name,
        "status": "draft",
        "kind": "resource",
        "abstract": false,
        "type": "Patient",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "derivation": "constraint"
    })
}
