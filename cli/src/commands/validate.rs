//! `conform validate`: load plans, validate inputs, render.

use crate::exit::{Code, Failure, Outcome};
use conform_baseline::{Assessment, Baseline, Waivers};
use conform_outcome::validate::{Collector, FileFailure, ResourceResult, Sink, ValidationReport};
use conform_outcome::Triage;
use conform_setup::{LoadOptions, Settings};
use conform_validate::{collect_inputs, Validator};
use conform_writers::{validation_groups, Format, SarifOptions, TextOptions, TextSink};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
    })?;
    let (inputs, input_errors) = collect_inputs(&sel.paths);
    Ok(Prepared {
        validator,
        inputs,
        input_errors,
    })
}

/// Validates everything into one report (for formats written whole).
pub fn collect(p: &Prepared) -> ValidationReport {
    let progress = progress_bar(p.inputs.len());
    let mut sink = Collector::default();
    sink.report.packages = p.validator.plans().packages.clone();
    drive(
        &p.validator,
        &p.inputs,
        &p.input_errors,
        &mut sink,
        &progress,
    );
    sink.report
}

/// The formats `conform validate` writes.
const FORMATS: &[Format] = &[
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
    let gate = Gate::load(args.baseline.as_deref(), args.waivers.as_deref())?;
    let prepared = prepare(settings, &args.selection)?;
    let input_errors = &prepared.input_errors;

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
    let text_options = TextOptions {
        color,
        show_information: args.info,
    };
    let failed: bool;
    let rendered: Option<String> = if format == Format::Text && gate.is_none() {
        // Streamed: findings show as files are validated.
        let mut sink = TextSink::new(open_output(args.output.as_ref())?, text_options);
        let progress = progress_bar(prepared.inputs.len());
        drive(
            &prepared.validator,
            &prepared.inputs,
            input_errors,
            &mut sink,
            &progress,
        );
        failed = sink.summary.errors > 0 || sink.summary.unreadable > 0;
        sink.finish();
        None
    } else {
        let mut report = collect(&prepared);
        let cwd = std::env::current_dir().unwrap_or_default();
        let assessment = gate.as_ref().map(|g| g.assess(&report, &cwd));
        failed = match &assessment {
            Some(a) => a.fails(),
            None => report.summary.errors > 0 || report.summary.unreadable > 0,
        };
        if let Some(a) = &assessment {
            attach_triage(&mut report, &a.triage);
        }
        let rendered = match format {
            Format::Json => Some(conform_writers::render_json(&report)),
            Format::OperationOutcome => Some(conform_writers::render_operation_outcome(&report)),
            Format::Junit => Some(conform_writers::render_junit(&report)),
            Format::Sarif => {
                let national = rule_descriptions(settings);
                let describe = |id: &str| {
                    national
                        .get(id)
                        .cloned()
                        .or_else(|| conform_validate::describe_rule(id).map(String::from))
                };
                let mut properties = serde_json::Map::new();
                properties.insert("packages".into(), serde_json::json!(report.packages));
                Some(conform_writers::render_sarif(
                    &validation_groups(&report),
                    &SarifOptions {
                        include_information: args.info,
                        describe: Some(&describe),
                        base_dir: Some(&cwd),
                        properties,
                    },
                ))
            }
            // Text, marked with the triage (FORMATS holds no other).
            _ => {
                let mut sink = TextSink::new(open_output(args.output.as_ref())?, text_options);
                sink.write_report(&report);
                sink.finish();
                None
            }
        };
        if let (Some(g), Some(a)) = (&gate, &assessment) {
            g.explain(a);
        }
        rendered
    };
    if let Some(text) = rendered {
        match &args.output {
            Some(path) => std::fs::write(path, text)
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?,
            None => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
        }
    }
    Ok(if !input_errors.is_empty() {
        Code::Usage
    } else if failed {
        Code::Findings
    } else {
        Code::Pass
    })
}

fn open_output(path: Option<&PathBuf>) -> Result<Box<dyn Write>, Failure> {
    Ok(match path {
        Some(path) => Box::new(create(path)?),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// The national rules' explanations, for SARIF's rule descriptions.
fn rule_descriptions(settings: &Settings) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(Some(pack)) = settings.pack() {
        for r in &pack.rules {
            out.insert(r.id.clone(), r.why.clone());
        }
    }
    out
}

/// The baseline and waivers a run is compared with.
struct Gate {
    baseline: Option<(PathBuf, Baseline)>,
    waivers: Option<Waivers>,
}

impl Gate {
    fn load(baseline: Option<&Path>, waivers: Option<&Path>) -> Result<Option<Gate>, Failure> {
        if baseline.is_none() && waivers.is_none() {
            return Ok(None);
        }
        let usage = |e: conform_baseline::Error| Failure::usage(e.to_string());
        Ok(Some(Gate {
            baseline: baseline
                .map(|p| Baseline::load(p).map(|b| (p.to_path_buf(), b)))
                .transpose()
                .map_err(usage)?,
            waivers: waivers.map(Waivers::load).transpose().map_err(usage)?,
        }))
    }

    fn assess(&self, report: &ValidationReport, cwd: &Path) -> Assessment {
        conform_baseline::assess(
            &conform_baseline::entries(report, cwd),
            self.baseline.as_ref().map(|(_, b)| b),
            self.waivers.as_ref(),
            conform_baseline::today(),
        )
    }

    /// Says on standard error what the baseline and waivers did.
    fn explain(&self, a: &Assessment) {
        if let Some((path, _)) = &self.baseline {
            eprintln!(
                "conform: baseline {}: {} known finding{}, {} new error{}, {} new warning{}, {} fixed",
                path.display(),
                a.baselined,
                plural(a.baselined),
                a.new_errors,
                plural(a.new_errors),
                a.new_warnings,
                plural(a.new_warnings),
                a.fixed
            );
        }
        if self.waivers.is_some() {
            eprintln!(
                "conform: waivers: {} finding{} waived",
                a.waived,
                plural(a.waived)
            );
        }
        for w in &a.expired {
            eprintln!(
                "conform: error: waiver '{}' (owner {}) expired on {}: renew it or fix the finding",
                w.label(),
                w.owner,
                w.expires
            );
        }
        for w in &a.unmatched {
            eprintln!(
                "conform: warning: waiver '{}' (owner {}) matches no finding: remove it",
                w.label(),
                w.owner
            );
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Gives each outcome its triage. The assessment lists them in report order
/// (a file's failure first, then its findings).
fn attach_triage(report: &mut ValidationReport, triage: &[Triage]) {
    for (outcome, t) in report.outcomes_mut().zip(triage) {
        outcome.triage = Some(t.clone());
    }
}

fn create(path: &PathBuf) -> Result<std::fs::File, Failure> {
    std::fs::File::create(path)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}

/// Validates the inputs into a sink, after reporting the paths that named
/// nothing, ticking the progress bar per file.
fn drive(
    validator: &Validator,
    inputs: &[conform_validate::Input],
    input_errors: &[conform_validate::InputError],
    sink: &mut dyn Sink,
    progress: &ProgressBar,
) {
    report_input_errors(input_errors, sink);
    conform_validate::validate_inputs(
        validator,
        inputs,
        &mut Progress {
            inner: sink,
            bar: progress,
        },
    );
    progress.finish_and_clear();
}

fn report_input_errors(errors: &[conform_validate::InputError], sink: &mut dyn Sink) {
    for e in errors {
        sink.file_start(&e.path);
        sink.file_failed(
            &e.path,
            FileFailure {
                message: e.message.clone(),
            },
        );
        sink.file_end(&e.path);
    }
}

/// A progress bar on standard error for long runs on a terminal.
fn progress_bar(files: usize) -> ProgressBar {
    if files < 50 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} validating {pos}/{len} files {wide_bar} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Passes results on and ticks the progress bar per file.
struct Progress<'a> {
    inner: &'a mut dyn Sink,
    bar: &'a ProgressBar,
}

impl Sink for Progress<'_> {
    fn file_start(&mut self, name: &str) {
        self.inner.file_start(name);
    }
    fn resource(&mut self, name: &str, result: ResourceResult) {
        self.inner.resource(name, result);
    }
    fn file_failed(&mut self, name: &str, failure: FileFailure) {
        self.inner.file_failed(name, failure);
    }
    fn file_end(&mut self, name: &str) {
        self.bar.inc(1);
        self.inner.file_end(name);
    }
}
