//! `conform init`: scaffold a project's conform.toml, a regions.yaml for one
//! region and, with `--ci`, the CI file for a platform. The files are the
//! commented templates under `ci/` in this repository, written as they are.

use crate::exit::{Code, Failure, Outcome};
use std::path::{Path, PathBuf};

pub const CONFORM_TOML: &str = include_str!("../../../ci/conform.toml");
pub const REGIONS_YAML: &str = include_str!("../../../ci/regions.yaml");
pub const GITHUB: &str = include_str!("../../../ci/github/conform.yml");
pub const GITLAB: &str = include_str!("../../../ci/gitlab/conform.gitlab-ci.yml");
pub const AZURE: &str = include_str!("../../../ci/azure/azure-pipelines.yml");

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Platform {
    /// GitHub Actions: .github/workflows/conform.yml
    Github,
    /// GitLab CI: .gitlab-ci.yml
    Gitlab,
    /// Azure Pipelines: azure-pipelines.yml
    Azure,
}

impl Platform {
    /// Where the platform looks for the file, and the file.
    fn file(self) -> (&'static str, &'static str) {
        match self {
            Platform::Github => (".github/workflows/conform.yml", GITHUB),
            Platform::Gitlab => (".gitlab-ci.yml", GITLAB),
            Platform::Azure => ("azure-pipelines.yml", AZURE),
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Also write the CI file for this platform.
    #[arg(long, value_enum, value_name = "PLATFORM")]
    ci: Option<Platform>,
    /// The project folder to write into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: &Args) -> Outcome {
    let mut files = vec![
        ("conform.toml", CONFORM_TOML),
        ("regions.yaml", REGIONS_YAML),
    ];
    if let Some(p) = args.ci {
        files.push(p.file());
    }
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| args.dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::usage(format!(
            "not overwriting {} (use --force)",
            existing.join(", ")
        )));
    }
    for (name, text) in &files {
        write(&args.dir.join(name), text)?;
        println!("wrote {}", args.dir.join(name).display());
    }
    println!(
        "\nNext: put the payloads to check under payloads/ (or change PAYLOADS in the CI file),\n\
         fill in regions.yaml for your region, and run `conform validate payloads/`."
    );
    Ok(Code::Pass)
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}
