//! Response bodies through our validator (with the pack's profiles).

/// Validates one response body; the error findings as sentences. Shared by
/// the regions probed at once, so it must be usable from several threads.
pub trait BodyValidator: Sync {
    fn errors(&self, body: &[u8]) -> Vec<String>;
}

impl BodyValidator for conform_validate::Validator {
    fn errors(&self, body: &[u8]) -> Vec<String> {
        self.validate_bytes(body, 1)
            .findings
            .into_iter()
            .filter(|f| f.severity.is_error())
            .map(|f| format!("{}: {} [{}]", f.expression(), f.message, f.rule))
            .collect()
    }
}
