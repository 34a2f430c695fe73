//! Where each secret, key and certificate a region names comes from, and
//! what it is for: one list that the endpoint crate reads secrets through
//! and the doctor checks, so the two never disagree about a source.

use crate::{AuthConfig, Region};
use std::path::{Path, PathBuf};

/// Where one piece of secret or key material comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretSource<'a> {
    /// An environment variable holding the value.
    Env(&'a str),
    /// A file holding the value (a PEM file for keys and certificates).
    File(&'a Path),
}

/// One piece of secret or key material a region names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretSpec<'a> {
    /// What it is, as a user would name it where it lives: `bearer token`
    /// (a variable), `bearer token file`, `private key`, `CA bundle`.
    pub what: &'static str,
    pub source: SecretSource<'a>,
}

impl AuthConfig {
    /// The token endpoint an OAuth auth asks for its access token.
    pub fn token_url(&self) -> Option<&str> {
        match self {
            AuthConfig::ClientCredentials { token_url, .. }
            | AuthConfig::PrivateKeyJwt { token_url, .. } => Some(token_url),
            AuthConfig::None | AuthConfig::Bearer { .. } => None,
        }
    }

    /// The credential this auth sends or signs with: a bearer token or a
    /// client secret (from its environment variable, else its file) or a
    /// private key file. `None` without auth.
    pub fn credential(&self) -> Option<SecretSpec<'_>> {
        match self {
            AuthConfig::None => None,
            AuthConfig::Bearer {
                token_env,
                token_file,
            } => env_or_file(token_env, "bearer token", token_file, "bearer token file"),
            AuthConfig::ClientCredentials {
                secret_env,
                secret_file,
                ..
            } => env_or_file(
                secret_env,
                "client secret",
                secret_file,
                "client secret file",
            ),
            AuthConfig::PrivateKeyJwt { key_file, .. } => Some(SecretSpec {
                what: "private key",
                source: SecretSource::File(key_file),
            }),
        }
    }
}

/// A secret named by exactly one of a variable and a file (the regions
/// file checks that); the variable is read first, as it always was.
fn env_or_file<'a>(
    var: &'a Option<String>,
    what: &'static str,
    file: &'a Option<PathBuf>,
    what_file: &'static str,
) -> Option<SecretSpec<'a>> {
    match (var, file) {
        (Some(v), _) => Some(SecretSpec {
            what,
            source: SecretSource::Env(v),
        }),
        (None, Some(f)) => Some(SecretSpec {
            what: what_file,
            source: SecretSource::File(f),
        }),
        (None, None) => None,
    }
}

impl Region {
    /// Every secret, key and certificate the region names: its auth
    /// credential, then its TLS files (CA bundle, client certificate and
    /// key).
    pub fn secret_sources(&self) -> Vec<SecretSpec<'_>> {
        let tls = [
            (&self.tls.ca_file, "CA bundle"),
            (&self.tls.client_cert, "client certificate"),
            (&self.tls.client_key, "client key"),
        ];
        self.auth
            .credential()
            .into_iter()
            .chain(tls.into_iter().filter_map(|(path, what)| {
                path.as_deref().map(|p| SecretSpec {
                    what,
                    source: SecretSource::File(p),
                })
            }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegionsFile;

    #[test]
    fn a_region_lists_its_credential_then_its_tls_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.yaml");
        std::fs::write(
            &path,
            "regions:\n- name: a\n  base_url: https://x\n  auth: {type: bearer, token_env: TOKEN}\n  tls: {ca_file: ca.pem}\n",
        )
        .unwrap();
        let file = RegionsFile::load(&path).unwrap();
        let sources = file.regions[0].secret_sources();
        assert_eq!(
            sources,
            [
                SecretSpec {
                    what: "bearer token",
                    source: SecretSource::Env("TOKEN")
                },
                SecretSpec {
                    what: "CA bundle",
                    source: SecretSource::File(&dir.path().join("ca.pem"))
                },
            ]
        );
    }
}
