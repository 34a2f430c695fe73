//! `conform scenario run|check`: parse arguments, load the plan and the
//! regions, run, render. The work is in conform-scenario.

use crate::exit::{Code, Failure, Outcome};
use conform_endpoint::Endpoint;
use conform_scenario::load::Bindings;
use conform_scenario::regions::load_regions;
use conform_scenario::run::{selected, Sink};
use conform_scenario::validate::{BodyValidator, PackValidator};
use conform_scenario::{load_plan, run_plan, Plan, RunOptions, ScenarioResult, StepResult};
use conform_setup::{LoadOptions, Settings};
use conform_validate::pack::Pack;
use conform_writers::scenario::{file_name, render, FORMATS};
use conform_writers::Format;
use indicatif::ProgressBar;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
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
    /// Scenario files (.yaml), TestScripts (.json) or kit folders.
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
    /// Extra FHIR packages for `validate:` targets, e.g. hl7.fhir.uv.ips#2.0.0.
    #[arg(long = "ig", value_name = "PACKAGE")]
    igs: Vec<String>,
    /// Skip `validate:` checks (reported as skipped; no packages loaded).
    #[arg(long)]
    no_validate: bool,
    /// Do not read or write the compiled-plan cache.
    #[arg(long)]
    no_cache: bool,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Scenario files (.yaml), TestScripts (.json) or kit folders.
    #[arg(value_name = "KIT|FILE", required = true)]
    paths: Vec<PathBuf>,
    /// TestScript origin/destination index → region, e.g. 1=region-a.
    #[arg(long = "bind", value_name = "INDEX=REGION")]
    bind: Vec<String>,
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    match cmd {
        Command::Run(args) => run_scenarios(settings, args),
        Command::Check(args) => check(args),
    }
}

fn bindings(raw: &[String]) -> Result<Bindings, Failure> {
    let mut b = Bindings::new();
    for item in raw {
        let parsed = item
            .split_once('=')
            .and_then(|(i, r)| Some((i.trim().parse::<u32>().ok()?, r.trim().to_string())));
        let (i, r) = parsed.ok_or_else(|| {
            Failure::usage(format!(
                "bad --bind '{item}' (use INDEX=REGION, e.g. 1=region-a)"
            ))
        })?;
        b.insert(i, r);
    }
    Ok(b)
}

fn load(paths: &[PathBuf], bind: &[String]) -> Result<Plan, Failure> {
    load_plan(paths, &bindings(bind)?).map_err(|e| Failure::usage(e.to_string()))
}

/// TestScript indexes not bound with `--bind` are checked against
/// placeholder regions (`destination-1`...): `check` sends nothing.
const PLACEHOLDER_INDEXES: u32 = 16;

fn check(args: &CheckArgs) -> Outcome {
    let mut bindings: Bindings = (1..=PLACEHOLDER_INDEXES)
        .map(|i| (i, format!("destination-{i}")))
        .collect();
    bindings.extend(self::bindings(&args.bind)?);
    let plan = load_plan(&args.paths, &bindings).map_err(|e| Failure::usage(e.to_string()))?;
    let steps: usize = plan
        .scenarios
        .iter()
        .map(|s| s.setup.len() + s.steps.len() + s.teardown.len())
        .sum();
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

/// Every `validate:` target of the plan.
fn validate_targets(plan: &Plan) -> BTreeSet<String> {
    use conform_scenario::plan::CheckKind;
    plan.scenarios
        .iter()
        .flat_map(|s| s.setup.iter().chain(&s.steps).chain(&s.teardown))
        .flat_map(|st| &st.checks)
        .filter_map(|c| match &c.kind {
            CheckKind::Validate(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The definitions `validate:` needs: the configured ones, `--ig`, the
/// pack chosen with `--pack`, and any built-in pack a target names (so
/// `validate: uk-core` works without `--pack uk-core`). `None` when no
/// step validates.
fn load_body_validator(
    settings: &Settings,
    args: &RunArgs,
    plan: &Plan,
) -> Result<Option<PackValidator>, Failure> {
    let targets = validate_targets(plan);
    if args.no_validate || targets.is_empty() {
        return Ok(None);
    }
    let mut packs = BTreeMap::new();
    packs.insert("base".to_string(), BTreeMap::new());
    if let Some(p) = settings.pack()? {
        packs.insert(p.name.clone(), p.profiles.clone());
    }
    let mut igs = args.igs.clone();
    for t in targets.iter().filter(|t| !t.contains("://")) {
        if packs.contains_key(t) {
            continue;
        }
        // Unknown names are reported by the step that uses them.
        if let Ok(p) = Pack::find(t, &[]) {
            igs.extend(p.packages.iter().cloned());
            packs.insert(t.clone(), p.profiles.clone());
        }
    }
    let validator = settings.definitions(&LoadOptions {
        igs,
        no_cache: args.no_cache,
        ..LoadOptions::default()
    })?;
    Ok(Some(PackValidator { validator, packs }))
}

fn run_scenarios(settings: &Settings, args: &RunArgs) -> Outcome {
    let plan = load(&args.paths, &args.bind)?;
    let regions = load_regions(&args.regions).map_err(Failure::usage)?;
    for r in &args.region {
        regions
            .region(r)
            .map_err(|e| Failure::usage(e.to_string()))?;
    }
    // A region whose secrets or keys cannot be read is a set-up problem
    // (exit 2) before anything is sent; one missing from the file only
    // skips the scenarios that use it.
    let used: BTreeSet<&String> = plan
        .scenarios
        .iter()
        .flat_map(|s| &s.identity.regions)
        .collect();
    for name in used {
        if let Ok(region) = regions.region(name) {
            Endpoint::new(region).map_err(|e| Failure::usage(format!("region '{name}': {e}")))?;
        }
    }
    let validator = load_body_validator(settings, args, &plan)?;
    let opts = RunOptions {
        allow_writes: args.allow_writes,
        jobs: args.jobs.max(1),
        tags: args.tags.clone(),
        regions: args.region.clone(),
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
            let path = dir.join(file_name(f));
            std::fs::write(&path, render(&result, f))
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    let _ = std::io::stdout()
        .lock()
        .write_all(render(&result, args.format).as_bytes());
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
