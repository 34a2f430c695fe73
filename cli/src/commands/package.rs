//! `conform package list|install|import`.

use crate::exit::{Code, Failure, Outcome};
use conform_packages::{Origin, PackageId};
use conform_setup::Settings;
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the packages available in the cache and the package sources.
    List,
    /// Download a package (and its dependencies) from the registry into the cache.
    Install {
        /// id#version, e.g. fhir.r4.ukcore.stu2#2.0.2
        package: String,
    },
    /// Unpack a package .tgz into the cache (for air-gapped networks).
    Import {
        /// The package file.
        file: PathBuf,
    },
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    let cfg = &settings.sources;
    match cmd {
        Command::List => {
            let available = conform_packages::list_available(cfg);
            if available.is_empty() {
                println!(
                    "No packages in {} or any package source.",
                    cfg.cache_dir.display()
                );
            }
            for p in available {
                let origin = match &p.origin {
                    Origin::Cache => format!("cache {}", cfg.cache_dir.display()),
                    Origin::Source(dir) => format!("source {}", dir.display()),
                };
                println!("{:<45} {origin}", p.id.to_string());
            }
            Ok(Code::Pass)
        }
        Command::Install { package } => {
            let id: PackageId = package
                .parse()
                .map_err(|e| Failure::usage(format!("'{package}' is not id#version: {e}")))?;
            let dir = conform_packages::install(cfg, &id)?;
            println!("Installed {id} in {}", dir.display());
            Ok(Code::Pass)
        }
        Command::Import { file } => {
            let id = conform_packages::import(cfg, file)?;
            println!("Imported {id} into {}", cfg.cache_dir.display());
            Ok(Code::Pass)
        }
    }
}
