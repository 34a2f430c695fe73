//! `conform`: the command line. Argument parsing and rendering only; the
//! work is done by the crates under `crates/`.

mod commands;
mod config;
mod exit;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "conform",
    version,
    about = "FHIR R4 conformance for England's shared care records"
)]
pub struct Cli {
    /// Configuration file (default: conform.toml in this folder or a parent).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder of <id>-<version>.tgz FHIR packages to load from (repeatable).
    #[arg(long = "package-source", global = true, value_name = "DIR")]
    package_source: Vec<PathBuf>,
    /// Never download packages.
    #[arg(long, global = true)]
    offline: bool,
    /// FHIR package registry to download from.
    #[arg(long, global = true, value_name = "URL")]
    registry: Option<String>,
    /// Profile pack: a name (uk-core, base; looked for in ./profiles, then
    /// beside the config, then built in) or a .toml file.
    #[arg(long, global = true, value_name = "NAME")]
    pack: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate FHIR R4 JSON (files, folders, NDJSON, or - for stdin).
    Validate(commands::validate::Args),
    /// Manage FHIR packages (list, install, import).
    #[command(subcommand)]
    Package(commands::package::Command),
    /// Show the national rules of a profile pack.
    #[command(subcommand)]
    Rules(commands::rules::Command),
    /// Show which profile a profile pack applies to each resource type.
    #[command(subcommand)]
    Profiles(commands::profiles::Command),
    /// Generate a StructureDefinition's snapshot from its differential.
    Snapshot(commands::snapshot::Args),
    /// Evaluate a FHIRPath expression against a resource.
    Fhirpath(commands::fhirpath::Args),
    /// Probe a live FHIR endpoint: preflight, declared vs actual, writes.
    Probe(commands::probe::Args),
    /// Store a run's findings so later runs fail only on new ones.
    #[command(subcommand)]
    Baseline(commands::baseline::Command),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(commands::completions::Args),
    /// Print the man page (or write one per subcommand with -o DIR).
    Man(commands::man::Args),
    /// Scaffold conform.toml, regions.yaml and a CI file for a platform.
    Init(commands::init::Args),
    /// Check the set-up (packages, cache, regions: secrets, reachability).
    Doctor(commands::doctor::Args),
    /// Run or check exchange scenarios between regions (YAML or TestScript).
    #[command(subcommand)]
    Scenario(commands::scenario::Command),
    /// Store a folder of fixture resources in a region (PUT with their ids).
    Seed(commands::seed::Args),
    /// Readiness scorecards per region (MVS levels) and the national roll-up.
    Scorecard(commands::scorecard::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = config::Settings::load(&cli).and_then(|settings| match &cli.command {
        Command::Validate(args) => commands::validate::run(&settings, args),
        Command::Package(cmd) => commands::package::run(&settings, cmd),
        Command::Rules(cmd) => commands::rules::run(&settings, cmd),
        Command::Profiles(cmd) => commands::profiles::run(&settings, cmd),
        Command::Snapshot(args) => commands::snapshot::run(&settings, args),
        Command::Fhirpath(args) => commands::fhirpath::run(&settings, args),
        Command::Probe(args) => commands::probe::run(&settings, args),
        Command::Baseline(cmd) => commands::baseline::run(&settings, cmd),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Doctor(args) => commands::doctor::run(&settings, args),
        Command::Scenario(cmd) => commands::scenario::run(&settings, cmd),
        Command::Seed(args) => commands::seed::run(&settings, args),
        Command::Scorecard(args) => commands::scorecard::run(args),
    });
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("conform: {}", e.message);
            e.code.into()
        }
    }
}
