//! `conform validate`: load plans, validate inputs, render.

use crate::config::Settings;
use crate::exit::{Code, Failure, Outcome};
use conform_packages::PackageSpec;
use conform_report::{Collector, Format, TextOptions, TextSink};
use conform_validate::{collect_inputs, FileFailure, ResourceResult, Sink, Validator};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
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
    /// Output format: text, json, operationoutcome or junit.
    #[arg(long, short = 'f', value_name = "FORMAT")]
    format: Option<String>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also show information findings (codes not checked offline...).
    #[arg(long)]
    info: bool,
    /// Do not read or write the compiled-plan cache.
    #[arg(long)]
    no_cache: bool,
    /// Print what loading cost (to standard error).
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    let format_name = args
        .format
        .as_deref()
        .or(settings.default_format.as_deref())
        .unwrap_or("text");
    let format = Format::parse(format_name).ok_or_else(|| {
        Failure::usage(format!(
            "unknown format '{format_name}' (use text, json, operationoutcome or junit)"
        ))
    })?;
    let validator = load_validator(settings, &args.igs, args.no_cache, args.verbose)?;
    for url in &args.profiles {
        if !validator.has_profile(url) {
            return Err(Failure::usage(format!(
                "the profile {url} is not in the loaded packages (add the package that defines it with --ig)"
            )));
        }
    }
    let validator = validator.with_options(conform_validate::Options {
        invariants: !args.no_invariants,
        ..Default::default()
    });
    let validator = validator.with_profiles(conform_validate::ProfileSelection {
        explicit: args.profiles.clone(),
        per_type: settings
            .pack()?
            .map(|p| p.profiles.clone())
            .unwrap_or_default(),
        meta_profiles: !args.no_meta_profiles,
    });
    let (inputs, input_errors) = collect_inputs(&args.paths);

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let progress = progress_bar(inputs.len());
    let mut summary_errors = 0;
    let unreadable;
    let rendered: Option<String> = match format {
        Format::Text => {
            let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
            let opts = TextOptions {
                color,
                show_information: args.info,
            };
            let out: Box<dyn Write> = match &args.output {
                Some(path) => Box::new(create(path)?),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut sink = TextSink::new(out, opts);
            drive(&validator, &inputs, &input_errors, &mut sink, &progress);
            summary_errors += sink.summary.errors;
            unreadable = sink.summary.unreadable;
            sink.finish();
            None
        }
        _ => {
            let mut sink = Collector::default();
            sink.report.packages = validator.plans().packages.clone();
            drive(&validator, &inputs, &input_errors, &mut sink, &progress);
            summary_errors += sink.report.summary.errors;
            unreadable = sink.report.summary.unreadable;
            Some(match format {
                Format::Json => conform_report::render_json(&sink.report),
                Format::OperationOutcome => conform_report::render_operation_outcome(&sink.report),
                _ => conform_report::render_junit(&sink.report),
            })
        }
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
    } else if summary_errors > 0 || unreadable > 0 {
        Code::Findings
    } else {
        Code::Pass
    })
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

/// Resolves the base packages, the profile pack's packages and the `--ig`s
/// (in that order, so later ones override), and builds the validator with
/// the pack's national rules.
pub fn load_validator(
    settings: &Settings,
    igs: &[String],
    no_cache: bool,
    verbose: bool,
) -> Result<Validator, Failure> {
    let pack = settings.pack()?;
    let pack_packages = pack.map_or(&[][..], |p| p.packages.as_slice());
    let mut specs = Vec::new();
    for s in settings
        .base_packages
        .iter()
        .chain(pack_packages)
        .chain(igs)
    {
        specs.push(PackageSpec::parse(s).map_err(Failure::from)?);
    }
    let resolved = conform_packages::resolve(&settings.sources, &specs)?;
    let cache = conform_validate::plan::cache::default_dir();
    let (validator, stats) = Validator::load(&resolved, (!no_cache).then_some(cache.as_path()))
        .map_err(|e| match e {
            conform_validate::LoadError::Package(p) => Failure::from(p),
            other => Failure::usage(other.to_string()),
        })?;
    if verbose {
        if let Some(file) = &settings.config_file {
            eprintln!("conform: using config {}", file.display());
        }
        if let Some(p) = pack {
            eprintln!(
                "conform: using pack {} ({}): {} profiles, {} national rules",
                p.name,
                p.origin,
                p.profiles.len(),
                p.rules.len()
            );
        }
        let names: Vec<String> = resolved.iter().map(|p| p.id.to_string()).collect();
        eprintln!(
            "conform: loaded {} types from {} in {:.1} ms ({})",
            stats.types,
            names.join(", "),
            stats.elapsed.as_secs_f64() * 1000.0,
            if stats.from_cache {
                "plan cache"
            } else {
                "compiled; cached for next time"
            }
        );
    }
    Ok(match pack {
        Some(p) => validator.with_rules(p.rule_set()),
        None => validator,
    })
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
