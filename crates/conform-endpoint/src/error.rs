//! What can go wrong talking to an endpoint. Messages are already redacted
//! when they leave [`crate::Endpoint`].

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The configuration (regions file, key, certificate, secret) is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// No connection could be made (refused, DNS, TLS handshake).
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The request (all attempts together) took longer than allowed.
    #[error("{url}: no complete response within {after:?}")]
    Timeout { url: String, after: Duration },
    /// The response body was bigger than the configured limit.
    #[error("{url}: response larger than the {limit}-byte limit")]
    TooLarge { url: String, limit: u64 },
    /// The server redirected somewhere we will not follow.
    #[error("{url}: {message}")]
    Redirect { url: String, message: String },
    /// The connection broke or the body ended early.
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    /// No access token could be had.
    #[error("authorisation: {0}")]
    Auth(String),
}

/// A regions file's error is a configuration error here.
impl From<conform_regions::RegionsError> for EndpointError {
    fn from(e: conform_regions::RegionsError) -> Self {
        EndpointError::Config(e.0)
    }
}

impl EndpointError {
    pub fn config(m: impl Into<String>) -> Self {
        EndpointError::Config(m.into())
    }

    /// True when the endpoint itself could not be talked to (exit code 3).
    pub fn is_infrastructure(&self) -> bool {
        !matches!(self, EndpointError::Config(_))
    }

    /// The same error with every secret the redactor knows masked.
    pub(crate) fn redacted(self, r: &crate::Redactor) -> Self {
        use EndpointError::*;
        match self {
            Config(m) => Config(r.redact(&m)),
            Unreachable { url, message } => Unreachable {
                url: r.redact(&url),
                message: r.redact(&message),
            },
            Timeout { url, after } => Timeout {
                url: r.redact(&url),
                after,
            },
            TooLarge { url, limit } => TooLarge {
                url: r.redact(&url),
                limit,
            },
            Redirect { url, message } => Redirect {
                url: r.redact(&url),
                message: r.redact(&message),
            },
            Transport { url, message } => Transport {
                url: r.redact(&url),
                message: r.redact(&message),
            },
            Auth(m) => Auth(r.redact(&m)),
        }
    }
}
