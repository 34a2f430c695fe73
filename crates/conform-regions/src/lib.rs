//! The regions file (`regions.yaml`): which FHIR endpoints conform talks to,
//! with their auth, TLS, headers, limits, organisations and roles. Its own
//! crate so that readers of the file that never send a request (the
//! scorecard) do not depend on the HTTP client; `conform-endpoint` builds
//! clients from these types and re-exports them. The format is documented in
//! docs/regions.md.

mod duration;
mod env_expand;
mod file;
mod gp_connect;
mod secrets;

pub use duration::parse_duration;
pub use env_expand::{expand_env, expand_env_in};
pub use file::{
    AuthConfig, CareSetting, JwtAlg, Organisation, Region, RegionsError, RegionsFile, SecretMethod,
    TlsConfig, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RETRIES, DEFAULT_TIMEOUT,
    MAX_REGIONS_FILE_BYTES,
};
pub use gp_connect::{GpConnectSettings, ProbeProfile};
pub use secrets::{SecretSource, SecretSpec};
