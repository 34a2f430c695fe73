//! Mutual TLS through Debian's nginx, and the TLS preflight report.

use conform_endpoint::{inspect_tls, Endpoint, Region, Request, TlsConfig};
use conform_peers::{MtlsFront, Sekmet, TestPki};
use std::time::Duration;

#[test]
fn client_certificate_gets_through_nginx_and_tls_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(dir.path()).unwrap();
    let port = MtlsFront::reserve_port();
    let s = Sekmet::builder()
        .public_base_url(&format!("https://127.0.0.1:{port}/fhir"))
        .start()
        .unwrap();
    let front = MtlsFront::start(port, s.port, &pki).unwrap();

    let mut region = Region::from_url(&front.base_url());
    region.tls = TlsConfig {
        ca_file: Some(pki.ca_cert.clone()),
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_key.clone()),
    };
    let e = Endpoint::new(&region).unwrap();
    let r = e.send(&Request::get("Patient/example-ics-a-1")).unwrap();
    assert_eq!(r.status, 200);
    let key = std::fs::read_to_string(&pki.client_key).unwrap();
    let body_line = key.lines().nth(1).unwrap();
    assert_eq!(e.redactor().redact(body_line), "[REDACTED]");

    // Without the client certificate nginx refuses (400).
    let mut no_cert = region.clone();
    no_cert.tls.client_cert = None;
    no_cert.tls.client_key = None;
    let r = Endpoint::new(&no_cert)
        .unwrap()
        .send(&Request::get("metadata"))
        .unwrap();
    assert_eq!(r.status, 400);

    // Without the CA the server is not trusted: unreachable, with the reason.
    let mut no_ca = region.clone();
    no_ca.tls.ca_file = None;
    let err = Endpoint::new(&no_ca)
        .unwrap()
        .send(&Request::get("metadata"))
        .unwrap_err();
    assert!(err.is_infrastructure());
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    let report = inspect_tls(&region, Duration::from_secs(5)).unwrap();
    assert!(
        report.version == "TLS 1.3" || report.version == "TLS 1.2",
        "{}",
        report.version
    );
    assert_eq!(report.verification, Ok(()));
    assert!(report.hostname_matches);
    assert!(
        matches!(report.days_left, Some(0..=2)),
        "{:?}",
        report.days_left
    );
    let untrusted = inspect_tls(&no_ca, Duration::from_secs(5)).unwrap();
    assert!(untrusted.verification.is_err());
    // The certificate names localhost too: verified by DNS name as well.
    let mut by_name = region.clone();
    by_name.base_url = format!("https://localhost:{port}/fhir");
    let r = inspect_tls(&by_name, Duration::from_secs(5)).unwrap();
    assert_eq!(r.verification, Ok(()));
}
