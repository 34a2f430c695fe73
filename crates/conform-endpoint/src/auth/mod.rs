//! Access tokens: a static bearer token, or one fetched from a token
//! endpoint (client secret or signed JWT assertion), cached and refreshed
//! before it expires.

mod jwt;
mod token;

use crate::error::EndpointError;
use crate::redact::Redactor;
use crate::secret::Secret;
use conform_regions::{AuthConfig, JwtAlg};
use std::sync::Mutex;
use std::time::{Duration, Instant};
pub(crate) use token::TokenRequest;

/// Which kind of auth a region uses (for reports and preflight decisions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    None,
    Bearer,
    ClientCredentials,
    /// SMART Backend Services / NHS signed JWT.
    PrivateKeyJwt(JwtAlg),
}

impl AuthKind {
    /// True for SMART Backend Services, where `/.well-known/smart-configuration`
    /// must describe the token endpoint.
    pub fn is_smart(self) -> bool {
        matches!(self, AuthKind::PrivateKeyJwt(_))
    }

    pub fn label(self) -> String {
        match self {
            AuthKind::None => "none".into(),
            AuthKind::Bearer => "bearer".into(),
            AuthKind::ClientCredentials => "client_credentials".into(),
            AuthKind::PrivateKeyJwt(a) => format!("private_key_jwt {}", a.as_str()),
        }
    }
}

enum Source {
    None,
    Static(Secret),
    Fetch(TokenRequest),
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

pub(crate) struct Auth {
    pub kind: AuthKind,
    source: Source,
    cache: Mutex<Option<Cached>>,
}

impl Auth {
    pub fn from_config(cfg: &AuthConfig, redactor: &Redactor) -> Result<Auth, EndpointError> {
        let (kind, source) = match cfg {
            AuthConfig::None => (AuthKind::None, Source::None),
            AuthConfig::Bearer { .. } => (
                AuthKind::Bearer,
                Source::Static(Secret::from_source(
                    cfg.credential().map(|c| c.source),
                    redactor,
                )?),
            ),
            AuthConfig::ClientCredentials { .. } => (
                AuthKind::ClientCredentials,
                Source::Fetch(TokenRequest::from_config(cfg, redactor)?),
            ),
            AuthConfig::PrivateKeyJwt { alg, .. } => (
                AuthKind::PrivateKeyJwt(*alg),
                Source::Fetch(TokenRequest::from_config(cfg, redactor)?),
            ),
        };
        Ok(Auth {
            kind,
            source,
            cache: Mutex::new(None),
        })
    }

    pub fn token_url(&self) -> Option<&str> {
        match &self.source {
            Source::Fetch(t) => Some(t.token_url()),
            _ => None,
        }
    }

    /// The token to send, fetching a new one when none is cached or the
    /// cached one is about to expire.
    pub fn token(
        &self,
        http: &reqwest::blocking::Client,
        budget: Duration,
        redactor: &Redactor,
    ) -> Result<Option<Secret>, EndpointError> {
        let request = match &self.source {
            Source::None => return Ok(None),
            Source::Static(s) => return Ok(Some(s.clone())),
            Source::Fetch(r) => r,
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_ref() {
            if Instant::now() < c.refresh_at {
                return Ok(Some(c.token.clone()));
            }
        }
        let fetched = request.fetch(http, budget, redactor)?;
        let token = fetched.token.clone();
        *cache = Some(Cached {
            token: fetched.token,
            refresh_at: Instant::now() + refresh_after(fetched.expires_in),
        });
        Ok(Some(token))
    }

    /// Forgets a fetched token (after a 401); false when there is nothing
    /// to refresh, so the caller does not retry.
    pub fn invalidate(&self) -> bool {
        if !matches!(self.source, Source::Fetch(_)) {
            return false;
        }
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).take();
        true
    }
}

/// Refresh a fifth of the lifetime (at most a minute) before expiry.
fn refresh_after(expires_in: Duration) -> Duration {
    let margin = (expires_in / 5).min(Duration::from_secs(60));
    expires_in.saturating_sub(margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn refreshes_before_expiry() {
        assert_eq!(
            refresh_after(Duration::from_secs(300)),
            Duration::from_secs(240)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(3600)),
            Duration::from_secs(3540)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(2)),
            Duration::from_millis(1600)
        );
    }
}
