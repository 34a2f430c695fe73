//! `conform validate`: load plans, validate inputs, triage them against a
//! baseline and waivers, and write the report as results arrive.

use crate::exit::{Code, Failure, Outcome};
use crate::{output, progress};
use conform_baseline::Gate;
use conform_outcome::validate::{replay, Collector, Summary, ValidationReport};
use conform_setup::{LoadOptions, Settings};
use conform_validate::{collect_inputs, Validator};
use conform_writers::{Format, ReportOptions, ReportWriter, TextOptions};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

/// What to validate and with which definitions: shared by `validate` and
/// `baseline write`.
#[derive(clap::Args)]
pub struct Selection {
    /// Files, folders (recursive *.json, *.ndjson, *.jsonl, *.xml) or - for standard input.
    #[arg(value_name = "PATH", default_value = "-")]
    paths: Vec<String>,
    /// Also load an implementation guide: id#version, a .tgz, a package
    /// folder, or loose conformance resources (JSON or FHIR XML) in a file or
    /// folder.
    #[arg(long = "ig", value_name = "PACKAGE")]
    igs: Vec<String>,
    /// Validate the top-level resources against this profile (canonical
    /// URL) as well; repeatable.
    #[arg(long = "profile", value_name = "URL")]
    profiles: Vec<String>,
    /// Validate the entries of every Bundle that RULE takes against PROFILE
    /// (canonical URL): RULE is a resource type (`Patient`), a type and the
    /// number of an entry of that type from 0 (`Composition:0`), or an
    /// entry number (`2`); repeatable (the HL7 validator's -bundle).
    #[arg(long = "bundle-profile", num_args = 2, value_names = ["RULE", "PROFILE"])]
    bundle_profiles: Vec<String>,
    /// Ignore the profiles resources declare in meta.profile.
    #[arg(long)]
    no_meta_profiles: bool,
    /// Do not evaluate the definitions' invariants (FHIRPath constraints).
    #[arg(long)]
    no_invariants: bool,
    /// Resolve references that lead outside each resource (`Type/id`) to
    /// the resources of these files or folders, which are then checked as
    /// the reference policy says (default then: check-valid); repeatable.
    #[arg(long, value_name = "PATH")]
    resolve_from: Vec<PathBuf>,
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
        bundle_profiles: sel
            .bundle_profiles
            .chunks(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect(),
        meta_profiles: !sel.no_meta_profiles,
        invariants: !sel.no_invariants,
        resolve_from: sel.resolve_from.clone(),
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

/// What a report says before anything is validated: the packages loaded,
/// substituted and left out, and which shard it is.
fn report_head(p: &Prepared) -> ValidationReport {
    let resolved = p.validator.resolved_packages();
    ValidationReport {
        packages: p.validator.plans().packages.clone(),
        substitutions: conform_packages::substitutions_used(resolved),
        missing_packages: conform_packages::missing_dependencies(resolved),
        shard: p
            .shard
            .number()
            .map(|(index, count)| conform_outcome::validate::ShardInfo { index, count }),
        ..ValidationReport::default()
    }
}

/// In a shard's report, where each file stood in the whole input list, so
/// the merged shards keep the unsharded order.
fn file_order(p: &Prepared) -> Option<HashMap<String, usize>> {
    p.shard.number()?;
    Some(
        p.inputs
            .iter()
            .enumerate()
            .map(|(i, input)| (input.name(), i))
            .collect(),
    )
}

/// Validates everything into one report (`baseline write`).
pub fn collect(p: &Prepared) -> ValidationReport {
    let mut sink = Collector {
        report: report_head(p),
    };
    progress::validate(&p.validator, &p.inputs, p.shard, &p.input_errors, &mut sink);
    let mut report = sink.report;
    if let Some(place) = file_order(p) {
        for f in &mut report.files {
            f.order = place.get(&f.path).copied();
        }
    }
    report
}

/// The formats `conform validate` writes (and `report merge`).
pub const FORMATS: &[Format] = conform_writers::VALIDATE_FORMATS;

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
    // Every format streams: each result is written (triaged first, with a
    // baseline or waivers) as it is validated.
    let cwd = std::env::current_dir().unwrap_or_default();
    let describe = |id: &str| settings.describe_rule(id);
    let mut writer = report_writer(
        format,
        output::open(args.output.as_deref())?,
        &report_head(&prepared),
        ReportOptions {
            text,
            describe: Some(&describe),
            base_dir: Some(&cwd),
            order: file_order(&prepared),
        },
    )?;
    let p = &prepared;
    let assessment = match &gate {
        Some(gate) => {
            let mut sink = gate.sink(&mut writer, &cwd, conform_baseline::today());
            progress::validate(&p.validator, &p.inputs, p.shard, &p.input_errors, &mut sink);
            Some(sink.finish())
        }
        None => {
            progress::validate(
                &p.validator,
                &p.inputs,
                p.shard,
                &p.input_errors,
                &mut writer,
            );
            None
        }
    };
    let summary = finish(writer)?;
    let failed = match &assessment {
        Some(a) => a.fails(),
        None => summary.fails(),
    };
    if let (Some(g), Some(a)) = (&gate, &assessment) {
        for line in g.explain(a) {
            eprintln!("conform: {line}");
        }
    }
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

/// The report's writer in `format` (one `FORMATS` holds: any other is
/// refused before this).
fn report_writer<'a>(
    format: Format,
    out: Box<dyn std::io::Write + 'a>,
    head: &ValidationReport,
    opts: ReportOptions<'a>,
) -> Result<ReportWriter<'a>, Failure> {
    ReportWriter::new(format, out, head, opts)
        .ok_or_else(|| Failure::usage(format!("validate does not write {} reports", format.name())))
}

/// Ends the report; the run's counts. Standard output closed early (`|
/// head`) is not an error: the reader has what it wanted.
fn finish(writer: ReportWriter) -> Result<Summary, Failure> {
    let summary = writer.summary();
    match writer.finish() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::usage(format!("cannot write the report: {e}")))
        }
        _ => Ok(summary),
    }
}

/// Writes a whole report in `format` (to `out`, or standard output), for
/// `report merge` of joined shards: JSON as the collected document (its
/// summary is the shards' sums), any other format through the writer that
/// streams `validate`.
pub fn write_report(
    settings: &Settings,
    report: &ValidationReport,
    format: Format,
    text: TextOptions,
    out: Option<&std::path::Path>,
) -> Result<(), Failure> {
    if format == Format::Json {
        return output::write(out, &conform_writers::render_json(report));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let describe = |id: &str| settings.describe_rule(id);
    let mut writer = report_writer(
        format,
        output::open(out)?,
        report,
        ReportOptions {
            text,
            describe: Some(&describe),
            base_dir: Some(&cwd),
            order: None,
        },
    )?;
    replay(report, &mut writer);
    finish(writer).map(|_| ())
}
