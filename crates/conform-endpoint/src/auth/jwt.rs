//! The signed client assertion of SMART Backend Services and the NHS
//! signed-JWT pattern: `iss` = `sub` = client id, `aud` = token URL, a
//! fresh `jti`, expiring within five minutes.

use crate::error::EndpointError;
use conform_regions::JwtAlg;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// Assertions live four minutes (the NHS platform allows at most five).
const LIFETIME_SECS: u64 = 240;

pub(crate) struct Signer {
    pub alg: JwtAlg,
    pub kid: Option<String>,
    key: EncodingKey,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

impl Signer {
    pub fn from_pem(pem: &[u8], alg: JwtAlg, kid: Option<String>) -> Result<Signer, EndpointError> {
        let key = match alg {
            JwtAlg::RS384 | JwtAlg::RS512 => EncodingKey::from_rsa_pem(pem),
            JwtAlg::ES384 => EncodingKey::from_ec_pem(pem),
        }
        .map_err(|e| {
            EndpointError::config(format!(
                "the {} key is not usable ({e}); RSA keys as PKCS#1 or PKCS#8 PEM, EC P-384 keys as PKCS#8 PEM",
                alg.as_str()
            ))
        })?;
        Ok(Signer { alg, kid, key })
    }

    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<String, EndpointError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = Header::new(match self.alg {
            JwtAlg::RS384 => Algorithm::RS384,
            JwtAlg::ES384 => Algorithm::ES384,
            JwtAlg::RS512 => Algorithm::RS512,
        });
        header.kid = self.kid.clone();
        header.typ = Some("JWT".into());
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: token_url,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            exp: now + LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| EndpointError::config(format!("cannot sign the client assertion: {e}")))
    }
}
