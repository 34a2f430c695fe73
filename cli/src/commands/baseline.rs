//! `conform baseline write`: validate as `conform validate` does and store
//! the findings, so later runs (`validate --baseline FILE`) fail only on
//! new ones.

use super::validate::{collect, prepare, Selection};
use crate::exit::{Code, Failure, Outcome};
use conform_baseline::Baseline;
use conform_setup::Settings;
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate and store the findings (errors and warnings) as a baseline.
    Write {
        #[command(flatten)]
        selection: Selection,
        /// The baseline file to write.
        #[arg(
            long,
            short = 'o',
            value_name = "FILE",
            default_value = "conform-baseline.json"
        )]
        output: PathBuf,
    },
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    let Command::Write { selection, output } = cmd;
    let prepared = prepare(settings, selection)?;
    if !prepared.input_errors.is_empty() {
        let names: Vec<&str> = prepared
            .input_errors
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        return Err(Failure::usage(format!(
            "no baseline written: {} named nothing to validate",
            names.join(", ")
        )));
    }
    let report = collect(&prepared);
    let cwd = std::env::current_dir().unwrap_or_default();
    let baseline = Baseline::from_report(&report, &cwd);
    baseline
        .save(output)
        .map_err(|e| Failure::usage(e.to_string()))?;
    eprintln!(
        "conform: wrote {} finding{} from {} file{} to {}",
        baseline.findings.len(),
        if baseline.findings.len() == 1 {
            ""
        } else {
            "s"
        },
        report.summary.files,
        if report.summary.files == 1 { "" } else { "s" },
        output.display()
    );
    Ok(Code::Pass)
}
