//! Reading a regions file for a run: the same loading every command uses
//! (`${NAME}` expanded from the environment, relative paths resolved).

use conform_endpoint::RegionsFile;
use std::path::Path;

pub fn load_regions(path: &Path) -> Result<RegionsFile, String> {
    RegionsFile::load(path).map_err(|e| e.to_string())
}

/// Whether every region `plan` uses that `regions` names can be set up
/// (its secrets and keys read): one that cannot is a set-up problem before
/// anything is sent. A region missing from the file is not an error here:
/// it only skips the scenarios that use it.
pub fn check_usable(plan: &crate::Plan, regions: &RegionsFile) -> Result<(), String> {
    for name in plan.regions_used() {
        if let Ok(region) = regions.region(name) {
            conform_endpoint::Endpoint::new(region).map_err(|e| format!("region '{name}': {e}"))?;
        }
    }
    Ok(())
}
