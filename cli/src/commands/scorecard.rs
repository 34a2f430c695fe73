//! `conform scorecard`: readiness scorecards per region and the national
//! roll-up from evidence files (docs/scorecards.md).

use crate::exit::{Code, Failure, Outcome};
use conform_regions::RegionsFile;
use conform_scorecard::{time, Definition, Gate, History};
use conform_writers::scorecard::{render, FORMATS};
use conform_writers::Format;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Evidence folder: <region>/*.json (validate, probe, scenario
    /// reports), <region>/payloads/, <region>/attestations.yaml.
    #[arg(long, value_name = "DIR")]
    evidence: PathBuf,
    /// The regions file: which regions to score and their organisations.
    #[arg(long, value_name = "FILE")]
    regions: PathBuf,
    /// Scorecard definition (default: the MVS one, testkits/mvs/scorecard.yaml).
    #[arg(long, value_name = "FILE")]
    definition: Option<PathBuf>,
    /// Output format: table, json, markdown, html or junit.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "table",
          value_parser = |name: &str| Format::parse_for(name, "scorecard", FORMATS))]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// History store (an embedded database file, created when missing):
    /// adds the change per criterion since the last run, and records this run.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// With --history: also show the change since this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "history")]
    since: Option<String>,
    /// With --history: compare only, do not record this run.
    #[arg(long, requires = "history")]
    no_record: bool,
    /// When this run was taken (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; default now).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// What fails the run (exit 1): definition (its `gate`, the default),
    /// red (overall or a gating criterion Red), overall, gating, off.
    #[arg(long, value_name = "GATE", default_value = "definition")]
    gate: String,
}

pub fn run(args: &Args) -> Outcome {
    let usage = |e: conform_scorecard::ScorecardError| Failure::usage(e.to_string());
    let mut def = match &args.definition {
        Some(p) => Definition::load(p).map_err(usage)?,
        None => Definition::mvs(),
    };
    def.gate = match args.gate.as_str() {
        "definition" => def.gate,
        "red" => Gate {
            overall_red: true,
            gating_red: true,
        },
        "overall" => Gate {
            overall_red: true,
            gating_red: false,
        },
        "gating" => Gate {
            overall_red: false,
            gating_red: true,
        },
        "off" => Gate {
            overall_red: false,
            gating_red: false,
        },
        other => {
            return Err(Failure::usage(format!(
                "unknown gate '{other}' (use definition, red, overall, gating or off)"
            )))
        }
    };
    let regions = RegionsFile::load(&args.regions).map_err(|e| Failure::usage(e.to_string()))?;
    let at = match &args.at {
        Some(t) => time::parse(t, false).map_err(Failure::usage)?,
        None => time::now(),
    };
    let since = match &args.since {
        Some(d) => Some(time::parse(d, true).map_err(Failure::usage)?),
        None => None,
    };
    let mut report = conform_scorecard::build(&def, &regions, &args.evidence, at).map_err(usage)?;
    if let Some(path) = &args.history {
        let history = History::open(path).map_err(usage)?;
        conform_scorecard::add_trend(&mut report, &history, since.as_deref()).map_err(usage)?;
        if !args.no_record {
            history.record(&report).map_err(usage)?;
        }
    }
    let text = render(&report, args.format);
    crate::output::write(args.output.as_deref(), &text)?;
    Ok(if report.gate_failed() {
        Code::Findings
    } else {
        Code::Pass
    })
}
