//! `--keep-patient-data`, shared by `probe` and `scenario run`: evidence
//! is pseudonymised by default (docs/patient-data.md); keeping the data is
//! for a local run, and refused in CI unless asked for twice.

use crate::exit::Failure;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct PatientDataArgs {
    /// Keep patients' NHS numbers, names, birth dates, addresses and
    /// telecom in the evidence instead of pseudonyms (for a local run;
    /// see docs/patient-data.md). Refused when CI=true unless
    /// --i-understand-patient-data-is-kept is given too.
    #[arg(long)]
    keep_patient_data: bool,
    /// With --keep-patient-data under CI=true: keep it all the same, in
    /// artefacts that anyone who can download them will read.
    #[arg(long, requires = "keep_patient_data")]
    i_understand_patient_data_is_kept: bool,
}

impl PatientDataArgs {
    /// Whether to keep patient data, or why not (exit 2).
    pub fn keep(&self) -> Result<bool, Failure> {
        self.keep_in(in_ci())
    }

    fn keep_in(&self, ci: bool) -> Result<bool, Failure> {
        if self.keep_patient_data && ci && !self.i_understand_patient_data_is_kept {
            return Err(Failure::usage(
                "--keep-patient-data is refused in CI (CI=true): evidence there becomes artefacts that many people can download. \
                 Give --i-understand-patient-data-is-kept as well to keep it anyway (docs/patient-data.md)",
            ));
        }
        Ok(self.keep_patient_data)
    }
}

/// `CI` set to `true` (or `1`), as CI services set it.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v == "1"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeping_is_refused_in_ci_unless_understood() {
        let keep = PatientDataArgs {
            keep_patient_data: true,
            ..Default::default()
        };
        assert!(keep.keep_in(false).unwrap());
        assert!(keep.keep_in(true).is_err());
        let understood = PatientDataArgs {
            keep_patient_data: true,
            i_understand_patient_data_is_kept: true,
        };
        assert!(understood.keep_in(true).unwrap());
        assert!(!PatientDataArgs::default().keep_in(true).unwrap());
    }
}
