//! `conform seed --regions F --region R DIR`: store a folder of fixtures
//! in one region (the work is in conform_scenario::seed).

use crate::exit::{Code, Failure, Outcome};
use conform_endpoint::Endpoint;
use conform_scenario::regions::load_regions;
use conform_scenario::seed::SeedError;
use conform_setup::Settings;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Folder of JSON/NDJSON resources (subfolders included), each with an id.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The regions file (see docs/regions.md); `${ENV}` in it is expanded.
    #[arg(long, value_name = "FILE")]
    regions: PathBuf,
    /// The region to store them in.
    #[arg(long, value_name = "NAME")]
    region: String,
}

pub fn run(_settings: &Settings, args: &Args) -> Outcome {
    let regions = load_regions(&args.regions).map_err(Failure::usage)?;
    let region = regions
        .region(&args.region)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let endpoint = Endpoint::new(region).map_err(|e| Failure::usage(e.to_string()))?;
    if !args.dir.is_dir() {
        return Err(Failure::usage(format!(
            "{} is not a folder",
            args.dir.display()
        )));
    }
    match conform_scenario::seed::seed(&endpoint, &args.dir) {
        Ok(done) => {
            println!("seeded {} resources into {}", done.len(), region.name);
            Ok(Code::Pass)
        }
        Err(e) => {
            let code = match e {
                SeedError::Input(_) => Code::Usage,
                SeedError::Refused(_) => Code::Findings,
                SeedError::Unreachable(_) => Code::Infrastructure,
            };
            Err(Failure {
                code,
                message: format!("seeding {}: {e}", region.name),
            })
        }
    }
}
