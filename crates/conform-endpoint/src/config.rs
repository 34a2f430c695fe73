//! `regions.yaml`: the endpoints a probe or a scenario talks to, one entry
//! per region, with auth, TLS, headers, limits and the organisations it
//! serves. Secrets are never in the file: only the names of environment
//! variables or files holding them. Relative paths are relative to the file.
//! The format is documented in docs/regions.md.

use crate::error::EndpointError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Time-out of one logical request (all attempts and waits included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first attempt on 429, 503 or a failed connection.
pub const DEFAULT_RETRIES: u32 = 2;
/// Largest response body read (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// A whole `regions.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsFile {
    pub regions: Vec<Region>,
}

/// One region's endpoint.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub name: String,
    /// The FHIR base URL, e.g. `https://fhir.example.nhs.uk/R4`.
    pub base_url: String,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Extra headers sent with every request (not secrets: use auth).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `30s`, `500ms`, `2m` or a number of seconds.
    #[serde(default, deserialize_with = "crate::duration::deserialize_opt")]
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub max_response_bytes: Option<u64>,
    #[serde(default)]
    pub organisations: Vec<Organisation>,
    /// What the region plays in scenarios, e.g. `demographics`,
    /// `record-locator`, `record-provider`.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    #[default]
    None,
    /// A static bearer token from an environment variable or a file.
    Bearer {
        token_env: Option<String>,
        token_file: Option<PathBuf>,
    },
    /// OAuth2 client credentials with a client secret.
    ClientCredentials {
        token_url: String,
        client_id: String,
        secret_env: Option<String>,
        secret_file: Option<PathBuf>,
        #[serde(default)]
        method: SecretMethod,
        scope: Option<String>,
    },
    /// SMART Backend Services / NHS signed JWT client assertion.
    PrivateKeyJwt {
        token_url: String,
        client_id: String,
        key_file: PathBuf,
        alg: JwtAlg,
        kid: Option<String>,
        scope: Option<String>,
    },
}

/// How a client secret travels to the token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretMethod {
    /// `client_secret_basic`: HTTP Basic authentication.
    #[default]
    Basic,
    /// `client_secret_post`: in the form body.
    Post,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum JwtAlg {
    RS384,
    ES384,
    RS512,
}

impl JwtAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlg::RS384 => "RS384",
            JwtAlg::ES384 => "ES384",
            JwtAlg::RS512 => "RS512",
        }
    }
}

/// TLS material beyond the public web roots, all PEM files.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Extra CA certificates trusted for the server (a bundle).
    pub ca_file: Option<PathBuf>,
    /// Client certificate (chain) for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// ODS code.
    pub ods: String,
    pub name: String,
    pub care_setting: CareSetting,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CareSetting {
    Gp,
    Acute,
    MentalHealth,
    Community,
    SocialCare,
    Hospice,
    Pharmacy,
    Dental,
    Optometry,
    Ambulance,
}

impl RegionsFile {
    /// Reads and checks a regions file: `${NAME}` replaced from the
    /// environment, relative paths made relative to its folder.
    pub fn load(path: &Path) -> Result<RegionsFile, EndpointError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EndpointError::config(format!("cannot read {}: {e}", path.display())))?;
        let text = crate::env_expand::expand_env(&text, |name| std::env::var(name).ok())
            .map_err(|e| EndpointError::config(format!("{}: {e}", path.display())))?;
        Self::parse_in(&text, path.parent().unwrap_or(Path::new(""))).map_err(|e| match e {
            EndpointError::Config(m) => EndpointError::config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Parses and checks regions YAML whose relative paths are relative to
    /// `dir` (for callers that read or rewrite the text themselves).
    pub fn parse_in(text: &str, dir: &Path) -> Result<RegionsFile, EndpointError> {
        let mut file = Self::parse(text)?;
        for r in &mut file.regions {
            r.resolve_paths(dir);
        }
        Ok(file)
    }

    /// Parses and checks regions YAML (paths left as written).
    pub fn parse(text: &str) -> Result<RegionsFile, EndpointError> {
        let file: RegionsFile =
            serde_yaml_ng::from_str(text).map_err(|e| EndpointError::config(e.to_string()))?;
        let mut seen = std::collections::BTreeSet::new();
        for r in &file.regions {
            if !seen.insert(r.name.as_str()) {
                return Err(EndpointError::config(format!(
                    "region '{}' is defined twice",
                    r.name
                )));
            }
            r.check()?;
        }
        Ok(file)
    }

    pub fn region(&self, name: &str) -> Result<&Region, EndpointError> {
        self.regions.iter().find(|r| r.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.regions.iter().map(|r| r.name.as_str()).collect();
            EndpointError::config(format!(
                "no region '{name}' (the file has: {})",
                names.join(", ")
            ))
        })
    }
}

impl Region {
    /// A region for a bare base URL: no auth, default limits.
    pub fn from_url(base_url: &str) -> Region {
        Region {
            name: "endpoint".into(),
            base_url: base_url.into(),
            auth: AuthConfig::None,
            tls: TlsConfig::default(),
            headers: BTreeMap::new(),
            timeout: None,
            retries: None,
            max_response_bytes: None,
            organisations: Vec::new(),
            roles: Vec::new(),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(DEFAULT_RETRIES)
    }

    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES)
    }

    fn check(&self) -> Result<(), EndpointError> {
        let bad = |m: String| {
            Err(EndpointError::config(format!(
                "region '{}': {m}",
                self.name
            )))
        };
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return bad(format!(
                "base_url '{}' must start with http:// or https://",
                self.base_url
            ));
        }
        match &self.auth {
            AuthConfig::Bearer {
                token_env,
                token_file,
            } if token_env.is_some() == token_file.is_some() => {
                return bad("bearer auth needs exactly one of token_env, token_file".into())
            }
            AuthConfig::ClientCredentials {
                secret_env,
                secret_file,
                ..
            } if secret_env.is_some() == secret_file.is_some() => {
                return bad(
                    "client_credentials auth needs exactly one of secret_env, secret_file".into(),
                )
            }
            _ => {}
        }
        if self.tls.client_cert.is_some() != self.tls.client_key.is_some() {
            return bad("tls needs both client_cert and client_key, or neither".into());
        }
        if self.timeout == Some(Duration::ZERO) {
            return bad("timeout must be more than zero".into());
        }
        Ok(())
    }

    fn resolve_paths(&mut self, dir: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        match &mut self.auth {
            AuthConfig::Bearer {
                token_file: Some(p),
                ..
            }
            | AuthConfig::ClientCredentials {
                secret_file: Some(p),
                ..
            }
            | AuthConfig::PrivateKeyJwt { key_file: p, .. } => fix(p),
            _ => {}
        }
        for p in [
            &mut self.tls.ca_file,
            &mut self.tls.client_cert,
            &mut self.tls.client_key,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_secret_sources_and_names() {
        let two = "regions:\n- name: a\n  base_url: http://x\n  auth: {type: bearer, token_env: A, token_file: f}\n";
        assert!(RegionsFile::parse(two)
            .unwrap_err()
            .to_string()
            .contains("exactly one"));
        let dup =
            "regions:\n- {name: a, base_url: 'http://x'}\n- {name: a, base_url: 'http://y'}\n";
        assert!(RegionsFile::parse(dup)
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let bad_setting = "regions:\n- name: a\n  base_url: http://x\n  organisations: [{ods: X1, name: n, care_setting: spa}]\n";
        assert!(RegionsFile::parse(bad_setting).is_err());
        let ok = "regions:\n- name: a\n  base_url: https://x\n  timeout: 1500ms\n  organisations: [{ods: X1, name: n, care_setting: mental-health}]\n";
        let f = RegionsFile::parse(ok).unwrap();
        assert_eq!(f.regions[0].timeout(), Duration::from_millis(1500));
        assert_eq!(
            f.regions[0].organisations[0].care_setting,
            CareSetting::MentalHealth
        );
    }
}
