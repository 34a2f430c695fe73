//! Are the FHIR packages the configuration needs where we may load them
//! from, and can the compiled-plan cache be written?

use crate::{ok, problem, Area};
use conform_outcome::Outcome;
use conform_packages::{resolve, PackageError, PackageSpec, SourceConfig};
use std::path::Path;

/// Each package spec (and its dependencies) resolved from the configured
/// sources, without downloading anything.
pub fn packages(sources: &SourceConfig, specs: &[String]) -> Vec<Outcome> {
    let mut offline = sources.clone();
    offline.offline = true;
    let mut out = Vec::new();
    for s in specs {
        let spec = match PackageSpec::parse(s) {
            Ok(spec) => spec,
            Err(e) => {
                out.push(problem(
                    Area::Packages,
                    s.as_str(),
                    e.to_string(),
                    "write it as id#version, a .tgz, a package folder or a folder of JSON resources",
                ));
                continue;
            }
        };
        match resolve(&offline, std::slice::from_ref(&spec)) {
            Ok(resolved) => {
                let names: Vec<String> = resolved.iter().map(|p| p.id.to_string()).collect();
                let mut found = format!("found: {}", names.join(", "));
                // Substitutions and left-out dependencies, as loading reports them.
                for note in conform_packages::notes(&resolved) {
                    found.push_str(&format!("; {note}"));
                }
                out.push(ok(Area::Packages, s.as_str(), found));
            }
            Err(PackageError::NotFound { package, .. }) => out.push(problem(
                Area::Packages,
                s.as_str(),
                format!("{package} is not in the package cache or the package sources"),
                format!(
                    "run `conform package install {package}` (needs the registry), or add a folder holding {} to [packages] sources in conform.toml",
                    package.replace('#', "-") + ".tgz"
                ),
            )),
            Err(e) => out.push(problem(
                Area::Packages,
                s.as_str(),
                e.to_string(),
                "replace the damaged package (delete it from the cache and install it again)",
            )),
        }
    }
    out
}

/// Whether the compiled-plan cache folder exists or can be made, and is
/// writable.
pub fn cache_dir(dir: &Path) -> Outcome {
    let probe = dir.join(".conform-doctor-probe");
    let result = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match result {
        Ok(()) => ok(Area::Cache, dir.display().to_string(), "writable"),
        Err(e) => problem(
            Area::Cache,
            dir.display().to_string(),
            format!("cannot write the compiled-plan cache: {e}"),
            "set CONFORM_CACHE_DIR to a writable folder (or run with --no-cache: every start then compiles the definitions)",
        ),
    }
}
