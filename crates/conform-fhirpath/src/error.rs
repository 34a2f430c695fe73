//! Error types: parse errors carry a byte position so callers can point into
//! the expression; evaluation errors carry only a message.

use std::fmt;

/// A syntax or static (semantic) error in an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the expression text.
    pub position: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        ParseError {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.position, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A run-time error (singleton expected, wrong operand type, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    /// The evaluation hit a resource limit ([`crate::Context::max_steps`])
    /// rather than a fault of the expression or the data.
    pub limit: bool,
}

impl EvalError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
            limit: false,
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// Shorthand for fallible evaluation.
pub type EResult<T> = Result<T, EvalError>;

/// Returns early with an [`EvalError`] built from a format string.
macro_rules! bail {
    ($($t:tt)*) => { return Err($crate::error::EvalError::new(format!($($t)*))) };
}
pub(crate) use bail;
