//! What a command runs with, decided once for every command: `conform.toml`
//! (found in the current folder or a parent, or named), the environment and
//! the command line merged into [`Settings`], and from those the validator
//! (base packages, the profile pack's packages and rules, `--ig`s) that
//! `validate`, `baseline`, `probe`, `scenario` and `fhirpath` share.
//!
//! Failures are typed ([`SetupError`]) so the command line decides exit codes
//! from the kind of failure, never from message text.

mod config;
mod load;

pub use config::{Overrides, RuleOverrides, Settings, DEFAULT_BASE, FILE_NAME, MAX_DEPTH_CEILING};
pub use load::{LoadOptions, PackDefinitions};

/// Why a command could not be set up.
#[derive(Debug)]
pub enum SetupError {
    /// The configuration, a pack or an argument is wrong (the user's to fix).
    Usage(String),
    /// A package could not be resolved or read; a registry that could not be
    /// reached is infrastructure, see [`SetupError::is_infrastructure`].
    Package(conform_packages::PackageError),
}

impl SetupError {
    /// A network or registry failure rather than the user's input.
    pub fn is_infrastructure(&self) -> bool {
        matches!(
            self,
            SetupError::Package(
                conform_packages::PackageError::Network { .. }
                    | conform_packages::PackageError::Registry { .. }
            )
        )
    }
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Usage(m) => f.write_str(m),
            SetupError::Package(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl From<conform_packages::PackageError> for SetupError {
    fn from(e: conform_packages::PackageError) -> Self {
        SetupError::Package(e)
    }
}
