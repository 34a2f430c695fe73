//! `regions.yaml`: the endpoints a probe or a scenario talks to, one entry
//! per region, with auth, TLS, headers, limits and the organisations it
//! serves. Secrets are never in the file: only the names of environment
//! variables or files holding them. Relative paths are relative to the file.
//! The format is documented in docs/regions.md.

use crate::gp_connect::{GpConnectSettings, ProbeProfile};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Time-out of one logical request (all attempts and waits included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first attempt on 429, 503 or a failed connection.
pub const DEFAULT_RETRIES: u32 = 2;
/// Largest response body read (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest regions file read, in bytes (real ones are a few KB).
pub const MAX_REGIONS_FILE_BYTES: u64 = 1 << 20;

/// Why a regions file cannot be used. Its text reads like the endpoint
/// crate's configuration errors, which it becomes there.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct RegionsError(pub String);

impl RegionsError {
    fn new(m: impl Into<String>) -> Self {
        RegionsError(m.into())
    }
}

/// A whole `regions.yaml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionsFile {
    /// Hosts that may be reached over plain `http://` besides loopback
    /// (test servers on a private network): every other `http://` URL is
    /// refused before any request or name lookup (docs/regions.md).
    #[serde(default)]
    pub test_hosts: Vec<String>,
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
    #[serde(default, deserialize_with = "count_or_text")]
    pub retries: Option<u32>,
    #[serde(default, deserialize_with = "count_or_text")]
    pub max_response_bytes: Option<u64>,
    #[serde(default)]
    pub organisations: Vec<Organisation>,
    /// What the region plays in scenarios, e.g. `demographics`,
    /// `record-locator`, `record-provider`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The checks `conform probe` runs here (`fhir`, the default, or `gp-connect`).
    #[serde(default)]
    pub probe_profile: ProbeProfile,
    /// The consumer's identity for a `gp-connect` probe (defaults if absent).
    #[serde(default)]
    pub gp_connect: Option<GpConnectSettings>,
    /// The file's `test_hosts`: besides loopback, the only hosts plain
    /// `http://` may be used with.
    #[serde(skip)]
    pub test_hosts: Vec<String>,
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
    /// Reads and checks a regions file: `${NAME}` in its values replaced
    /// from the environment, relative paths made relative to its folder.
    pub fn load(path: &Path) -> Result<RegionsFile, RegionsError> {
        let in_file = |m: String| RegionsError::new(format!("{}: {m}", path.display()));
        let cannot = |e: String| RegionsError::new(format!("cannot read {}: {e}", path.display()));
        let len = std::fs::metadata(path)
            .map_err(|e| cannot(e.to_string()))?
            .len();
        if len > MAX_REGIONS_FILE_BYTES {
            return Err(cannot(format!(
                "it is {len} bytes, over the limit of {MAX_REGIONS_FILE_BYTES} for a regions file (docs/limits.md)"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| cannot(e.to_string()))?;
        let mut file = Self::parse_with_env(&text, |name| std::env::var(name).ok())
            .map_err(|e| in_file(e.0))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for r in &mut file.regions {
            r.resolve_paths(dir);
        }
        Ok(file)
    }

    /// Parses and checks regions YAML (paths left as written) with no
    /// `${NAME}` expansion.
    pub fn parse(text: &str) -> Result<RegionsFile, RegionsError> {
        Self::parse_with_env(text, |_| None)
    }

    /// Parses and checks regions YAML, `${NAME}` in string values taken
    /// from `lookup` (paths left as written).
    pub fn parse_with_env(
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RegionsFile, RegionsError> {
        let mut value: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| RegionsError::new(e.to_string()))?;
        crate::env_expand::expand_env_in(&mut value, &lookup).map_err(RegionsError::new)?;
        // The YAML is a value by now, so a type error carries no line:
        // name the field's place instead (`regions[0].auth`).
        let mut file: RegionsFile = serde_path_to_error::deserialize(value).map_err(|e| {
            let place = e.path().to_string();
            RegionsError::new(format!("{place}: {}", e.into_inner()))
        })?;
        for r in &mut file.regions {
            r.test_hosts = file.test_hosts.clone();
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &file.regions {
            if !seen.insert(r.name.as_str()) {
                return Err(RegionsError::new(format!(
                    "region '{}' is defined twice",
                    r.name
                )));
            }
            r.check()?;
        }
        Ok(file)
    }

    pub fn region(&self, name: &str) -> Result<&Region, RegionsError> {
        self.regions.iter().find(|r| r.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.regions.iter().map(|r| r.name.as_str()).collect();
            RegionsError::new(format!(
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
            probe_profile: ProbeProfile::Fhir,
            gp_connect: None,
            test_hosts: Vec::new(),
        }
    }

    /// Why `url` may not be used by this region, if it may not: plain
    /// `http://` is for loopback and the regions file's `test_hosts`
    /// only. Decided from the URL's text alone: no name is looked up.
    pub fn plain_http_refusal(&self, url: &str) -> Option<String> {
        let parsed = url::Url::parse(url).ok()?;
        if parsed.scheme() != "http" {
            return None;
        }
        let host = match parsed.host()? {
            url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => return None,
            url::Host::Ipv4(ip) if ip.is_loopback() => return None,
            url::Host::Ipv6(ip) if ip.is_loopback() => return None,
            url::Host::Domain(d) => d.to_string(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        let listed = self.test_hosts.iter().any(|t| {
            t.trim_start_matches('[')
                .trim_end_matches(']')
                .eq_ignore_ascii_case(&host)
        });
        (!listed).then(|| {
            format!(
                "refusing plain http:// to {host} (region '{}'): patient data and credentials travel only over https://, except to loopback and the test_hosts of the regions file (docs/regions.md); nothing was sent",
                self.name
            )
        })
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

    fn check(&self) -> Result<(), RegionsError> {
        let bad = |m: String| Err(RegionsError::new(format!("region '{}': {m}", self.name)));
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
        if let Some(problem) = self
            .gp_connect
            .as_ref()
            .and_then(GpConnectSettings::problem)
        {
            return bad(problem);
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

/// A count written as a number, or as text (what `${NAME}` gives):
/// `retries: ${RETRIES}` keeps working now that expansion happens after
/// parsing.
fn count_or_text<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + std::str::FromStr,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    let too_big = || serde::de::Error::custom("number too large");
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) => T::try_from(n).map(Some).map_err(|_| too_big()),
        Some(Raw::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{t}' is not a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regions_file_over_the_size_limit_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.yaml");
        std::fs::write(&path, "regions:\n- {name: a, base_url: 'http://x'}\n").unwrap();
        assert!(RegionsFile::load(&path).is_ok());
        // Sparse, so a size over the limit costs no disk; loading it
        // would fail on the YAML if the size were not checked first.
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(MAX_REGIONS_FILE_BYTES + 1)
            .unwrap();
        let e = RegionsFile::load(&path).unwrap_err().to_string();
        assert!(e.contains("over the limit of 1048576"), "{e}");
        assert!(e.contains("regions.yaml"), "{e}");
    }

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
        let gpc = "regions:\n- name: a\n  base_url: https://x\n  probe_profile: gp-connect\n  gp_connect: {nhs_number: '9476719931', consumer_asid: '123'}\n";
        let r = &RegionsFile::parse(gpc).unwrap().regions[0];
        assert_eq!(r.probe_profile, ProbeProfile::GpConnect);
        let settings = r.gp_connect.clone().unwrap();
        assert_eq!(
            (
                settings.nhs_number.as_str(),
                settings.consumer_asid.as_str()
            ),
            ("9476719931", "123")
        );
        assert_eq!(
            settings.provider_asid,
            GpConnectSettings::default().provider_asid
        );
        let bad_asid =
            "regions:\n- name: a\n  base_url: https://x\n  gp_connect: {provider_asid: ODS1}\n";
        assert!(RegionsFile::parse(bad_asid)
            .unwrap_err()
            .to_string()
            .contains("ASIDs"));
        let unknown = "regions:\n- name: a\n  base_url: https://x\n  tls: {ca: certs/ca.pem}\n";
        let err = RegionsFile::parse(unknown).unwrap_err().to_string();
        assert!(
            err.starts_with("configuration: regions[0].tls.ca: unknown field `ca`"),
            "{err}"
        );
    }

    #[test]
    fn plain_http_is_for_loopback_and_listed_test_hosts_only() {
        let text = "test_hosts: [fhir-test.internal, '10.0.0.7']\nregions:\n- {name: a, base_url: 'http://x'}\n";
        let f = RegionsFile::parse(text).unwrap();
        let r = &f.regions[0];
        assert_eq!(r.test_hosts, ["fhir-test.internal", "10.0.0.7"]);
        for ok in [
            "https://anywhere.example/fhir",
            "http://127.0.0.1:8080/fhir",
            "http://127.9.9.9/fhir",
            "http://localhost/fhir",
            "http://[::1]:9/fhir",
            "http://FHIR-TEST.internal/fhir",
            "http://10.0.0.7/fhir",
        ] {
            assert_eq!(r.plain_http_refusal(ok), None, "{ok}");
        }
        for refused in [
            "http://x/fhir",
            "http://conform-never-looked-up.invalid/fhir",
            "http://10.0.0.8/fhir",
            "http://localhost.evil.example/fhir",
        ] {
            let why = r.plain_http_refusal(refused).unwrap();
            assert!(why.starts_with("refusing plain http:// to "), "{why}");
        }
        assert!(Region::from_url("http://x")
            .plain_http_refusal("http://x")
            .is_some());
    }

    #[test]
    fn takes_values_from_the_environment_after_parsing() {
        let text =
            "regions:\n- name: a\n  base_url: ${URL}\n  retries: ${RETRIES}\n  timeout: ${WAIT}\n";
        let env = |name: &str| match name {
            "URL" => Some("https://x/fhir".to_string()),
            "RETRIES" => Some("5".to_string()),
            "WAIT" => Some("2s".to_string()),
            _ => None,
        };
        let f = RegionsFile::parse_with_env(text, env).unwrap();
        let r = &f.regions[0];
        assert_eq!(
            (r.base_url.as_str(), r.retries(), r.timeout()),
            ("https://x/fhir", 5, Duration::from_secs(2))
        );
        let err = RegionsFile::parse_with_env(text, |_| None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "configuration: regions[0].base_url: environment variable URL is not set"
        );
        let bad = RegionsFile::parse_with_env(text, |n| {
            Some(if n == "URL" { "https://x" } else { "many" }.into())
        });
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("'many' is not a whole number"));
    }
}
