//! A token endpoint that checks signed client assertions the way the NHS
//! API platform does: `client_credentials` grant, the jwt-bearer assertion
//! type, a signature that verifies with the registered public JWK and its
//! algorithm (RS512 included, which SEKMET lacks), `iss` = `sub` = client
//! id, `aud` = this endpoint, unexpired, `jti` not seen before.

use crate::httpd::{respond, Server};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct JwksTokenServer {
    pub server: Server,
    /// Tokens issued so far.
    pub issued: Arc<AtomicUsize>,
    /// Assertions refused so far.
    pub refused: Arc<AtomicUsize>,
    /// Every access token issued (to check a resource server saw them).
    pub tokens: Arc<Mutex<Vec<String>>>,
}

impl JwksTokenServer {
    /// Starts the endpoint for one client; tokens live `expires_in` seconds.
    pub fn start(client_id: &str, jwk: Value, alg: &str, expires_in: u64) -> Result<Self, String> {
        let alg: Algorithm = alg.parse().map_err(|e| format!("algorithm {alg}: {e:?}"))?;
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(jwk).map_err(|e| format!("bad JWK: {e}"))?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("bad JWK: {e}"))?;
        let client_id = client_id.to_string();
        let issued = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(HashSet::new()));
        let (i2, r2, t2) = (issued.clone(), refused.clone(), tokens.clone());
        let server = Server::start(move |req, conn| {
            let port = conn.local_addr().map(|a| a.port()).unwrap_or(0);
            let aud = format!("http://127.0.0.1:{port}/token");
            let form = req.form();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let mut validation = Validation::new(alg);
            validation.set_audience(&[&aud]);
            validation.set_issuer(&[&client_id]);
            validation.sub = Some(client_id.clone());
            validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
            let verdict = if req.method != "POST" || req.target != "/token" {
                Err("not the token endpoint".to_string())
            } else if get("grant_type") != Some("client_credentials") {
                Err("grant_type must be client_credentials".into())
            } else if get("client_assertion_type")
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            {
                Err("client_assertion_type must be jwt-bearer".into())
            } else {
                jsonwebtoken::decode::<Value>(
                    get("client_assertion").unwrap_or(""),
                    &key,
                    &validation,
                )
                .map_err(|e| format!("assertion refused: {e}"))
                .and_then(|data| {
                    let jti = data.claims["jti"].as_str().unwrap_or("").to_string();
                    if jti.is_empty() || !seen.lock().unwrap().insert(jti) {
                        Err("jti missing or replayed".into())
                    } else {
                        Ok(())
                    }
                })
            };
            match verdict {
                Ok(()) => {
                    let token = format!("tok-{}", uuid::Uuid::new_v4().simple());
                    t2.lock().unwrap().push(token.clone());
                    i2.fetch_add(1, Ordering::SeqCst);
                    let body = json!({"access_token": token, "token_type": "bearer", "expires_in": expires_in});
                    respond(
                        conn,
                        200,
                        &[("Content-Type", "application/json")],
                        body.to_string().as_bytes(),
                    );
                }
                Err(why) => {
                    r2.fetch_add(1, Ordering::SeqCst);
                    let body = json!({"error": "invalid_client", "error_description": why});
                    respond(
                        conn,
                        401,
                        &[("Content-Type", "application/json")],
                        body.to_string().as_bytes(),
                    );
                }
            }
        });
        Ok(JwksTokenServer {
            server,
            issued,
            refused,
            tokens,
        })
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.server.url())
    }
}
