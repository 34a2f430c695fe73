//! Every auth kind against a peer that checks it: SEKMET as a SMART
//! Backend Services server (RS384, ES384), a JWKS-checking token endpoint
//! (RS512, token refresh), client secrets (basic, post) and static bearer
//! tokens against in-process endpoints that check the credentials.

use conform_endpoint::{AuthConfig, Endpoint, JwtAlg, Region, Request, SecretMethod};
use conform_peers::{respond, JwksTokenServer, KeyPair, Sekmet, Server, SmartClient};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn jwt_region(base: &str, token_url: &str, client: &str, key: &KeyPair, alg: JwtAlg) -> Region {
    let mut r = Region::from_url(base);
    r.auth = AuthConfig::PrivateKeyJwt {
        token_url: token_url.into(),
        client_id: client.into(),
        key_file: key.private_pem.clone(),
        alg,
        kid: Some(key.kid.clone()),
        scope: Some("system/*.read".into()),
    };
    r
}

#[test]
fn smart_backend_services_with_rs384_and_es384_against_sekmet() {
    let dir = tempfile::tempdir().unwrap();
    let rs = KeyPair::generate("RS384", dir.path()).unwrap();
    let es = KeyPair::generate("ES384", dir.path()).unwrap();
    let s = Sekmet::builder()
        .smart_client(SmartClient {
            client_id: "rs-client".into(),
            jwks: rs.jwks(),
            scopes: "system/*.read".into(),
        })
        .smart_client(SmartClient {
            client_id: "es-client".into(),
            jwks: es.jwks(),
            scopes: "system/*.read".into(),
        })
        .start()
        .unwrap();
    for (client, key, alg) in [
        ("rs-client", &rs, JwtAlg::RS384),
        ("es-client", &es, JwtAlg::ES384),
    ] {
        let e = Endpoint::new(&jwt_region(&s.base_url, &s.token_url(), client, key, alg)).unwrap();
        let r = e.send(&Request::get("Patient/example-ics-a-1")).unwrap();
        assert_eq!(
            r.status,
            200,
            "{alg:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let anon = e
            .send(&Request::get("Patient/example-ics-a-1").without_auth())
            .unwrap();
        assert_eq!(anon.status, 401);
    }
    // The wrong key for a client is refused by SEKMET, with a clear error.
    let e = Endpoint::new(&jwt_region(
        &s.base_url,
        &s.token_url(),
        "rs-client",
        &es,
        JwtAlg::ES384,
    ))
    .unwrap();
    let err = e.send(&Request::get("Patient")).unwrap_err();
    assert!(
        err.to_string().starts_with("authorisation: token endpoint"),
        "{err}"
    );
}

/// A resource server that accepts only tokens the token server issued.
fn resource_server(tokens: Arc<Mutex<Vec<String>>>, seen: Arc<Mutex<Vec<String>>>) -> Server {
    Server::start(move |req, conn| {
        let tok = req
            .header("authorization")
            .unwrap_or("")
            .trim_start_matches("Bearer ")
            .to_string();
        if tokens.lock().unwrap().contains(&tok) {
            seen.lock().unwrap().push(tok);
            respond(
                conn,
                200,
                &[("Content-Type", "application/fhir+json")],
                br#"{"resourceType":"Bundle","type":"searchset"}"#,
            );
        } else {
            respond(conn, 401, &[], b"");
        }
    })
}

#[test]
fn rs512_signed_jwt_is_verified_against_the_jwks_and_refreshed_before_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate("RS512", dir.path()).unwrap();
    let ts = JwksTokenServer::start("nhs-client", key.public_jwk.clone(), "RS512", 4).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rs = resource_server(ts.tokens.clone(), seen.clone());
    let e = Endpoint::new(&jwt_region(
        &format!("{}/fhir", rs.url()),
        &ts.token_url(),
        "nhs-client",
        &key,
        JwtAlg::RS512,
    ))
    .unwrap();
    assert_eq!(e.send(&Request::get("Patient")).unwrap().status, 200);
    assert_eq!(e.send(&Request::get("Patient")).unwrap().status, 200);
    assert_eq!(
        ts.issued.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "cached"
    );
    // Refreshed at 3.2 s of the 4 s lifetime.
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(e.send(&Request::get("Patient")).unwrap().status, 200);
    assert_eq!(
        ts.issued.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "refreshed before expiry"
    );
    assert_eq!(ts.refused.load(std::sync::atomic::Ordering::SeqCst), 0);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_ne!(seen[0], seen[2]);

    // Signed with RS384 while the endpoint expects RS512: refused.
    let other = KeyPair::generate("RS384", dir.path()).unwrap();
    let e = Endpoint::new(&jwt_region(
        &format!("{}/fhir", rs.url()),
        &ts.token_url(),
        "nhs-client",
        &other,
        JwtAlg::RS384,
    ))
    .unwrap();
    let err = e.send(&Request::get("Patient")).unwrap_err().to_string();
    assert!(
        err.contains("401") && err.contains("invalid_client"),
        "{err}"
    );
    assert_eq!(ts.refused.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn client_secret_basic_and_post_reach_the_token_endpoint_as_configured() {
    let forms = Arc::new(Mutex::new(Vec::new()));
    let f2 = forms.clone();
    let ts = Server::start(move |req, conn| {
        f2.lock()
            .unwrap()
            .push((req.header("authorization").map(str::to_string), req.form()));
        respond(
            conn,
            200,
            &[("Content-Type", "application/json")],
            br#"{"access_token":"cc-token-123456","expires_in":300}"#,
        );
    });
    let rs = Server::start(|req, conn| {
        let ok = req.header("authorization") == Some("Bearer cc-token-123456");
        respond(conn, if ok { 200 } else { 401 }, &[], b"{}");
    });
    std::env::set_var("CONFORM_TEST_CC_SECRET", "cc-secret-value");
    for method in [SecretMethod::Basic, SecretMethod::Post] {
        let mut r = Region::from_url(&format!("{}/fhir", rs.url()));
        r.auth = AuthConfig::ClientCredentials {
            token_url: format!("{}/token", ts.url()),
            client_id: "cc-client".into(),
            secret_env: Some("CONFORM_TEST_CC_SECRET".into()),
            secret_file: None,
            method,
            scope: None,
        };
        let e = Endpoint::new(&r).unwrap();
        assert_eq!(e.send(&Request::get("metadata")).unwrap().status, 200);
        assert_eq!(
            e.redactor().redact("x cc-secret-value cc-token-123456"),
            "x [REDACTED] [REDACTED]"
        );
    }
    let forms = forms.lock().unwrap();
    // basic: base64("cc-client:cc-secret-value")
    assert_eq!(
        forms[0].0.as_deref(),
        Some("Basic Y2MtY2xpZW50OmNjLXNlY3JldC12YWx1ZQ==")
    );
    assert!(!forms[0].1.iter().any(|(k, _)| k == "client_secret"));
    assert!(forms[1].0.is_none());
    assert!(forms[1]
        .1
        .contains(&("client_secret".into(), "cc-secret-value".into())));
    assert!(forms[1]
        .1
        .contains(&("client_id".into(), "cc-client".into())));
}

#[test]
fn static_bearer_token_from_a_file_and_extra_headers() {
    let got = Arc::new(Mutex::new(Vec::new()));
    let g2 = got.clone();
    let rs = Server::start(move |req, conn| {
        g2.lock().unwrap().push((
            req.header("authorization").map(str::to_string),
            req.header("x-ods-code").map(str::to_string),
        ));
        respond(conn, 200, &[], b"{}");
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "file-token-abcdef\n").unwrap();
    let mut r = Region::from_url(&format!("{}/fhir", rs.url()));
    r.auth = AuthConfig::Bearer {
        token_env: None,
        token_file: Some(file),
    };
    r.headers.insert("X-ODS-Code".into(), "RX1".into());
    let e = Endpoint::new(&r).unwrap();
    e.send(&Request::get("metadata")).unwrap();
    assert_eq!(
        got.lock().unwrap()[0],
        (Some("Bearer file-token-abcdef".into()), Some("RX1".into()))
    );
    assert!(!format!("{e:?}").contains("file-token"));
}
