//! The exit codes of docs/exit-codes.md, command by command: 0 pass, 1
//! findings, 2 usage or configuration, 3 infrastructure.

mod common;

use common::{run, stderr};
use std::process::Command;

fn code(args: &[&str]) -> Option<i32> {
    let out = run(args);
    out.status.code()
}

#[test]
fn usage_errors_exit_2_for_every_command() {
    for args in [
        &["validate", "--no-such-option", "fixtures"][..],
        &["validate", "no/such/path.json"],
        &["validate", "fixtures/valid", "--format", "yaml"],
        &["validate", "fixtures/valid", "--pack", "no-such-pack"],
        &[
            "validate",
            "fixtures/valid",
            "--baseline",
            "no/such/baseline.json",
        ],
        &["baseline", "write", "no/such/path.json", "-o", "/dev/null"],
        &["baseline"],
        &["package", "install", "not a package spec"],
        &["rules", "list", "--pack", "no-such-pack"],
        &["profiles", "list", "--pack", "no-such-pack"],
        &["snapshot"],
        &[
            "fhirpath",
            "Patient.(",
            "fixtures/valid/patient-nhs-number.json",
        ],
        &["completions", "tcsh"],
        &["man", "--bogus"],
        &["probe", "--bogus"],
        &[
            "probe",
            "--regions",
            "no/such/regions.yaml",
            "--region",
            "x",
        ],
        &["no-such-command"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_broken_config_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conform.toml");
    std::fs::write(&config, "[packages]\nno_such_key = 1\n").unwrap();
    let out = run(&[
        "--config",
        config.to_str().unwrap(),
        "validate",
        "fixtures/valid",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn findings_exit_1() {
    assert_eq!(code(&["validate", "fixtures/invalid"]), Some(1));
    assert_eq!(
        code(&[
            "validate",
            "--format",
            "sarif",
            "fixtures/invalid/patient-truncated.json"
        ]),
        Some(1),
        "an unreadable resource is a finding"
    );
    assert_eq!(
        code(&[
            "validate",
            "--pack",
            "uk-core",
            "fixtures/invalid/uk-core/patient-nhs-number-bad-check-digit.json"
        ]),
        Some(1)
    );
}

#[test]
fn clean_runs_exit_0() {
    for args in [
        &["validate", "fixtures/valid"][..],
        &["validate", "fixtures/valid", "--format", "junit"],
        &["validate", "fixtures/valid", "--format", "sarif"],
        &["baseline", "write", "fixtures/invalid", "-o", "/dev/null"],
        &["package", "list"],
        &["rules", "list", "--pack", "uk-core"],
        &["profiles", "list", "--pack", "uk-core"],
        &[
            "fhirpath",
            "Patient.name.given",
            "fixtures/valid/patient-nhs-number.json",
        ],
        &["completions", "bash"],
        &["man"],
        &["--help"],
        &["--version"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn an_unreachable_endpoint_exits_3() {
    // A closed port on this machine: the connection is refused at once.
    let out = run(&["probe", "http://127.0.0.1:1/fhir", "--timeout", "5s"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("endpoint unreachable"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreachable_registry_exits_3() {
    // A closed port on this machine: the connection is refused at once.
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(cache.path())
        .env("FHIR_PACKAGE_CACHE", cache.path().join("packages"))
        .env("CONFORM_CACHE_DIR", cache.path().join("plans"))
        .env_remove("CONFORM_PACKAGE_SOURCE")
        .args([
            "package",
            "install",
            "example.missing#1.0.0",
            "--registry",
            "http://127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot reach the package registry"));
}
