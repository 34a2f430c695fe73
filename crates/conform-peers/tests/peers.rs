//! The peers themselves behave as the probe tests assume.

use conform_peers::{KeyPair, MtlsFront, Sekmet, SmartClient, TestPki};
use std::time::Duration;

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[test]
fn plain_sekmet_is_seeded_with_the_fixtures() {
    let s = Sekmet::start().expect("sekmet starts");
    assert!(s
        .seeded
        .iter()
        .any(|(t, id)| t == "Patient" && id == "example-ics-a-1"));
    let r = http()
        .get(format!("{}/Patient/example-ics-a-1", s.base_url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["identifier"][0]["value"], "9000000009");
}

#[test]
fn smart_sekmet_refuses_anonymous_requests_and_issues_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate("ES384", dir.path()).unwrap();
    let s = Sekmet::builder()
        .smart_client(SmartClient {
            client_id: "probe-client".into(),
            jwks: key.jwks(),
            scopes: "system/*.read".into(),
        })
        .start()
        .expect("sekmet starts");
    let http = http();
    let anon = http.get(format!("{}/Patient", s.base_url)).send().unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let token = s.token_with(&http, "probe-client", &key).expect("token");
    let ok = http
        .get(format!("{}/Patient", s.base_url))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}

#[test]
fn nginx_front_requires_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::generate(dir.path()).unwrap();
    let port = MtlsFront::reserve_port();
    let front_url = format!("https://127.0.0.1:{port}/fhir");
    let s = Sekmet::builder()
        .public_base_url(&front_url)
        .no_seed()
        .start()
        .unwrap();
    let front = MtlsFront::start(port, s.port, &pki).expect("nginx starts");
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&pki.ca_cert).unwrap()).unwrap();
    let anon = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(ca.clone())
        .build()
        .unwrap();
    let r = anon
        .get(format!("{}/metadata", front.base_url()))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let mut pem = std::fs::read(&pki.client_cert).unwrap();
    pem.extend(std::fs::read(&pki.client_key).unwrap());
    let with_cert = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(ca)
        .identity(reqwest::Identity::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let r = with_cert
        .get(format!("{}/metadata", front.base_url()))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[test]
fn gp_connect_stand_in_refuses_a_request_without_ssp_headers_and_serves_the_examples() {
    use conform_peers::{GpConnectProvider, GpcFault};
    let strict = GpConnectProvider::start().expect("provider starts");
    let r = http()
        .get(format!("{}/metadata", strict.base_url()))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "BAD_REQUEST"
    );
    assert_eq!(
        body["issue"][0]["diagnostics"],
        "the Ssp-TraceID header is missing"
    );
    // with the JWT rule switched off, the headers alone are enough
    let lax = GpConnectProvider::start_with(Some(GpcFault::SkipJwtChecks)).unwrap();
    let r = http()
        .get(format!("{}/metadata", lax.base_url()))
        .header("Ssp-TraceID", "7d6e5a4c-3b2a-4f1e-9d8c-7b6a5f4e3d2c")
        .header("Ssp-From", "200000000359")
        .header("Ssp-To", "918999198993")
        .header(
            "Ssp-InteractionID",
            "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1",
        )
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/fhir+json;charset=utf-8"
    );
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["fhirVersion"], "3.0.1");
}

#[test]
fn bars_stand_in_routes_by_target_and_refuses_what_breaks_the_contract() {
    use base64::Engine;
    let b64 =
        |v: serde_json::Value| base64::engine::general_purpose::STANDARD.encode(v.to_string());
    let bars = conform_peers::BarsReceiver::start("2000100001").unwrap();
    let http = http();
    let get = |target: Option<&str>| {
        let mut r = http.get(format!("{}/metadata", bars.base_url()));
        if let Some(t) = target {
            r = r.header("NHSD-Target-Identifier", t);
        }
        let resp = r.send().unwrap();
        (
            resp.status().as_u16(),
            resp.json::<serde_json::Value>().unwrap(),
        )
    };
    // Without the header: the proxy's own statement, no messaging.
    let (status, proxy) = get(None);
    assert_eq!(status, 200);
    assert!(proxy["rest"][0]["operation"].is_null(), "{proxy}");
    // With the target: the receiver's, which supports $process-message.
    let dos = |value: &str| {
        b64(serde_json::json!({"system": "https://fhir.nhs.uk/Id/dos-service-id", "value": value}))
    };
    let (status, receiver) = get(Some(&dos("2000100001")));
    assert_eq!(status, 200);
    assert_eq!(
        receiver["rest"][0]["operation"][0]["name"],
        "process-message"
    );
    // A target the catalogue lacks; a header that is not base64 of JSON.
    let (status, oo) = get(Some(&dos("999")));
    assert_eq!(status, 404);
    assert_eq!(
        oo["issue"][0]["diagnostics"],
        "no Endpoint Catalogue entry for target 999"
    );
    let (status, oo) = get(Some("not base64!"));
    assert_eq!(status, 400);
    assert!(
        oo["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .starts_with("NHSD-Target-Identifier is not base64"),
        "{oo}"
    );
    // $process-message without the requesting software's header.
    let resp = http
        .post(format!("{}/$process-message", bars.base_url()))
        .header("NHSD-Target-Identifier", dos("2000100001"))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let oo: serde_json::Value = resp.json().unwrap();
    assert_eq!(
        oo["issue"][0]["diagnostics"],
        "NHSD-Requesting-Software is missing"
    );
}
