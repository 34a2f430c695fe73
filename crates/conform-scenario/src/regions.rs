//! Reading a regions file for a run: the same loading every command uses
//! (`${NAME}` expanded from the environment, relative paths resolved).

use conform_endpoint::RegionsFile;
use std::path::Path;

pub fn load_regions(path: &Path) -> Result<RegionsFile, String> {
    RegionsFile::load(path).map_err(|e| e.to_string())
}
