//! `conform report merge`: the reports of the shards of one run
//! (`conform validate --shard K/N`, one CI job each) joined into one, with
//! the exit code the unsharded run would have had.

use super::validate::{write_report, FORMATS};
use crate::exit::{Code, Failure, Outcome};
use crate::output;
use conform_outcome::validate::{merge, Document, SCHEMA};
use conform_setup::Settings;
use conform_writers::{Format, TextOptions};
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Join shard reports: conform.validate/1 JSON (`-f json`, lossless,
    /// written in any format), or SARIF, or JUnit (each joined as such).
    Merge {
        /// The shards' reports, all of one format.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// Output format for JSON shards (default json); SARIF and JUnit
        /// shards are written in their own format.
        #[arg(long, short = 'f', value_name = "FORMAT",
              value_parser = |name: &str| Format::parse_for(name, "report merge", FORMATS))]
        format: Option<Format>,
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also show information findings (text, SARIF).
        #[arg(long)]
        info: bool,
    },
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    let Command::Merge {
        files,
        format,
        output: out,
        info,
    } = cmd;
    let texts = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", f.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let usage = |e: String| Failure::usage(format!("conform report merge: {e}"));
    let failed = if texts.iter().all(|t| t.trim_start().starts_with('<')) {
        let (joined, failed) = conform_writers::merge::merge_junit(&texts).map_err(usage)?;
        output::write(out.as_deref(), &joined)?;
        failed
    } else {
        let values = texts
            .iter()
            .zip(files)
            .map(|(t, f)| {
                serde_json::from_str::<serde_json::Value>(t)
                    .map_err(|e| usage(format!("{} is not JSON or JUnit XML: {e}", f.display())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if values.iter().all(|v| v["schema"] == SCHEMA) {
            let docs = values
                .into_iter()
                .map(serde_json::from_value::<Document>)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| usage(format!("a {SCHEMA} document that does not read: {e}")))?;
            let report = merge(docs).map_err(usage)?;
            let text = TextOptions {
                color: false,
                show_information: *info,
            };
            let format = format.unwrap_or(Format::Json);
            write_report(settings, &report, format, text, out.as_deref())?;
            report.summary.fails()
        } else if values.iter().all(|v| v["runs"].is_array()) {
            let (joined, failed) = conform_writers::merge::merge_sarif(&values).map_err(usage)?;
            let text = serde_json::to_string_pretty(&joined).unwrap_or_default() + "\n";
            output::write(out.as_deref(), &text)?;
            failed
        } else {
            return Err(usage(format!(
                "the reports are not all {SCHEMA} JSON, SARIF or JUnit of one kind"
            )));
        }
    };
    Ok(if failed { Code::Findings } else { Code::Pass })
}
