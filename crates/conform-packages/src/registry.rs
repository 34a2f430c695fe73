//! The npm-style FHIR package registry: `GET {registry}/{id}` gives metadata
//! (versions, checksums, tarball URLs), `GET {registry}/{id}/{version}` the
//! tarball. Blocking HTTP is fine here: fetching happens once per package,
//! from a command-line tool (do not call this from inside an async runtime).

use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

use serde::Deserialize;

use crate::error::PackageError;
use crate::tarball::MAX_TARBALL_BYTES;

/// Give up connecting after this long: an unreachable registry should fail fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request limit; R4 core (7 MB) downloads well within it.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(120);
/// Refuse metadata documents above this size (real ones are kilobytes).
const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Metadata of one package name.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default, rename = "dist-tags")]
    pub dist_tags: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub versions: BTreeMap<String, VersionInfo>,
}

/// One version's entry in the metadata.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct VersionInfo {
    #[serde(default)]
    pub dist: Option<Dist>,
}

/// Where to download a version and how to check it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Dist {
    #[serde(default)]
    pub shasum: Option<String>,
    #[serde(default)]
    pub tarball: Option<String>,
}

impl Metadata {
    /// `dist-tags.latest`, when the registry gives one.
    pub fn latest(&self) -> Option<&str> {
        self.dist_tags.get("latest").and_then(|v| v.as_str())
    }
}

/// A connection to one registry.
pub(crate) struct Registry {
    client: reqwest::blocking::Client,
    base: String,
}

/// What a GET gave: the body, or "no such thing" (HTTP 404/410).
pub(crate) enum Fetched {
    Body(Vec<u8>),
    Missing,
}

impl Registry {
    /// A client with the timeouts above. `package` names the package in errors.
    pub fn new(base: &str, package: &str) -> Result<Registry, PackageError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .user_agent(concat!("conform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PackageError::Network {
                package: package.to_string(),
                url: base.to_string(),
                reason: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Registry {
            client,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// `{registry}/{name}`, the metadata URL.
    pub fn metadata_url(&self, name: &str) -> String {
        format!("{}/{}", self.base, name)
    }

    /// `{registry}/{name}/{version}`, the fallback tarball URL.
    pub fn tarball_url(&self, name: &str, version: &str) -> String {
        format!("{}/{}/{}", self.base, name, version)
    }

    /// Fetches and parses the metadata of `name`; None when the registry does
    /// not know it.
    pub fn metadata(&self, name: &str, package: &str) -> Result<Option<Metadata>, PackageError> {
        let url = self.metadata_url(name);
        let body = match self.get(&url, package, MAX_METADATA_BYTES)? {
            Fetched::Body(b) => b,
            Fetched::Missing => return Ok(None),
        };
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| PackageError::Registry {
                package: package.to_string(),
                url,
                reason: format!("metadata is not the expected JSON: {e}"),
            })
    }

    /// GETs `url` with a size cap. Failing to connect or to read is Network;
    /// an unexpected HTTP status is Registry; 404/410 is Missing.
    pub fn get(&self, url: &str, package: &str, max_bytes: u64) -> Result<Fetched, PackageError> {
        let network = |e: &dyn std::fmt::Display| PackageError::Network {
            package: package.to_string(),
            url: url.to_string(),
            reason: e.to_string(),
        };
        let response = self
            .client
            .get(url)
            .header("Accept", "application/json, application/octet-stream, */*")
            .send()
            .map_err(|e| network(&conform_outcome::error_chain(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(Fetched::Missing);
        }
        if !status.is_success() {
            return Err(PackageError::Registry {
                package: package.to_string(),
                url: url.to_string(),
                reason: format!("HTTP {status}"),
            });
        }
        let mut body = Vec::new();
        response
            .take(max_bytes + 1)
            .read_to_end(&mut body)
            .map_err(|e| network(&e))?;
        if body.len() as u64 > max_bytes {
            return Err(PackageError::Registry {
                package: package.to_string(),
                url: url.to_string(),
                reason: format!("answer is larger than {max_bytes} bytes; refusing it"),
            });
        }
        Ok(Fetched::Body(body))
    }

    /// Downloads a tarball (capped at a size no real package reaches).
    pub fn download(&self, url: &str, package: &str) -> Result<Fetched, PackageError> {
        self.get(url, package, MAX_TARBALL_BYTES)
    }
}
