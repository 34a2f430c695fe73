//! `conform probe` against real peers: plain SEKMET (read-only and with
//! writes), SMART SEKMET (RS384 and ES384 signed JWTs, from a regions
//! file), RS512 against a JWKS-checking token endpoint, mutual TLS
//! through nginx, hostile servers; secrets never reach any output format.

mod common;

use conform_peers::{
    Fault, FaultServer, JwksTokenServer, KeyPair, MtlsFront, Sekmet, Server, SmartClient, TestPki,
};
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn probe(args: &[&str]) -> Output {
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    common::run(&all)
}

fn probe_json(args: &[&str]) -> (Value, Output) {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let out = probe(&all);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}): {}\n{}",
            common::stdout(&out),
            common::stderr(&out)
        )
    });
    common::assert_follows_schema(&json, "conform.probe-2.schema.json");
    (json, out)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

fn write_regions(dir: &Path, yaml: &str) -> String {
    let p = dir.join("regions.yaml");
    std::fs::write(&p, yaml).unwrap();
    p.display().to_string()
}

/// Ports, ids, latencies and dates change from run to run.
fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    s.add_filter(r"p50 +[\d.]+  p95 +[\d.]+", "p50 [MS]  p95 [MS]");
    s.add_filter(r"n=\d+ +", "n=[N] ");
    s.add_filter(r"\d+ requests", "[N] requests");
    s
}

#[test]
fn plain_sekmet_read_only_passes_every_shall_and_validates_every_body() {
    let s = Sekmet::start().expect("sekmet");
    let (r, out) = probe_json(&[&s.base_url, "--pack", "uk-core"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert_eq!(r["schema"], "conform.probe/2");
    let started = r["started"].as_str().unwrap();
    assert!(
        started.len() == 20 && started.ends_with('Z'),
        "RFC 3339 to the second: {started}"
    );
    assert_eq!(r["target"]["fhir_version"], "4.0.1");
    assert_eq!(r["summary"]["failed_shall"], 0);
    for id in [
        "metadata.capability-statement",
        "metadata.fhir-version",
        "metadata.valid",
        "Patient.search",
        "Patient.search.valid",
        "Patient.read",
        "Patient.read.valid",
        "Patient.read.etag",
        "Observation.read.valid",
        "Organization.search.identifier",
        "format.accept-json",
        "format.xml",
        "errors.unknown-id",
        "errors.unknown-id-outcome",
        "http.request-id",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", check(&r, id));
    }
    let nhs = check(&r, "Patient.search.identifier");
    assert_eq!(nhs["status"], "pass");
    assert!(
        nhs["message"].as_str().unwrap().contains("NHS number"),
        "{nhs}"
    );
    // Five Patients are seeded and _count is 2: the next link is followed.
    assert_eq!(
        status(&r, "Patient.search.paging"),
        "pass",
        "{}",
        check(&r, "Patient.search.paging")
    );
    // Plain HTTP is reported, not hidden (a SHOULD: a warning); TLS checks
    // say why they skip.
    assert_eq!(status(&r, "tls.in-use"), "warn");
    assert_eq!(
        check(&r, "tls.version")["message"],
        "plain HTTP endpoint: no TLS to inspect"
    );
    // Read-only by default: every write check is skipped with the reason.
    for c in r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"].as_str().unwrap().starts_with("write."))
    {
        assert_eq!(c["status"], "skip");
        assert!(c["message"].as_str().unwrap().contains("--allow-writes"));
    }
    // Nothing passes silently: every check has a requirement and a why.
    for c in r["checks"].as_array().unwrap() {
        assert!(["SHALL", "SHOULD", "MAY"].contains(&c["requirement"].as_str().unwrap()));
        assert!(!c["why"].as_str().unwrap().is_empty());
        assert!(!c["message"].as_str().unwrap().is_empty());
    }
    let interactions: Vec<&str> = r["latency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["interaction"].as_str().unwrap())
        .collect();
    assert!(
        interactions.contains(&"read") && interactions.contains(&"search-type"),
        "{interactions:?}"
    );
    assert!(r["summary"]["requests"].as_u64().unwrap() > 20);
    assert_eq!(r["summary"]["error_rate"], 0.0);

    let text = probe(&[
        &s.base_url,
        "--no-validate",
        "--type",
        "Patient",
        "--type",
        "Organization",
    ]);
    assert_eq!(text.status.code(), Some(0));
    filters().bind(|| insta::assert_snapshot!("probe_plain_sekmet_text", common::stdout(&text)));
}

#[test]
fn invalid_resources_served_by_sekmet_fail_validation_with_the_uk_core_pack() {
    // SEKMET stores what it is given (it does not check required bindings),
    // so a real server can serve what our validator rejects.
    let mut s = Sekmet::builder().no_seed().start().expect("sekmet");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(common::root().join(f)).unwrap()).unwrap()
    };
    s.seed(&[
        read("fixtures/invalid/patient-bad-gender-code.json"),
        read("fixtures/invalid/uk-core/patient-nhs-number-bad-check-digit.json"),
    ])
    .unwrap();
    let (r, out) = probe_json(&[&s.base_url, "--pack", "uk-core", "--type", "Patient"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(status(&r, "Patient.search"), "pass");
    assert_eq!(status(&r, "Patient.search.valid"), "fail");
    let msg = check(&r, "Patient.search.valid")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.starts_with("the searchset: "), "{msg}");
    assert_eq!(
        status(&r, "Patient.read.valid"),
        "fail",
        "{}",
        check(&r, "Patient.read.valid")
    );
    assert_eq!(status(&r, "metadata.valid"), "pass");
}

#[test]
fn plain_sekmet_with_writes_creates_updates_and_removes_its_own_data() {
    let s = Sekmet::start().expect("sekmet");
    let (r, out) = probe_json(&[
        &s.base_url,
        "--allow-writes",
        "--no-validate",
        "--type",
        "Patient",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    for id in [
        "write.create",
        "write.create.location",
        "write.conditional-create",
        "write.update",
        "write.update.stale",
        "write.transaction",
        "write.delete",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", check(&r, id));
    }
    assert!(check(&r, "write.transaction")["message"]
        .as_str()
        .unwrap()
        .contains("Observation.subject is Patient/"));
    let mut json_filters = filters();
    json_filters.add_filter(
        r#""(latency_ms|duration_ms|p50_ms|p95_ms|error_rate)": [\d.]+"#,
        r#""$1": [MS]"#,
    );
    json_filters.add_filter(r#""(count|requests)": \d+"#, r#""$1": [N]"#);
    json_filters.add_filter(r#""started": "[^"]+""#, r#""started": "[DATE]""#);
    json_filters.add_filter(r#"W/\\"\d+\\""#, r#"W/\"[V]\""#);
    json_filters.add_filter(r"version now \d+", "version now [V]");
    json_filters.bind(|| insta::assert_snapshot!("probe_sekmet_writes_json", common::stdout(&out)));
    // Nothing the probe made is left behind.
    let left: Value = reqwest_get(&format!(
        "{}/Patient?identifier=https://conform.invalid/probe-run|",
        s.base_url
    ));
    assert_eq!(left["total"], 0, "{left}");
    let seeded: Value = reqwest_get(&format!("{}/Patient?_count=50", s.base_url));
    assert_eq!(seeded["total"], 5, "the fixtures are untouched");
}

fn reqwest_get(url: &str) -> Value {
    let out = std::process::Command::new("curl")
        .args(["-s", "-H", "Accept: application/fhir+json", url])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn smart_sekmet_with_rs384_and_es384_from_a_regions_file() {
    let dir = tempfile::tempdir().unwrap();
    let rs = KeyPair::generate("RS384", dir.path()).unwrap();
    let es = KeyPair::generate("ES384", dir.path()).unwrap();
    let s = Sekmet::builder()
        .smart_client(SmartClient {
            client_id: "region-rs".into(),
            jwks: rs.jwks(),
            scopes: "system/*.read".into(),
        })
        .smart_client(SmartClient {
            client_id: "region-es".into(),
            jwks: es.jwks(),
            scopes: "system/*.read".into(),
        })
        .start()
        .expect("sekmet");
    let yaml = format!(
        "regions:\n\
         - name: smart-rs\n  base_url: {b}\n  auth: {{type: private_key_jwt, token_url: '{t}', client_id: region-rs, key_file: {rk}, alg: RS384, kid: {rkid}, scope: system/*.read}}\n\
         - name: smart-es\n  base_url: {b}\n  auth: {{type: private_key_jwt, token_url: '{t}', client_id: region-es, key_file: {ek}, alg: ES384, kid: {ekid}, scope: system/*.read}}\n",
        b = s.base_url,
        t = s.token_url(),
        rk = rs.private_pem.display(),
        rkid = rs.kid,
        ek = es.private_pem.display(),
        ekid = es.kid,
    );
    let regions = write_regions(dir.path(), &yaml);
    for (region, key) in [("smart-rs", &rs), ("smart-es", &es)] {
        let (r, out) = probe_json(&[
            "--regions",
            &regions,
            "--region",
            region,
            "--no-validate",
            "--type",
            "Patient",
        ]);
        assert_eq!(r["target"]["region"], region);
        for id in [
            "auth.token",
            "smart.configuration",
            "smart.private-key-jwt",
            "smart.signing-algorithm",
            "auth.enforced",
            "Patient.read",
            "Patient.search.identifier",
        ] {
            assert_eq!(status(&r, id), "pass", "{region} {id}: {}", check(&r, id));
        }
        assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
        let all = format!("{}{}", common::stdout(&out), common::stderr(&out));
        for line in key
            .private_pem_text()
            .lines()
            .filter(|l| !l.starts_with("-----"))
        {
            assert!(!all.contains(line), "key material in the output");
        }
    }
}

#[test]
fn rs512_against_a_jwks_checking_token_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate("RS512", dir.path()).unwrap();
    let ts = JwksTokenServer::start("nhs-rs512", key.public_jwk.clone(), "RS512", 300).unwrap();
    let s = Sekmet::start().expect("sekmet");
    let yaml = format!(
        "regions:\n- name: nhs\n  base_url: {}\n  auth: {{type: private_key_jwt, token_url: '{}', client_id: nhs-rs512, key_file: {}, alg: RS512, kid: {}}}\n",
        s.base_url, ts.token_url(), key.private_pem.display(), key.kid
    );
    let regions = write_regions(dir.path(), &yaml);
    let (r, out) = probe_json(&[
        "--regions",
        &regions,
        "--region",
        "nhs",
        "--no-validate",
        "--type",
        "Patient",
    ]);
    assert_eq!(
        status(&r, "auth.token"),
        "pass",
        "{}",
        check(&r, "auth.token")
    );
    assert_eq!(
        check(&r, "auth.token")["message"],
        "token issued (private_key_jwt RS512)"
    );
    assert_eq!(
        ts.issued.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one token, cached for the run"
    );
    assert_eq!(ts.refused.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(status(&r, "Patient.read"), "pass");
    // The plain SEKMET advertises its own token endpoint, not the one the
    // region uses, and takes anonymous requests: both are reported, as
    // warnings (SHOULDs).
    assert_eq!(status(&r, "smart.configuration"), "pass");
    assert_eq!(status(&r, "smart.token-endpoint"), "warn");
    assert_eq!(status(&r, "auth.enforced"), "warn");
    assert_eq!(r["summary"]["failed_shall"], 0, "{}", common::stdout(&out));
    assert_eq!(out.status.code(), Some(0));

    // A key the token endpoint does not know: the token is refused, and the
    // checks that need it are skipped with that reason, not failed one by one.
    let stranger = KeyPair::generate("RS512", dir.path()).unwrap();
    let yaml = format!(
        "regions:\n- name: nhs\n  base_url: {}\n  auth: {{type: private_key_jwt, token_url: '{}', client_id: nhs-rs512, key_file: {}, alg: RS512}}\n",
        s.base_url,
        ts.token_url(),
        stranger.private_pem.display()
    );
    let regions = write_regions(dir.path(), &yaml);
    let (r, out) = probe_json(&[
        "--regions",
        &regions,
        "--region",
        "nhs",
        "--no-validate",
        "--type",
        "Patient",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&r, "auth.token"), "fail");
    let msg = check(&r, "auth.token")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("answered 401: invalid_client assertion refused: InvalidSignature"),
        "{msg}"
    );
    assert_eq!(status(&r, "metadata.capability-statement"), "pass");
    assert_eq!(
        check(&r, "Patient.read")["message"],
        "no access token (see auth.token)"
    );
    assert_eq!(
        check(&r, "errors.unknown-id")["message"],
        "no access token (see auth.token)"
    );
    assert_eq!(ts.refused.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A FHIR endpoint that puts the bearer token it was sent into its
/// CapabilityStatement and errors, so only redaction keeps it out.
fn leaky_server() -> Server {
    Server::start(|req, conn| {
        let auth = req.header("authorization").unwrap_or("none").to_string();
        let cs = serde_json::json!({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01", "kind": "instance",
            "software": {"name": format!("leaky ({auth})")}, "fhirVersion": "4.0.1", "format": ["json"],
            "rest": [{"mode": "server", "resource": [{"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}]}]}]});
        let body = if req.target.contains("metadata") {
            cs.to_string()
        } else {
            serde_json::json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing", "diagnostics": auth}]}).to_string()
        };
        let status = if req.target.contains("metadata") {
            200
        } else {
            500
        };
        conform_peers::respond(
            conn,
            status,
            &[("Content-Type", "application/fhir+json")],
            body.as_bytes(),
        );
    })
}

#[test]
fn secrets_never_appear_in_any_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let leaky = leaky_server();
    let key = KeyPair::generate("RS512", dir.path()).unwrap();
    let ts = JwksTokenServer::start("leak-test", key.public_jwk.clone(), "RS512", 300).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "static-bearer-SECRET-0123456789").unwrap();
    let yaml = format!(
        "regions:\n\
         - name: bearer\n  base_url: {u}/fhir\n  auth: {{type: bearer, token_file: {tf}}}\n\
         - name: jwt\n  base_url: {u}/fhir\n  auth: {{type: private_key_jwt, token_url: '{t}', client_id: leak-test, key_file: {k}, alg: RS512}}\n",
        u = leaky.url(),
        tf = token_file.display(),
        t = ts.token_url(),
        k = key.private_pem.display()
    );
    let regions = write_regions(dir.path(), &yaml);
    let key_lines: Vec<String> = key
        .private_pem_text()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_string)
        .collect();
    for region in ["bearer", "jwt"] {
        for format in ["text", "json", "junit"] {
            let out_file = dir.path().join(format!("{region}.{format}"));
            let runs = [
                probe(&[
                    "--regions",
                    &regions,
                    "--region",
                    region,
                    "--no-validate",
                    "--format",
                    format,
                ]),
                probe(&[
                    "--regions",
                    &regions,
                    "--region",
                    region,
                    "--no-validate",
                    "--format",
                    format,
                    "-o",
                    out_file.to_str().unwrap(),
                ]),
            ];
            let mut all = String::new();
            for o in &runs {
                all.push_str(&common::stdout(o));
                all.push_str(&common::stderr(o));
            }
            all.push_str(&std::fs::read_to_string(&out_file).unwrap());
            // The server did echo a token, and we masked it.
            assert_eq!(
                all.matches("leaky (Bearer [REDACTED])").count(),
                2,
                "{region}/{format}: {all}"
            );
            assert!(!all.contains("static-bearer-SECRET"), "{region}/{format}");
            for t in ts.tokens.lock().unwrap().iter() {
                assert!(
                    !all.contains(t.as_str()),
                    "{region}/{format}: access token leaked"
                );
            }
            for l in &key_lines {
                assert!(!all.contains(l.as_str()), "{region}/{format}: key leaked");
            }
        }
    }
    assert!(
        ts.issued.load(std::sync::atomic::Ordering::SeqCst) >= 6,
        "the jwt runs really fetched tokens"
    );
}

#[test]
fn mutual_tls_through_nginx() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(dir.path()).unwrap();
    let port = MtlsFront::reserve_port();
    let s = Sekmet::builder()
        .public_base_url(&format!("https://127.0.0.1:{port}/fhir"))
        .start()
        .expect("sekmet");
    let front = MtlsFront::start(port, s.port, &pki).expect("nginx");
    let yaml = format!(
        "regions:\n\
         - name: mtls\n  base_url: {b}\n  tls: {{ca_file: {ca}, client_cert: {cc}, client_key: {ck}}}\n  headers: {{X-Region: mtls}}\n\
         - name: no-cert\n  base_url: {b}\n  tls: {{ca_file: {ca}}}\n",
        b = front.base_url(),
        ca = pki.ca_cert.display(),
        cc = pki.client_cert.display(),
        ck = pki.client_key.display()
    );
    let regions = write_regions(dir.path(), &yaml);
    let (r, out) = probe_json(&[
        "--regions",
        &regions,
        "--region",
        "mtls",
        "--no-validate",
        "--type",
        "Patient",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    for id in [
        "tls.in-use",
        "tls.version",
        "tls.certificate",
        "tls.hostname",
        "metadata.capability-statement",
        "Patient.read",
        "Patient.search.paging",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", check(&r, id));
    }
    // The throwaway certificate lives two days: a SHOULD failure, a warning.
    assert_eq!(status(&r, "tls.expiry"), "warn");
    assert!(check(&r, "tls.expiry")["message"]
        .as_str()
        .unwrap()
        .starts_with("only "));
    let (r, out) = probe_json(&[
        "--regions",
        &regions,
        "--region",
        "no-cert",
        "--no-validate",
        "--type",
        "Patient",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        check(&r, "metadata.capability-statement")["message"],
        "status 400"
    );
}

/// Probing a hostile server ends with a clear error within the time-out.
fn hostile(fault: Fault, timeout: &str) -> (Output, Duration) {
    let server = FaultServer::start(fault);
    let start = Instant::now();
    let out = probe(&[&server.base_url(), "--no-validate", "--timeout", timeout]);
    (out, start.elapsed())
}

#[test]
fn hostile_servers_end_with_a_clear_error_in_time() {
    let cases: Vec<(Fault, &str, i32, &str)> = vec![
        (
            Fault::SlowHeaders(Duration::from_secs(30)),
            "1s",
            3,
            "no complete response within 1s",
        ),
        (
            Fault::SlowBody(Duration::from_millis(200)),
            "1s",
            3,
            "no complete response within 1s",
        ),
        (Fault::Truncated, "5s", 3, "the response body ended early"),
        (
            Fault::Huge {
                bytes: 8 << 30,
                declared: false,
            },
            "20s",
            3,
            "response larger than the 16777216-byte limit",
        ),
        (
            Fault::RedirectElsewhere,
            "5s",
            3,
            "redirect to another host (localhost) refused",
        ),
    ];
    for (fault, timeout, code, message) in cases {
        let name = format!("{fault:?}");
        let (out, took) = hostile(fault, timeout);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            common::stderr(&out)
        );
        let err = common::stderr(&out);
        assert!(
            err.starts_with("conform: endpoint unreachable: "),
            "{name}: {err}"
        );
        assert!(err.contains(message), "{name}: {err}");
        assert!(took < Duration::from_secs(8), "{name} took {took:?}");
    }
    // Answers that arrive but are not FHIR are findings, with the reason.
    for (fault, message) in [
        (Fault::MalformedJson, "status 200 but the body is not JSON"),
        (
            Fault::WrongContentType,
            "status 200 but text/html, not FHIR JSON",
        ),
    ] {
        let server = FaultServer::start(fault);
        let (r, out) = probe_json(&[&server.base_url(), "--no-validate"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            check(&r, "metadata.capability-statement")["message"],
            message
        );
        assert_eq!(check(&r, "Patient.read")["status"], "skip");
        assert_eq!(
            check(&r, "Patient.read")["message"],
            "no usable CapabilityStatement"
        );
    }
    let port = conform_peers::free_port();
    let out = probe(&[
        &format!("http://127.0.0.1:{port}/fhir"),
        "--no-validate",
        "--timeout",
        "2s",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        common::stderr(&out).contains("cannot reach"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn junit_has_one_testcase_per_check() {
    let server = FaultServer::start(Fault::WrongContentType);
    let (r, _) = probe_json(&[&server.base_url(), "--no-validate"]);
    let out = probe(&[&server.base_url(), "--no-validate", "--format", "junit"]);
    let xml = common::stdout(&out);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), r["checks"].as_array().unwrap().len());
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|x| x.has_tag_name("failure")))
        .count();
    assert_eq!(failures as u64, r["summary"]["failed"].as_u64().unwrap());
    let skipped = cases
        .iter()
        .filter(|c| c.children().any(|x| x.has_tag_name("skipped")))
        .count();
    assert_eq!(skipped as u64, r["summary"]["skipped"].as_u64().unwrap());
    let meta = cases
        .iter()
        .find(|c| c.attribute("name") == Some("metadata.capability-statement [SHALL]"))
        .unwrap();
    let failure = meta.children().find(|x| x.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("SHALL"));
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = probe(&["http://127.0.0.1:9/fhir", "--format", "html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("unknown format 'html'"));
    let out = probe(&["ftp://example/fhir"]);
    assert_eq!(out.status.code(), Some(2));
    let regions = write_regions(dir.path(), "regions:\n- name: a\n  base_url: http://127.0.0.1:9/fhir\n  auth: {type: bearer, token_env: CONFORM_TEST_UNSET_TOKEN}\n");
    let out = probe(&["--regions", &regions, "--region", "b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no region 'b' (the file has: a)"),
        "{}",
        common::stderr(&out)
    );
    let out = probe(&["--regions", &regions, "--region", "a"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("CONFORM_TEST_UNSET_TOKEN is not set"),
        "{}",
        common::stderr(&out)
    );
    let out = probe(&["http://127.0.0.1:9/fhir", "--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_example_regions_file_parses() {
    let file = common::root().join("fixtures/regions.yaml");
    let out = probe(&[
        "--regions",
        file.to_str().unwrap(),
        "--region",
        "no-such-region",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("no region 'no-such-region' (the file has: "),
        "{err}"
    );
}
