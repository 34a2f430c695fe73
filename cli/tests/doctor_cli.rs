//! `conform doctor`: what it finds in a set-up and what it says to fix.

mod common;

use common::{conform_in, run, stdout};
use std::process::Command;

#[test]
fn this_repository_is_set_up() {
    let out = run(&["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("ok      hl7.fhir.r4.core#4.0.1: found: hl7.fhir.r4.core#4.0.1"),
        "{text}"
    );
    assert!(text.contains("skipped regions.yaml"), "{text}");
    assert!(text.ends_with("All checks passed.\n"), "{text}");
}

#[test]
fn a_missing_package_is_a_setup_problem_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        "[packages]\nload = [\"hl7.fhir.r4.core#4.0.1\", \"uk.example.missing#9.9.9\"]\n",
    )
    .unwrap();
    let out = conform_in(dir.path(), &["doctor", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_follows_schema(&v, "conform.doctor-2.schema.json");
    assert_eq!(v["schema"], "conform.doctor/2");
    let missing = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == "uk.example.missing#9.9.9")
        .expect("a check for the missing package");
    assert_eq!(missing["status"], "fail");
    assert_eq!(missing["rule"], "doctor.packages");
    assert!(
        missing["fix"]
            .as_str()
            .unwrap()
            .contains("conform package install uk.example.missing#9.9.9"),
        "{missing}"
    );
}

/// `conform doctor --regions FILE` online (the common helper runs offline).
fn doctor_online(dir: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conform"));
    cmd.current_dir(dir)
        .env("CONFORM_CACHE_DIR", common::cache_dir())
        .env("NO_COLOR", "1")
        .env(
            "FHIR_PACKAGE_CACHE",
            common::cache_dir().join("fhir-packages"),
        )
        .env_remove("DOCTOR_TEST_UNSET_TOKEN")
        .arg("--package-source")
        .arg(conform_testdata::packages_dir())
        .args(["doctor", "--regions", "regions.yaml"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("conform runs")
}

#[test]
fn regions_secrets_and_reachability_against_a_real_server() {
    let server = conform_peers::Sekmet::builder()
        .no_seed()
        .start()
        .expect("SEKMET starts");
    let closed = conform_peers::free_port();
    let dir = tempfile::tempdir().unwrap();
    let regions = format!(
        "regions:
  - name: plain
    base_url: {base}
  - name: with-token
    base_url: {base}
    auth: {{ type: bearer, token_env: DOCTOR_TEST_TOKEN }}
  - name: unset-token
    base_url: {base}
    auth: {{ type: bearer, token_env: DOCTOR_TEST_UNSET_TOKEN }}
  - name: missing-key
    base_url: {base}
    auth: {{ type: private_key_jwt, token_url: {base}/auth/token, client_id: c, key_file: keys/none.pem, alg: RS384 }}
  - name: down
    base_url: http://127.0.0.1:{closed}/fhir
    timeout: 5s
    retries: 0
",
        base = server.local_base_url
    );
    std::fs::write(dir.path().join("regions.yaml"), regions).unwrap();
    let secret = "doctor-s3cret-value-42";
    let out = doctor_online(dir.path(), &[("DOCTOR_TEST_TOKEN", secret)]);
    let text = stdout(&out);
    // set-up problems (an unset secret, a missing key) outrank the outage
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(!text.contains(secret), "the secret leaked: {text}");
    let section = |name: &str| -> String {
        let start = text
            .find(&format!("region {name}\n"))
            .unwrap_or_else(|| panic!("no section for {name}: {text}"));
        let rest = &text[start + 1..];
        let end = rest.find("\nregion ").map_or(rest.len(), |e| e + 1);
        rest[..end].to_string()
    };
    assert!(
        section("plain").contains("ok      ")
            && section("plain").contains("a FHIR 4.0.1 CapabilityStatement"),
        "{text}"
    );
    assert!(
        section("with-token").contains("ok      secret DOCTOR_TEST_TOKEN: bearer token is set"),
        "{text}"
    );
    let unset = section("unset-token");
    assert!(
        unset.contains("PROBLEM secret DOCTOR_TEST_UNSET_TOKEN")
            && unset.contains("fix: export DOCTOR_TEST_UNSET_TOKEN")
            && unset.contains("skipped"),
        "{unset}"
    );
    assert!(
        section("missing-key").contains("PROBLEM keys/none.pem"),
        "{text}"
    );
    let down = section("down");
    assert!(
        down.contains("PROBLEM")
            && down.contains("unreachable")
            && down.contains("fix: check base_url"),
        "{down}"
    );

    // only the outage left: infrastructure, exit 3
    let only_down = format!(
        "regions:\n  - name: down\n    base_url: http://127.0.0.1:{closed}/fhir\n    timeout: 5s\n    retries: 0\n"
    );
    std::fs::write(dir.path().join("regions.yaml"), only_down).unwrap();
    let out = doctor_online(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
}

#[test]
fn junit_has_a_case_per_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        "[packages]\nload = [\"hl7.fhir.r4.core#4.0.1\", \"uk.example.missing#9.9.9\"]\n",
    )
    .unwrap();
    let out = conform_in(dir.path(), &["doctor", "-f", "junit"]);
    assert_eq!(out.status.code(), Some(2));
    let xml = stdout(&out);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    // two packages, the cache, the (absent) regions file, the (absent)
    // terminology server
    assert_eq!(cases.len(), 5, "{xml}");
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(failed, ["uk.example.missing#9.9.9"]);
}

#[test]
fn checks_the_terminology_server_its_token_and_snomed_edition() {
    let server = conform_peers::TxServer::start(
        conform_peers::TxServerOptions::default().client("doctor", "doctor-secret-77"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        format!(
            "[terminology]\nurl = \"{}\"\nsnomed-edition = \"http://snomed.info/sct/83821000000107\"\n\
             auth = {{ type = \"client_credentials\", token_url = \"{}\", client_id = \"doctor\", secret_env = \"DOCTOR_TX_SECRET\", method = \"post\" }}\n",
            server.base_url(),
            server.token_url()
        ),
    )
    .unwrap();
    let run = |secret: Option<&str>| {
        // Not --offline: that keeps doctor from contacting any endpoint.
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_conform"));
        cmd.current_dir(dir.path())
            .env("CONFORM_CACHE_DIR", common::cache_dir())
            .env(
                "FHIR_PACKAGE_CACHE",
                common::cache_dir().join("fhir-packages"),
            )
            .arg("--package-source")
            .arg(conform_testdata::packages_dir())
            .args(["doctor", "-f", "json"]);
        match secret {
            Some(s) => cmd.env("DOCTOR_TX_SECRET", s),
            None => cmd.env_remove("DOCTOR_TX_SECRET"),
        };
        let out = cmd.output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let tx: Vec<serde_json::Value> = doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["rule"] == "doctor.terminology")
            .cloned()
            .collect();
        (out, tx)
    };
    let (out, tx) = run(Some("doctor-secret-77"));
    assert_eq!(out.status.code(), Some(0), "{tx:?}");
    let text = serde_json::to_string(&tx).unwrap();
    assert!(text.contains("FHIR 4.0.1 terminology server"), "{text}");
    assert!(
        text.contains("SNOMED CT http://snomed.info/sct/83821000000107"),
        "{text}"
    );
    assert!(!text.contains("doctor-secret-77") && !stdout(&out).contains("doctor-secret-77"));
    assert!(server.tokens_issued() >= 1);

    // --offline: the server is not contacted at all.
    let before = server.requests();
    let out = common::command_in(dir.path(), &["doctor", "-f", "json"])
        .env("DOCTOR_TX_SECRET", "doctor-secret-77")
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("not contacted (offline)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(server.requests(), before);

    // Without the secret: a set-up problem naming the variable, not contacted.
    let (out, tx) = run(None);
    assert_eq!(out.status.code(), Some(2));
    let text = serde_json::to_string(&tx).unwrap();
    assert!(text.contains("DOCTOR_TX_SECRET"), "{text}");
}
