//! Talking to live FHIR endpoints: the HTTP client (auth, mTLS, extra headers, time-outs, retries on 429/503,
//! response size limits enforced while streaming), a TLS inspection for
//! preflights, and the redaction that keeps secrets out of every output.
//!
//! Nothing here knows what a check is; `conform-probe` and the scenario
//! runner build on [`Endpoint`]. The `regions.yaml` types come from
//! `conform-regions` and are re-exported here for the crates that send.

mod auth;
mod client;
mod error;
pub mod gp_connect;
mod parallel;
mod redact;
mod retry;
mod secret;
mod tls;

pub use auth::AuthKind;
pub use client::{Endpoint, Exchange, Request, Response};
pub use conform_regions::{
    parse_duration, AuthConfig, CareSetting, GpConnectSettings, JwtAlg, Organisation, ProbeProfile,
    Region, RegionsError, RegionsFile, SecretMethod, SecretSource, SecretSpec, TlsConfig,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RETRIES, DEFAULT_TIMEOUT,
};
pub use error::EndpointError;
pub use parallel::map_bounded;
pub use redact::{Redactor, REDACTED};
pub use secret::Secret;
pub use tls::{inspect_tls, TlsReport};
