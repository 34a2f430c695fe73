//! The `[terminology]` table of `conform.toml` and the `--tx` options: which
//! server, how to authenticate (the same settings and secret handling as a
//! region), limits, which systems go to it, and the cache.

use conform_regions::{AuthConfig, Region, TlsConfig};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The UK edition of SNOMED CT (module URI), the edition NHS England's
/// terminology server answers from.
pub const UK_EDITION: &str = "http://snomed.info/sct/83821000000107";
pub const SNOMED: &str = "http://snomed.info/sct";

/// Distinct questions sent in one batch Bundle.
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// Batches in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TxConfig {
    /// The server's FHIR base URL; `none` stays offline.
    pub url: Option<String>,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    /// Per request, all retries included (`30s`, `2m`).
    pub timeout: Option<String>,
    pub retries: Option<u32>,
    /// Batches in flight at once.
    pub concurrency: Option<usize>,
    /// Questions per batch request.
    pub batch_size: Option<usize>,
    /// The code systems whose codes go to the server; absent: every system
    /// the loaded packages do not define whole.
    pub systems: Option<Vec<String>>,
    /// The SNOMED CT edition (module URI, or a full version URI) asked
    /// about when a coding names none.
    pub snomed_edition: Option<String>,
    /// The cache folder (default: conform's cache folder, `tx/`).
    pub cache: Option<PathBuf>,
    /// Answer from the cache only (no network).
    #[serde(default)]
    pub replay: bool,
}

impl TxConfig {
    /// The server URL, unless the configuration says to stay offline.
    pub fn server(&self) -> Option<&str> {
        self.url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty() && !u.eq_ignore_ascii_case("none"))
    }

    pub fn timeout(&self) -> Result<Duration, String> {
        match &self.timeout {
            None => Ok(Duration::from_secs(30)),
            Some(t) => conform_regions::parse_duration(t)
                .ok_or_else(|| format!("[terminology] timeout '{t}' is not a duration (30s, 2m)")),
        }
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size.unwrap_or(DEFAULT_BATCH_SIZE).clamp(1, 1000)
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(DEFAULT_CONCURRENCY).clamp(1, 32)
    }

    /// The server as an endpoint of conform's HTTP client (auth, TLS,
    /// retries, limits and secret redaction as for a region).
    pub fn as_region(&self) -> Result<Region, String> {
        let url = self
            .server()
            .ok_or("no terminology server is configured (--tx URL or [terminology] url)")?;
        Ok(Region {
            name: "terminology".into(),
            base_url: url.trim_end_matches('/').to_string(),
            auth: self.auth.clone(),
            tls: self.tls.clone(),
            headers: Default::default(),
            timeout: Some(self.timeout()?),
            retries: self.retries,
            max_response_bytes: None,
            organisations: Vec::new(),
            roles: Vec::new(),
            probe_profile: Default::default(),
            gp_connect: None,
            // A terminology server is sent codes, never patient data: plain
            // http:// to it stays the configuration's choice (the regions'
            // rule, docs/regions.md, is for endpoints holding records)
            // unless credentials would travel with the codes.
            test_hosts: url::Url::parse(url)
                .ok()
                .filter(|_| matches!(self.auth, AuthConfig::None))
                .and_then(|u| u.host_str().map(str::to_string))
                .into_iter()
                .collect(),
        })
    }

    /// The version a question about `system` is asked in when the coding
    /// names none: the configured SNOMED CT edition.
    pub fn default_version(&self, system: &str) -> Option<&str> {
        (system == SNOMED)
            .then_some(self.snomed_edition.as_deref())
            .flatten()
    }

    /// Whether codes of `system` may go to the server by configuration.
    pub fn routes(&self, system: &str) -> bool {
        self.systems
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == system))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_table_with_region_style_auth() {
        let c: TxConfig = toml_like(
            r#"{"url": "https://tx.example/fhir", "auth": {"type": "client_credentials",
                "token_url": "https://tx.example/token", "client_id": "ci", "secret_env": "TX_SECRET"},
                "systems": ["http://snomed.info/sct"], "snomed-edition": "http://snomed.info/sct/83821000000107",
                "timeout": "10s", "batch-size": 50}"#,
        );
        assert_eq!(c.server(), Some("https://tx.example/fhir"));
        assert!(matches!(c.auth, AuthConfig::ClientCredentials { .. }));
        assert!(c.routes(SNOMED));
        assert!(!c.routes("http://loinc.org"));
        assert_eq!(c.default_version(SNOMED), Some(UK_EDITION));
        assert_eq!(c.default_version("http://loinc.org"), None);
        assert_eq!(c.timeout().unwrap(), Duration::from_secs(10));
        assert_eq!(c.batch_size(), 50);
        assert_eq!(c.as_region().unwrap().base_url, "https://tx.example/fhir");
    }

    #[test]
    fn none_stays_offline() {
        let c: TxConfig = toml_like(r#"{"url": "none"}"#);
        assert_eq!(c.server(), None);
        assert!(c.as_region().unwrap_err().contains("no terminology server"));
        let bad: TxConfig = toml_like(r#"{"url": "http://x", "timeout": "soon"}"#);
        assert!(bad.timeout().unwrap_err().contains("soon"));
    }

    fn toml_like(json: &str) -> TxConfig {
        serde_json::from_str(json).expect("config")
    }

    #[test]
    fn plain_http_carries_credentials_only_to_loopback() {
        let config = |url: &str, auth: bool| {
            let auth = if auth {
                r#", "auth": {"type": "bearer", "token_env": "CONFORM_TEST_NO_SUCH_TOKEN"}"#
            } else {
                ""
            };
            toml_like(&format!(r#"{{"url": "{url}"{auth}}}"#))
        };
        // codes alone may go over plain http:// where the configuration says
        assert!(crate::Terminology::new(config("http://tx.example/fhir", false), None).is_ok());
        // with credentials, only over https:// or to loopback
        let Err(err) = crate::Terminology::new(config("http://tx.example/fhir", true), None) else {
            panic!("plain http:// with credentials was accepted");
        };
        assert!(
            err.starts_with("refusing plain http:// to http://tx.example/fhir"),
            "{err}"
        );
        assert!(err.contains("nothing was sent"), "{err}");
        // (the loopback and https:// clients get as far as reading the token)
        for url in ["http://127.0.0.1:9/fhir", "https://tx.example/fhir"] {
            let err = crate::Terminology::new(config(url, true), None)
                .err()
                .unwrap_or_default();
            assert!(!err.contains("plain http"), "{url}: {err}");
        }
    }
}
