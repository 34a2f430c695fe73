//! `conform probe` against peers that test its security: SMART SEKMET
//! (RS384 and ES384 signed JWTs, from a regions file), RS512 against a
//! JWKS-checking token endpoint, mutual TLS through nginx, hostile servers;
//! secrets never reach any output format.

mod common;

use common::probe::{check, leaky_server, probe, probe_json, status, write_regions};
use conform_peers::{
    Fault, FaultServer, JwksTokenServer, KeyPair, MtlsFront, Sekmet, SmartClient, TestPki,
};
use std::process::Output;
use std::time::{Duration, Instant};

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
