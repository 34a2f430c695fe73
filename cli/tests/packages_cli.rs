//! Package version substitution and missing dependencies as a user meets
//! them (docs/packages.md): IPS 2.0.0 validated offline from the shared
//! packages folder, which holds the extensions pack as 5.3.0-ballot-tc1
//! (IPS asks for 5.2.0), terminology as 7.0.1 (IPS asks for 6.5.0) and no
//! hl7.fhir.uv.ipa at all.

mod common;

use common::{assert_follows_schema, conform_in, run, stderr, stdout};
use std::io::Read;
use std::path::{Path, PathBuf};

const IPS: &str = "hl7.fhir.uv.ips#2.0.0";
const IPS_BUNDLE: &str = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips";
const SUBSTITUTE_EXT: &str = "hl7.fhir.uv.extensions.r4#5.2.0=5.3.0-ballot-tc1";
const SUBSTITUTE_THO: &str = "hl7.terminology.r4=7.0.1";

/// An IPS example Bundle, copied out of the IPS package into `dir`.
fn ips_example(dir: &Path) -> PathBuf {
    let tgz = conform_testdata::packages_dir().join("hl7.fhir.uv.ips-2.0.0.tgz");
    let file = std::fs::File::open(tgz).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let wanted = "package/example/Bundle-bundle-minimal.json";
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some(wanted) {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            let out = dir.join("ips-bundle-minimal.json");
            std::fs::write(&out, text).unwrap();
            return out;
        }
    }
    panic!("{wanted} not in the IPS package");
}

#[test]
fn ips_validates_offline_with_substitutions_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = ips_example(dir.path());
    let out = run(&[
        "--substitute",
        SUBSTITUTE_EXT,
        "--substitute",
        SUBSTITUTE_THO,
        "--allow-missing-deps",
        "validate",
        "--ig",
        IPS,
        "--profile",
        IPS_BUNDLE,
        "-f",
        "json",
        bundle.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{err}", stdout(&out)));
    assert_eq!(
        out.status.code(),
        Some(0),
        "IPS's own example passes: {doc:#}\n{err}"
    );
    assert_follows_schema(&doc, "conform.validate-1.schema.json");

    // The packages loaded, and what stood in for what, and for whom.
    let packages: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(packages.contains(&"hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1"));
    assert!(packages.contains(&"hl7.terminology.r4#7.0.1"));
    assert_eq!(packages.last(), Some(&IPS));
    let subs = doc["substitutions"].as_array().unwrap();
    let ext = subs
        .iter()
        .find(|s| s["requested"] == "hl7.fhir.uv.extensions.r4#5.2.0")
        .unwrap_or_else(|| panic!("{subs:?}"));
    assert_eq!(ext["used"], "hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1");
    assert!(ext["required_by"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(IPS)));
    assert!(subs
        .iter()
        .any(|s| s["requested"] == "hl7.terminology.r4#6.5.0"
            && s["used"] == "hl7.terminology.r4#7.0.1"));
    assert_eq!(
        doc["missing_packages"],
        serde_json::json!([{"package": "hl7.fhir.uv.ipa#1.1.0", "required_by": [IPS]}])
    );

    // And on standard error, whatever the format.
    assert!(
        err.contains("conform: note: loaded hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1 in place of hl7.fhir.uv.extensions.r4#5.2.0 (required by "),
        "{err}"
    );
    assert!(
        err.contains("conform: warning: dependency hl7.fhir.uv.ipa#1.1.0 (required by hl7.fhir.uv.ips#2.0.0) was not found; loaded without it"),
        "{err}"
    );
}

#[test]
fn a_missing_dependency_is_an_error_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = ips_example(dir.path());
    // Outside the repository, whose conform.toml allows missing dependencies.
    let out = conform_in(
        dir.path(),
        &[
            "--substitute",
            SUBSTITUTE_EXT,
            "--substitute",
            SUBSTITUTE_THO,
            "validate",
            "--ig",
            IPS,
            bundle.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "conform: package hl7.fhir.uv.ipa#1.1.0 not found (required by hl7.fhir.uv.ips#2.0.0); searched "
        ),
        "{err}"
    );
    assert!(
        err.contains("offline, so the registry was not asked"),
        "{err}"
    );
    assert!(err.contains("`--allow-missing-deps`"), "{err}");
    assert!(
        err.contains("`--substitute hl7.fhir.uv.ipa#1.1.0=VERSION`"),
        "{err}"
    );
}

#[test]
fn a_substitute_found_nowhere_or_malformed_is_a_usage_error_naming_it() {
    let out = run(&[
        "--substitute",
        "hl7.fhir.uv.extensions.r4#5.2.0=9.9.9",
        "--allow-missing-deps",
        "validate",
        "--ig",
        IPS,
        "fixtures/valid",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("conform: substitution hl7.fhir.uv.extensions.r4#5.2.0=9.9.9: package hl7.fhir.uv.extensions.r4#9.9.9 not found"),
        "{err}"
    );

    let out = run(&[
        "--substitute",
        "hl7.fhir.uv.extensions.r4#5.2.0",
        "validate",
        "fixtures/valid",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("conform: --substitute: \"hl7.fhir.uv.extensions.r4#5.2.0\" is not a package: a substitution is id#version=other-version"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn conform_toml_substitutes_and_allows_missing_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = ips_example(dir.path());
    std::fs::write(
        dir.path().join("conform.toml"),
        r#"[packages]
allow-missing-deps = true

[packages.substitute]
"hl7.fhir.uv.extensions.r4" = "5.3.0-ballot-tc1"
"hl7.terminology.r4#6.5.0" = "7.0.1"
"#,
    )
    .unwrap();
    let out = conform_in(
        dir.path(),
        &[
            "validate",
            "--ig",
            IPS,
            "-f",
            "json",
            bundle.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["substitutions"].as_array().unwrap().len(), 2, "{doc:#}");
    assert_eq!(
        doc["missing_packages"][0]["package"],
        "hl7.fhir.uv.ipa#1.1.0"
    );

    // Without any of it, nothing extra is reported.
    let out = run(&["validate", "-f", "json", "fixtures/valid"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(doc.get("substitutions").is_none(), "{doc:#}");
    assert!(doc.get("missing_packages").is_none(), "{doc:#}");
    assert!(!stderr(&out).contains("substitution"), "{}", stderr(&out));
}
