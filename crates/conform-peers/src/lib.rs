//! Real peers for integration tests, all on 127.0.0.1 and stopped on drop:
//!
//! * [`Sekmet`]: a SEKMET FHIR R4 server (optionally a SMART Backend
//!   Services authorisation server), installed on first use into
//!   `target/peers/venv` and seeded with our fixtures;
//! * [`MtlsFront`]: Debian's nginx terminating TLS, requiring a client
//!   certificate from a throwaway [`TestPki`], in front of a peer;
//! * [`JwksTokenServer`]: a token endpoint that verifies signed client
//!   assertions (RS512 among others) against a public JWK;
//! * [`FaultServer`]: hostile HTTP behaviour on demand (slow, truncated,
//!   huge, malformed, wrong type, foreign redirect, 429, 503);
//! * [`GpConnectProvider`]: a stand-in for a GP Connect (STU3) provider,
//!   serving NHS England's published examples and enforcing the provider
//!   contract (SSP headers, interaction ids, the audit JWT, the error
//!   contract), with a [`GpcFault`] to break each rule;
//! * [`BarsReceiver`]: a stand-in for the BaRS proxy and a receiving
//!   emergency department ($process-message, ServiceRequest search),
//!   enforcing the message contract, with a [`BarsFault`] to break each rule;
//! * [`SspDocuments`]: a stand-in for the Spine Secure Proxy relaying a
//!   custodian's documents in their native form (S4's care plan PDF), with
//!   an [`SspFault`] to break each promise;
//! * [`LaunchEndpoint`]: a stand-in for a shared care record's in-context
//!   launch endpoint over TLS, which shows no patient data without sign-in
//!   (S7), with a [`LaunchBehaviour`] to break that;
//! * [`TxServer`]: a FHIR R4 terminology server stand-in ($validate-code,
//!   $lookup, $expand, batches, OAuth2 client credentials) serving package
//!   CodeSystems/ValueSets and our SNOMED CT test subset, with a [`TxFault`]
//!   to make it slow or broken.
//!
//! Keys and certificates come from [`KeyPair`] and [`TestPki`] (openssl).
//! Errors are strings: a test that cannot start its peer should fail with
//! the reason, never pass.

mod bars;
mod fault;
mod gp_connect;
mod gpc_corrections;
mod httpd;
mod install;
mod keys;
mod launch;
mod nginx;
mod pki;
mod process;
mod sekmet;
mod ssp_documents;
mod token_server;
mod tx_server;

pub use bars::{BarsFault, BarsReceiver};
pub use fault::{Fault, FaultServer};
pub use gp_connect::{GpConnectProvider, GpcFault};
pub use httpd::{respond, HttpRequest, Server};
pub use install::{
    chromium_binary, nginx_binary, peers_dir, sekmet_binary, DebianProgram, CHROMIUM, NGINX,
};
pub use keys::KeyPair;
pub use launch::{LaunchBehaviour, LaunchEndpoint, CIS2_SIGN_IN};
pub use nginx::MtlsFront;
pub use pki::TestPki;
pub use process::free_port;
pub use sekmet::{Sekmet, SekmetBuilder, SmartClient};
pub use ssp_documents::{SspDocuments, SspFault, SSP_RETRIEVAL_INTERACTION};
pub use token_server::JwksTokenServer;
pub use tx_server::{TxFault, TxServer, TxServerOptions, MAX_BATCH_ENTRIES};

/// What every peer function returns: a clear reason when it cannot start.
pub type PeerResult<T> = Result<T, String>;

/// The workspace's fixtures folder (seed data for the servers).
pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}
