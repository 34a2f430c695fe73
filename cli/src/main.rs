//! `conform`: the command line. Argument parsing and rendering only; the
//! work is done by the crates under `crates/`.

mod commands;
mod exit;
mod output;
mod progress;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// jemalloc, not the system allocator: validation allocates and frees
/// small nodes on every core at once, and glibc's arenas, shared when a
/// result made on one thread is freed on another, cost a tenth of a
/// two-thread run (BENCHMARKS.md, 2026-12-05). Memory stayed flat.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "conform",
    version,
    about = "FHIR conformance for England's shared care records"
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
    /// Load another version where a package or dependency asks for this one,
    /// reported: id#version=other, or id=other for any version (repeatable).
    #[arg(long = "substitute", global = true, value_name = "ID#VERSION=VERSION")]
    substitute: Vec<String>,
    /// Load packages without dependencies that are found nowhere, with a
    /// warning naming them (default: an error).
    #[arg(long, global = true)]
    allow_missing_deps: bool,
    /// Profile pack: a name (uk-core, gp-connect, base; looked for in ./profiles, then
    /// beside the config, then built in) or a .toml file.
    #[arg(long, global = true, value_name = "NAME")]
    pack: Option<String>,
    /// FHIR release to validate: 4.0 (R4) or 3.0 (STU3); default: the
    /// pack's, then conform.toml's, then the loaded core package's.
    #[arg(long = "fhir-version", global = true, value_name = "VERSION")]
    fhir_version: Option<String>,
    /// Terminology server (FHIR R4) for the codes the packages cannot
    /// judge (SNOMED CT, dm+d, LOINC...); `none` stays offline. Default:
    /// conform.toml's [terminology] url.
    #[arg(long = "tx", global = true, value_name = "URL")]
    tx: Option<String>,
    /// Folder of the terminology cache (default: [terminology] cache, else
    /// conform's cache folder/tx): commit or restore it in CI.
    #[arg(long = "tx-cache", global = true, value_name = "DIR")]
    tx_cache: Option<PathBuf>,
    /// Answer codes from the terminology cache only, never the network;
    /// codes it does not hold stay "not checked".
    #[arg(long = "tx-replay", global = true)]
    tx_replay: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate FHIR R4 or STU3 JSON or XML (files, folders, NDJSON, or - for stdin).
    Validate(commands::validate::Args),
    /// Convert a resource between FHIR JSON and XML (the direction from the input).
    Convert(commands::convert::Args),
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
    /// The terminology cache and direct questions to the terminology server.
    #[command(subcommand)]
    Tx(commands::tx::Command),
    /// Join the reports of a sharded run (`validate --shard K/N`).
    #[command(subcommand)]
    Report(commands::report::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Configuration is read only by the commands that use it, so a broken
    // conform.toml does not stop `init` (which writes one), `man`,
    // `completions` or `scorecard`.
    let overrides = conform_setup::Overrides {
        config: cli.config.clone(),
        package_sources: cli.package_source.clone(),
        offline: cli.offline,
        registry: cli.registry.clone(),
        pack: cli.pack.clone(),
        substitutes: cli.substitute.clone(),
        allow_missing_deps: cli.allow_missing_deps,
        fhir_version: cli.fhir_version.clone(),
        tx: cli.tx.clone(),
        tx_cache: cli.tx_cache.clone(),
        tx_replay: cli.tx_replay,
    };
    let settings = || conform_setup::Settings::load(&overrides).map_err(exit::Failure::from);
    let result = match &cli.command {
        Command::Validate(args) => settings().and_then(|s| commands::validate::run(&s, args)),
        Command::Convert(args) => settings().and_then(|s| commands::convert::run(&s, args)),
        Command::Package(cmd) => settings().and_then(|s| commands::package::run(&s, cmd)),
        Command::Rules(cmd) => settings().and_then(|s| commands::rules::run(&s, cmd)),
        Command::Profiles(cmd) => settings().and_then(|s| commands::profiles::run(&s, cmd)),
        Command::Snapshot(args) => settings().and_then(|s| commands::snapshot::run(&s, args)),
        Command::Fhirpath(args) => settings().and_then(|s| commands::fhirpath::run(&s, args)),
        Command::Probe(args) => settings().and_then(|s| commands::probe::run(&s, args)),
        Command::Baseline(cmd) => settings().and_then(|s| commands::baseline::run(&s, cmd)),
        Command::Doctor(args) => settings().and_then(|s| commands::doctor::run(&s, args)),
        Command::Scenario(cmd) => settings().and_then(|s| commands::scenario::run(&s, cmd)),
        Command::Seed(args) => settings().and_then(|s| commands::seed::run(&s, args)),
        Command::Tx(cmd) => settings().and_then(|s| commands::tx::run(&s, cmd)),
        Command::Report(cmd) => settings().and_then(|s| commands::report::run(&s, cmd)),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Scorecard(args) => commands::scorecard::run(args),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("conform: {}", e.message);
            e.code.into()
        }
    }
}
