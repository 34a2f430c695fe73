//! Fetching an access token from a token endpoint with the client
//! credentials grant, authenticating with a client secret (basic or post)
//! or a signed JWT assertion (`private_key_jwt`).

use super::jwt::Signer;
use crate::error::EndpointError;
use crate::redact::Redactor;
use crate::secret::Secret;
use conform_regions::{AuthConfig, SecretMethod};
use std::time::Duration;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Assumed lifetime when the token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

pub(crate) struct TokenRequest {
    token_url: String,
    client_id: String,
    scope: Option<String>,
    credential: Credential,
}

enum Credential {
    Secret(Secret, SecretMethod),
    Jwt(Signer),
}

pub(crate) struct Fetched {
    pub token: Secret,
    pub expires_in: Duration,
}

impl TokenRequest {
    pub fn from_config(cfg: &AuthConfig, redactor: &Redactor) -> Result<Self, EndpointError> {
        match cfg {
            AuthConfig::ClientCredentials {
                token_url,
                client_id,
                method,
                scope,
                ..
            } => Ok(TokenRequest {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                scope: scope.clone(),
                credential: Credential::Secret(
                    Secret::from_source(cfg.credential().map(|c| c.source), redactor)?,
                    *method,
                ),
            }),
            AuthConfig::PrivateKeyJwt {
                token_url,
                client_id,
                key_file,
                alg,
                kid,
                scope,
            } => {
                let pem = std::fs::read(key_file).map_err(|e| {
                    EndpointError::config(format!(
                        "cannot read key file {}: {e}",
                        key_file.display()
                    ))
                })?;
                redactor.add(&String::from_utf8_lossy(&pem));
                Ok(TokenRequest {
                    token_url: token_url.clone(),
                    client_id: client_id.clone(),
                    scope: scope.clone(),
                    credential: Credential::Jwt(Signer::from_pem(&pem, *alg, kid.clone())?),
                })
            }
            _ => Err(EndpointError::config("no token endpoint for this auth")),
        }
    }

    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    pub fn fetch(
        &self,
        http: &reqwest::blocking::Client,
        budget: Duration,
        redactor: &Redactor,
    ) -> Result<Fetched, EndpointError> {
        let mut form: Vec<(&str, String)> = vec![("grant_type", "client_credentials".into())];
        if let Some(s) = &self.scope {
            form.push(("scope", s.clone()));
        }
        let mut rb = http
            .post(&self.token_url)
            .timeout(budget)
            .header("Accept", "application/json");
        match &self.credential {
            Credential::Secret(secret, SecretMethod::Basic) => {
                rb = rb.basic_auth(&self.client_id, Some(secret.expose()));
            }
            Credential::Secret(secret, SecretMethod::Post) => {
                form.push(("client_id", self.client_id.clone()));
                form.push(("client_secret", secret.expose().to_string()));
            }
            Credential::Jwt(signer) => {
                let assertion = signer.assertion(&self.client_id, &self.token_url)?;
                redactor.add(&assertion);
                form.push(("client_assertion_type", ASSERTION_TYPE.into()));
                form.push(("client_assertion", assertion));
            }
        }
        let fail = |m: String| EndpointError::Auth(redactor.redact(&m));
        let resp = rb
            .form(&form)
            .send()
            .map_err(|e| fail(format!("token endpoint {}: {e}", self.token_url)))?;
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().unwrap_or(serde_json::Value::Null);
        if status != 200 {
            let err = body["error"].as_str().unwrap_or("no error code");
            let desc = body["error_description"].as_str().unwrap_or("");
            return Err(fail(format!(
                "token endpoint {} answered {status}: {err} {desc}",
                self.token_url
            )));
        }
        let Some(token) = body["access_token"].as_str() else {
            return Err(fail(format!(
                "token endpoint {} answered without an access_token",
                self.token_url
            )));
        };
        let expires_in = body["expires_in"]
            .as_f64()
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(DEFAULT_LIFETIME);
        Ok(Fetched {
            token: Secret::new(token.to_string(), redactor),
            expires_in,
        })
    }
}
