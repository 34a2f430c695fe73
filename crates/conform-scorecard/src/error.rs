use thiserror::Error;

/// What can go wrong reading a definition, evidence or the history store.
#[derive(Debug, Error)]
pub enum ScorecardError {
    /// A definition, regions, attestation or evidence file that cannot be used.
    #[error("{0}")]
    Input(String),
    /// The history store could not be opened, read or written.
    #[error("history store: {0}")]
    History(String),
}

impl ScorecardError {
    pub(crate) fn input(m: impl Into<String>) -> Self {
        ScorecardError::Input(m.into())
    }
    pub(crate) fn history(e: impl std::fmt::Display) -> Self {
        ScorecardError::History(e.to_string())
    }
}
