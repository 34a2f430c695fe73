//! `conform validate`: load plans, validate inputs, triage them against a
//! baseline and waivers, render.

use crate::exit::{Code, Failure, Outcome};
use crate::{output, progress};
use conform_baseline::Gate;
use conform_outcome::validate::{Collector, ValidationReport};
use conform_setup::{LoadOptions, Settings};
use conform_validate::{collect_inputs, Validator};
use conform_writers::{validation_groups, Format, SarifOptions, TextOptions, TextSink};
use std::io::IsTerminal;
use std::path::PathBuf;

/// What to validate and with which definitions: shared by `validate` and
/// `baseline write`.
#[derive(clap::Args)]
pub struct Selection {
    /// Files, folders (recursive *.json, *.ndjson) or - for standard input.
    #[arg(value_name = "PATH", default_value = "-")]
    paths: Vec<String>,
    /// Also load an implementation guide: id#version, a .tgz, a package
    /// folder, or loose conformance resources in a file or folder.
    #[arg(long = "ig", value_name = "PACKAGE")]
    igs: Vec<String>,
    /// Validate the top-level resources against this profile (canonical
    /// URL) as well; repeatable.
    #[arg(long = "profile", value_name = "URL")]
    profiles: Vec<String>,
    /// Ignore the profiles resources declare in meta.profile.
    #[arg(long)]
    no_meta_profiles: bool,
    /// Do not evaluate the definitions' invariants (FHIRPath constraints).
    #[arg(long)]
    no_invariants: bool,
    /// Do not read or write the compiled-plan cache.
    #[arg(long)]
    no_cache: bool,
    /// Print what loading cost (to standard error).
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Validate only part K of N of the inputs (whole files by their place
    /// in the list, NDJSON by blocks of 1,000 lines), for parallel CI jobs
    /// whose reports `conform report merge` joins.
    #[arg(long, value_name = "K/N", value_parser = conform_validate::Shard::parse)]
    shard: Option<conform_validate::Shard>,
    #[command(flatten)]
    rules: super::rule_flags::RuleFlags,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    selection: Selection,
    /// Output format (default: conform.toml's `format`, else text).
    #[arg(long, short = 'f', value_name = "FORMAT",
          value_parser = |name: &str| Format::parse_for(name, "validate", FORMATS))]
    format: Option<Format>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also show information findings (codes not checked offline...).
    #[arg(long)]
    info: bool,
    /// Fail only on findings not in this baseline (from `conform baseline
    /// write`); baselined ones are still shown, marked.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Waiver file (TOML, see docs/waivers.md): waived findings do not fail
    /// the run; an expired waiver does.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
}

/// A validator ready to run and the inputs it will read.
pub struct Prepared {
    validator: Validator,
    inputs: Vec<conform_validate::Input>,
    shard: conform_validate::Shard,
    /// Paths that named nothing (exit 2 after the run).
    pub input_errors: Vec<conform_validate::InputError>,
}

/// Loads the definitions and the pack's profiles and rules, and finds the
/// inputs.
pub fn prepare(settings: &Settings, sel: &Selection) -> Result<Prepared, Failure> {
    let validator = settings.validator(&LoadOptions {
        igs: sel.igs.clone(),
        profiles: sel.profiles.clone(),
        meta_profiles: !sel.no_meta_profiles,
        invariants: !sel.no_invariants,
        no_cache: sel.no_cache,
        verbose: sel.verbose,
        rules: sel.rules.overrides(),
    })?;
    let (inputs, input_errors) = collect_inputs(&sel.paths);
    Ok(Prepared {
        validator,
        inputs,
        shard: sel.shard.unwrap_or(conform_validate::Shard::WHOLE),
        input_errors,
    })
}

/// Validates everything into one report (for formats written whole).
/// What a report says before anything is validated: the packages loaded,
/// substituted and left out.
fn report_head(p: &Prepared) -> ValidationReport {
    let resolved = p.validator.resolved_packages();
    ValidationReport {
        packages: p.validator.plans().packages.clone(),
        substitutions: conform_packages::substitutions_used(resolved),
        missing_packages: conform_packages::missing_dependencies(resolved),
        ..ValidationReport::default()
    }
}

pub fn collect(p: &Prepared) -> ValidationReport {
    let mut sink = Collector {
        report: report_head(p),
    };
    progress::validate(&p.validator, &p.inputs, p.shard, &p.input_errors, &mut sink);
    let mut report = sink.report;
    if let Some((index, count)) = p.shard.number() {
        // Where each file stood in the whole input list, so the merged
        // shards keep the unsharded order.
        report.shard = Some(conform_outcome::validate::ShardInfo { index, count });
        let place: std::collections::HashMap<String, usize> = p
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| (input.name(), i))
            .collect();
        for f in &mut report.files {
            f.order = place.get(&f.path).copied();
        }
    }
    report
}

/// The formats `conform validate` writes (and `report merge`).
pub const FORMATS: &[Format] = &[
    Format::Text,
    Format::Json,
    Format::OperationOutcome,
    Format::Junit,
    Format::Sarif,
];

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    let format = match (args.format, settings.default_format.as_deref()) {
        (Some(format), _) => Ok(format),
        (None, Some(name)) => Format::parse_for(name, "validate", FORMATS),
        (None, None) => Ok(Format::Text),
    }
    .map_err(Failure::usage)?;
    let gate = Gate::load(args.baseline.as_deref(), args.waivers.as_deref())
        .map_err(|e| Failure::usage(e.to_string()))?;
    let prepared = prepare(settings, &args.selection)?;
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = TextOptions {
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        show_information: args.info,
    };
    let failed = match (format, &gate) {
        // Streamed: findings show as files are validated.
        (Format::Text, None) => {
            let mut sink = TextSink::new(output::open(args.output.as_deref())?, text);
            let p = &prepared;
            progress::validate(&p.validator, &p.inputs, p.shard, &p.input_errors, &mut sink);
            let failed = sink.summary.fails();
            sink.finish();
            failed
        }
        // Streamed too, so a huge input never sits in memory as a report;
        // a shard's report also says where each file stood, so it is
        // written whole.
        (Format::Json, None) if prepared.shard.number().is_none() => {
            let head = report_head(&prepared);
            let out = output::open(args.output.as_deref())?;
            let mut sink = conform_writers::JsonSink::new(std::io::BufWriter::new(out), &head);
            let p = &prepared;
            progress::validate(&p.validator, &p.inputs, p.shard, &p.input_errors, &mut sink);
            let summary = sink
                .finish()
                .map_err(|e| Failure::usage(format!("cannot write the JSON report: {e}")))?;
            summary.fails()
        }
        _ => write_whole(settings, args, format, text, gate.as_ref(), &prepared)?,
    };
    super::tx::note(settings);
    let code = if !prepared.input_errors.is_empty() {
        Code::Usage
    } else if failed {
        Code::Findings
    } else {
        Code::Pass
    };
    // The process ends next: freeing the plans' hundreds of thousands of
    // allocations one by one would cost a fifth of a short run's CPU.
    std::mem::forget(prepared);
    Ok(code)
}

/// Validates into one report, triages it when a baseline or waivers are
/// given, and writes it; whether the run fails.
fn write_whole(
    settings: &Settings,
    args: &Args,
    format: Format,
    text: TextOptions,
    gate: Option<&Gate>,
    prepared: &Prepared,
) -> Result<bool, Failure> {
    let mut report = collect(prepared);
    let cwd = std::env::current_dir().unwrap_or_default();
    let assessment = gate.map(|g| g.triage(&mut report, &cwd, conform_baseline::today()));
    let failed = match &assessment {
        Some(a) => a.fails(),
        None => report.summary.fails(),
    };
    write_report(
        settings,
        &report,
        format,
        text,
        args.info,
        args.output.as_deref(),
    )?;
    if let (Some(g), Some(a)) = (gate, &assessment) {
        for line in g.explain(a) {
            eprintln!("conform: {line}");
        }
    }
    Ok(failed)
}

/// Writes a whole report in `format` (to `out`, or standard output): what
/// `validate` writes, and `report merge` for joined shards.
pub fn write_report(
    settings: &Settings,
    report: &ValidationReport,
    format: Format,
    text: TextOptions,
    show_information: bool,
    out: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let cwd = std::env::current_dir().unwrap_or_default();
    match format {
        Format::Json => output::write(out, &conform_writers::render_json(report))?,
        Format::OperationOutcome => {
            output::write(out, &conform_writers::render_operation_outcome(report))?
        }
        Format::Junit => output::write(out, &conform_writers::render_junit(report))?,
        Format::Sarif => {
            let describe = |id: &str| settings.describe_rule(id);
            let mut properties = serde_json::Map::new();
            properties.insert("packages".into(), serde_json::json!(report.packages));
            if !report.substitutions.is_empty() {
                let subs = serde_json::json!(report.substitutions);
                properties.insert("substitutions".into(), subs);
            }
            if !report.missing_packages.is_empty() {
                let missing = serde_json::json!(report.missing_packages);
                properties.insert("missing_packages".into(), missing);
            }
            let sarif = conform_writers::render_sarif(
                &validation_groups(report),
                &SarifOptions {
                    include_information: show_information,
                    describe: Some(&describe),
                    base_dir: Some(&cwd),
                    properties,
                },
            );
            output::write(out, &sarif)?
        }
        // Text, marked with the triage (FORMATS holds no other).
        _ => {
            let mut sink = TextSink::new(output::open(out)?, text);
            sink.write_report(report);
            sink.finish();
        }
    }
    Ok(())
}
