//! `conform doctor`: checks the set-up (packages, plan cache, the regions
//! file: secrets, keys, certificates, reachability) and prints what to fix.

use crate::exit::{Code, Outcome};
use conform_doctor::{Area, Kind};
use conform_outcome::Status;
use conform_setup::Settings;
use conform_writers::doctor::FORMATS;
use conform_writers::Format;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The regions file to check (default: regions.yaml here, if present).
    #[arg(long, value_name = "FILE")]
    regions: Option<PathBuf>,
    /// Output format: text, json, junit or sarif.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text",
          value_parser = |name: &str| Format::parse_for(name, "doctor", FORMATS))]
    format: Format,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    let mut checks = Vec::new();
    let pack_packages = settings
        .pack()?
        .map(|p| p.packages.clone())
        .unwrap_or_default();
    let specs: Vec<String> = settings
        .base_packages
        .iter()
        .chain(&pack_packages)
        .cloned()
        .collect();
    checks.extend(conform_doctor::packages(&settings.sources, &specs));
    checks.push(conform_doctor::cache_dir(
        &conform_validate::plan::cache::default_dir(),
    ));
    let regions = args.regions.clone().or_else(|| {
        let default = PathBuf::from("regions.yaml");
        default.is_file().then_some(default)
    });
    match regions {
        Some(file) => checks.extend(conform_doctor::regions(&file, settings.sources.offline)),
        None => checks.push(Area::Regions.check(
            "regions.yaml",
            Status::Skip,
            "no regions file here (give one with --regions; `conform init` writes one)",
        )),
    }
    // Making the client asks the server what it holds: not when offline.
    let client = if settings.sources.offline {
        Ok(None)
    } else {
        settings.code_checker().map_err(|e| e.to_string())
    };
    checks.extend(conform_doctor::terminology(
        &settings.terminology,
        client.as_ref().map(|c| c.as_deref()).map_err(Clone::clone),
        settings.sources.offline,
    ));
    let rendered = conform_writers::doctor::render(&checks, args.format);
    print!("{rendered}");
    Ok(match conform_doctor::worst(&checks) {
        None => Code::Pass,
        Some(Kind::Setup) => Code::Usage,
        Some(Kind::Infrastructure) => Code::Infrastructure,
    })
}
