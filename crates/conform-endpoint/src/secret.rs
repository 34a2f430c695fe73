//! A secret value: read from an environment variable or a file, registered
//! with the redactor when read, never shown by `Debug`.

use crate::error::EndpointError;
use crate::redact::Redactor;
use conform_regions::SecretSource;
use std::path::Path;

#[derive(Clone)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl Secret {
    pub(crate) fn new(value: String, redactor: &Redactor) -> Secret {
        redactor.add(&value);
        Secret(value)
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_env(var: &str, redactor: &Redactor) -> Result<Secret, EndpointError> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim().to_string(), redactor)),
            _ => Err(EndpointError::config(format!(
                "the environment variable {var} is not set (it should hold the secret)"
            ))),
        }
    }

    pub(crate) fn from_file(path: &Path, redactor: &Redactor) -> Result<Secret, EndpointError> {
        let v = std::fs::read_to_string(path).map_err(|e| {
            EndpointError::config(format!("cannot read secret file {}: {e}", path.display()))
        })?;
        Ok(Secret::new(v.trim().to_string(), redactor))
    }

    /// The secret from where the regions file says it is
    /// ([`conform_regions::AuthConfig::credential`]).
    pub(crate) fn from_source(
        source: Option<SecretSource>,
        redactor: &Redactor,
    ) -> Result<Secret, EndpointError> {
        match source {
            Some(SecretSource::Env(var)) => Secret::from_env(var, redactor),
            Some(SecretSource::File(path)) => Secret::from_file(path, redactor),
            None => Err(EndpointError::config("no secret source")),
        }
    }
}
