//! Exit codes, the same for every command (see README).

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    /// Nothing over the threshold.
    Pass = 0,
    /// Findings over the threshold (errors).
    Findings = 1,
    /// Usage, configuration or package problem.
    Usage = 2,
    /// Infrastructure: a network or registry failure.
    Infrastructure = 3,
}

impl From<Code> for ExitCode {
    fn from(c: Code) -> ExitCode {
        ExitCode::from(c as u8)
    }
}

/// An error that ends a command, with the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: Code::Usage,
            message: message.into(),
        }
    }

    pub fn infrastructure(message: impl Into<String>) -> Self {
        Failure {
            code: Code::Infrastructure,
            message: message.into(),
        }
    }
}

impl From<conform_packages::PackageError> for Failure {
    fn from(e: conform_packages::PackageError) -> Self {
        // A registry we could not reach is infrastructure, not the user's input.
        let code = match e {
            conform_packages::PackageError::Network { .. }
            | conform_packages::PackageError::Registry { .. } => Code::Infrastructure,
            _ => Code::Usage,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<conform_setup::SetupError> for Failure {
    fn from(e: conform_setup::SetupError) -> Self {
        let code = if e.is_infrastructure() {
            Code::Infrastructure
        } else {
            Code::Usage
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

pub type Outcome = Result<Code, Failure>;
