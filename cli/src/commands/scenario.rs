//! `conform scenario run|check`: parse arguments, load the plan and the
//! regions, run, render. The work is in conform-scenario.

use crate::exit::{Code, Failure, Outcome};
use conform_scenario::load::{parse_bindings, Bindings};
use conform_scenario::regions::{check_usable, load_regions};
use conform_scenario::run::{selected, Sink};
use conform_scenario::validate::{BodyValidator, PackValidator};
use conform_scenario::{
    load_each, run_plan, LoadSettings, Loaded, Plan, RunOptions, ScenarioResult, StepResult,
};
use conform_setup::{LoadOptions, PackDefinitions, Settings};
use conform_writers::scenario::{file_name, render, FORMATS};
use conform_writers::Format;
use indicatif::ProgressBar;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run scenario files, kits (folders) and TestScripts against regions.
    Run(RunArgs),
    /// Check scenario files and kits without running them.
    Check(CheckArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Scenario files (.yaml), TestScripts (.json, .xml) or kit folders.
    #[arg(value_name = "KIT|FILE", required = true)]
    paths: Vec<PathBuf>,
    /// The regions file (see docs/regions.md); `${ENV}` in it is expanded.
    #[arg(long, value_name = "FILE")]
    regions: PathBuf,
    /// Only scenarios with this tag (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Only scenarios that use this region (repeatable).
    #[arg(long = "region", value_name = "NAME")]
    region: Vec<String>,
    // The config's [output] format is validate's; scenarios default to text.
    /// Output format: text, json, junit, testreport, html or sarif.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text",
          value_parser = |name: &str| Format::parse_for(name, "scenario run", FORMATS))]
    format: Format,
    /// Also write every format (results.json, junit.xml, testreport.json,
    /// report.html, report.txt, results.sarif) into this folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run steps marked `writes: true` (otherwise their scenarios are skipped).
    #[arg(long)]
    allow_writes: bool,
    /// Scenarios run at the same time.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// TestScript origin/destination index → region, e.g. 1=region-a (repeatable).
    #[arg(long = "bind", value_name = "INDEX=REGION")]
    bind: Vec<String>,
    /// A folder where TestScript fixtures named `Type/id` are found by
    /// resourceType and id, JSON or XML (repeatable).
    #[arg(long = "fixtures", value_name = "DIR")]
    fixtures: Vec<PathBuf>,
    /// A TestScript variable's value, over the script's own (repeatable),
    /// e.g. one that has only a `hint`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Extra FHIR packages for `validate:` targets, e.g. hl7.fhir.uv.ips#2.0.0.
    #[arg(long = "ig", value_name = "PACKAGE")]
    igs: Vec<String>,
    /// Skip `validate:` checks (reported as skipped; no packages loaded).
    #[arg(long)]
    no_validate: bool,
    /// Do not read or write the compiled-plan cache.
    #[arg(long)]
    no_cache: bool,
    /// Record, per profile, which Must-Support elements the bodies
    /// `validate:` checked populated, into the results (docs/must-support.md).
    #[arg(long)]
    must_support: bool,
    #[command(flatten)]
    patient_data: super::patient_data::PatientDataArgs,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Scenario files (.yaml), TestScripts (.json, .xml) or kit folders.
    #[arg(value_name = "KIT|FILE", required = true)]
    paths: Vec<PathBuf>,
    /// TestScript origin/destination index → region, e.g. 1=region-a.
    #[arg(long = "bind", value_name = "INDEX=REGION")]
    bind: Vec<String>,
    /// A folder where TestScript fixtures named `Type/id` are found by
    /// resourceType and id, JSON or XML (repeatable).
    #[arg(long = "fixtures", value_name = "DIR")]
    fixtures: Vec<PathBuf>,
    /// A TestScript variable's value, over the script's own (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    match cmd {
        Command::Run(args) => run_scenarios(settings, args),
        Command::Check(args) => check(settings, args),
    }
}

/// The FHIR definitions that read XML TestScripts and fixtures, loaded only
/// when an XML file is among them.
fn xml_definitions(
    settings: &Settings,
    paths: &[PathBuf],
    fixtures: &[PathBuf],
) -> Result<Option<conform_validate::Validator>, Failure> {
    let any_xml = paths.iter().chain(fixtures).any(|p| {
        if p.is_dir() {
            !conform_json::files::walk_files(p, |_| true, conform_json::files::is_xml).is_empty()
        } else {
            conform_json::files::is_xml(p)
        }
    });
    if !any_xml {
        return Ok(None);
    }
    Ok(Some(settings.definitions(&LoadOptions::default())?))
}

/// Every file that loads, and each that does not on its own line (stderr).
fn load(
    settings: &Settings,
    paths: &[PathBuf],
    bindings: Bindings,
    fixtures: &[PathBuf],
    vars: &[String],
) -> Result<Loaded, Failure> {
    let values = vars
        .iter()
        .map(|v| {
            v.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| Failure::usage(format!("bad --var '{v}' (use NAME=VALUE)")))
        })
        .collect::<Result<_, _>>()?;
    let definitions = xml_definitions(settings, paths, fixtures)?;
    let model = definitions.as_ref().map(|v| v.xml_model());
    let load_settings = LoadSettings {
        bindings,
        fixtures: fixtures.to_vec(),
        xml: model.as_ref().map(|m| m as &dyn conform_xml::Model),
        values,
    };
    let loaded = load_each(paths, &load_settings).map_err(|e| Failure::usage(e.to_string()))?;
    // One file and it does not load: that is the error. Otherwise each
    // that does not is named on its own line and the others go on.
    if loaded.plan.scenarios.is_empty() && loaded.broken.len() == 1 {
        return Err(Failure::usage(loaded.broken[0].to_string()));
    }
    for e in &loaded.broken {
        eprintln!("conform: {e}");
    }
    if loaded.plan.scenarios.is_empty() && !loaded.broken.is_empty() {
        return Err(not_loaded(&loaded.broken));
    }
    Ok(loaded)
}

fn not_loaded(broken: &[conform_scenario::LoadError]) -> Failure {
    Failure::usage(format!(
        "{} file{} did not load",
        broken.len(),
        if broken.len() == 1 { "" } else { "s" }
    ))
}

/// TestScript indexes not bound with `--bind` are checked against
/// placeholder regions (`destination-1`...): `check` sends nothing.
const PLACEHOLDER_INDEXES: u32 = 16;

fn check(settings: &Settings, args: &CheckArgs) -> Outcome {
    let mut bindings: Bindings = (1..=PLACEHOLDER_INDEXES)
        .map(|i| (i, format!("destination-{i}")))
        .collect();
    bindings.extend(parse_bindings(&args.bind).map_err(Failure::usage)?);
    let Loaded { plan, broken } =
        load(settings, &args.paths, bindings, &args.fixtures, &args.vars)?;
    let steps = plan.step_count();
    println!(
        "ok: {} scenario{} ({} steps)",
        plan.scenarios.len(),
        if plan.scenarios.len() == 1 { "" } else { "s" },
        steps
    );
    for s in &plan.scenarios {
        for u in &s.unsupported {
            println!("{}: unsupported: {u}", s.identity.id);
        }
    }
    if !broken.is_empty() {
        return Err(not_loaded(&broken));
    }
    Ok(Code::Pass)
}

struct Progress(ProgressBar);

impl Sink for Progress {
    fn step_done(&self, scenario: &str, step: &StepResult) {
        self.0.set_message(format!("{scenario} / {}", step.id));
    }
    fn scenario_done(&self, _: &ScenarioResult) {
        self.0.inc(1);
    }
}

/// The definitions the plan's `validate:` steps need; `None` when no step
/// validates or `--no-validate` was given.
fn load_body_validator(
    settings: &Settings,
    args: &RunArgs,
    plan: &Plan,
) -> Result<Option<PackValidator>, Failure> {
    let mut targets = plan.validate_targets();
    if args.no_validate || (targets.is_empty() && !plan.needs_definitions()) {
        return Ok(None);
    }
    // XML bodies and `path` need the base definitions only.
    targets.insert("base");
    // The kit's own packages, then --ig.
    let mut igs: Vec<String> = plan.packages().into_iter().map(str::to_string).collect();
    igs.extend(args.igs.iter().cloned());
    let options = LoadOptions {
        igs,
        no_cache: args.no_cache,
        ..LoadOptions::default()
    };
    let PackDefinitions { validators, packs } = settings.pack_definitions(targets, &options)?;
    let validators = validators
        .into_iter()
        .map(|v| {
            let options = conform_validate::Options {
                must_support: args.must_support,
                ..v.options().clone()
            };
            v.with_options(options)
        })
        .collect();
    Ok(Some(PackValidator {
        validators,
        packs,
        must_support: args.must_support.then(Default::default),
    }))
}

fn run_scenarios(settings: &Settings, args: &RunArgs) -> Outcome {
    let keep_patient_data = args.patient_data.keep()?;
    let bindings = parse_bindings(&args.bind).map_err(Failure::usage)?;
    let Loaded { plan, broken } =
        load(settings, &args.paths, bindings, &args.fixtures, &args.vars)?;
    let regions = load_regions(&args.regions).map_err(Failure::usage)?;
    for r in &args.region {
        regions
            .region(r)
            .map_err(|e| Failure::usage(e.to_string()))?;
    }
    check_usable(&plan, &regions).map_err(Failure::usage)?;
    let validator = load_body_validator(settings, args, &plan)?;
    let opts = RunOptions {
        allow_writes: args.allow_writes,
        jobs: args.jobs.max(1),
        tags: args.tags.clone(),
        regions: args.region.clone(),
        keep_patient_data,
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(selected(&plan, &opts).len() as u64)
    } else {
        ProgressBar::hidden()
    };
    let progress = Progress(bar);
    let result = run_plan(
        &plan,
        &regions,
        &opts,
        validator.as_ref().map(|v| v as &dyn BodyValidator),
        &progress,
    );
    progress.0.finish_and_clear();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
        for &f in FORMATS {
            crate::output::write(Some(&dir.join(file_name(f))), &render(&result, f))?;
        }
    }
    crate::output::write(None, &render(&result, args.format))?;
    if !broken.is_empty() {
        // The others ran; the files that did not load were named on stderr.
        return Err(not_loaded(&broken));
    }
    Ok(exit_code(&result))
}

/// 0 when nothing failed; 3 when every failure is an endpoint that did not
/// answer; 1 otherwise.
fn exit_code(result: &conform_scenario::RunResult) -> Code {
    if result.passed() {
        Code::Pass
    } else if result.only_unreachable() {
        Code::Infrastructure
    } else {
        Code::Findings
    }
}
