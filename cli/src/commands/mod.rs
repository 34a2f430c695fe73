pub mod baseline;
pub mod completions;
pub mod convert;
pub mod doctor;
pub mod fhirpath;
pub mod init;
pub mod listing;
pub mod man;
pub mod package;
pub mod patient_data;
pub mod probe;
pub mod profiles;
pub mod report;
pub mod rule_flags;
pub mod rules;
pub mod scenario;
pub mod scorecard;
pub mod seed;
pub mod snapshot;
pub mod tx;
pub mod validate;

/// A command's one input: a file, or `-` for standard input.
pub(crate) fn read_input(file: &str) -> Result<Vec<u8>, crate::exit::Failure> {
    use std::io::Read;
    let usage = crate::exit::Failure::usage;
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(file).map_err(|e| usage(format!("cannot read {file}: {e}")))
}
