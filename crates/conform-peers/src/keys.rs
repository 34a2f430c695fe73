//! Signing keys for client assertions, made with openssl: the private key
//! as a PKCS#8 PEM file and the public half as a JWK.

use crate::process::run;
use crate::PeerResult;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct KeyPair {
    /// `RS384`, `ES384` or `RS512`.
    pub alg: String,
    pub kid: String,
    /// PKCS#8 PEM private key.
    pub private_pem: PathBuf,
    /// The public key as a JWK (with `kid`, `alg`, `use`).
    pub public_jwk: Value,
}

impl KeyPair {
    /// A fresh key for `alg` in `dir` (RSA 2048 for RS*, P-384 for ES384).
    pub fn generate(alg: &str, dir: &Path) -> PeerResult<KeyPair> {
        let kid = format!(
            "test-{}-{}",
            alg.to_ascii_lowercase(),
            &uuid::Uuid::new_v4().to_string()[..8]
        );
        let private_pem = dir.join(format!("{kid}.pem"));
        let jwk = match alg {
            "RS384" | "RS512" | "RS256" => {
                run(Command::new("openssl")
                    .args([
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:2048",
                        "-out",
                    ])
                    .arg(&private_pem))?;
                let out = run(Command::new("openssl")
                    .args(["rsa", "-noout", "-modulus", "-in"])
                    .arg(&private_pem))?;
                let text = String::from_utf8_lossy(&out);
                let hex = text.trim().strip_prefix("Modulus=").ok_or("no modulus")?;
                json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode(from_hex(hex)?), "e": "AQAB"})
            }
            "ES384" => {
                run(Command::new("openssl")
                    .args([
                        "genpkey",
                        "-algorithm",
                        "EC",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-384",
                        "-out",
                    ])
                    .arg(&private_pem))?;
                let der = run(Command::new("openssl")
                    .args(["pkey", "-pubout", "-outform", "DER", "-in"])
                    .arg(&private_pem))?;
                // SubjectPublicKeyInfo ends with the uncompressed point 04 || X || Y.
                let point = der.get(der.len().saturating_sub(97)..).ok_or("short key")?;
                if point.len() != 97 || point[0] != 4 {
                    return Err("unexpected P-384 public key encoding".into());
                }
                json!({"kty": "EC", "crv": "P-384", "x": URL_SAFE_NO_PAD.encode(&point[1..49]), "y": URL_SAFE_NO_PAD.encode(&point[49..])})
            }
            other => return Err(format!("no key generation for {other}")),
        };
        let mut public_jwk = jwk;
        public_jwk["kid"] = json!(kid);
        public_jwk["alg"] = json!(alg);
        public_jwk["use"] = json!("sig");
        Ok(KeyPair {
            alg: alg.into(),
            kid,
            private_pem,
            public_jwk,
        })
    }

    /// `{"keys": [jwk]}`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.public_jwk] })
    }

    /// The private key PEM text (for tests that check it never leaks).
    pub fn private_pem_text(&self) -> String {
        std::fs::read_to_string(&self.private_pem).unwrap_or_default()
    }
}

fn from_hex(s: &str) -> PeerResult<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16).map_err(|e| e.to_string()))
        .collect()
}
