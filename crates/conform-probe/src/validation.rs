//! Response bodies through our validator (with the pack's profiles).

use conform_outcome::validate::MustSupportReport;

/// Validates one response body; the error findings as sentences. Shared by
/// the regions probed at once, so it must be usable from several threads.
pub trait BodyValidator: Sync {
    fn errors(&self, body: &[u8]) -> Vec<String>;

    /// [`Self::errors`], adding the body's Must-Support tallies to `tally`
    /// when the validator records them (`Options::must_support`).
    fn errors_tallied(&self, body: &[u8], tally: &mut MustSupportReport) -> Vec<String> {
        let _ = tally;
        self.errors(body)
    }
}

impl BodyValidator for conform_validate::Validator {
    fn errors(&self, body: &[u8]) -> Vec<String> {
        self.errors_tallied(body, &mut MustSupportReport::default())
    }

    fn errors_tallied(&self, body: &[u8], tally: &mut MustSupportReport) -> Vec<String> {
        let mut result = self.validate_bytes(body, 1);
        tally.take_from(&mut result);
        result.error_sentences()
    }
}
