//! `conform init`: scaffold a project's conform.toml, a regions.yaml for one
//! region and, with `--ci`, the CI file for a platform. The files are the
//! commented templates under `ci/` in this repository, written as they are;
//! with `--shards N` the platform's sharded template, its shard count set
//! to N.

use crate::exit::{Code, Failure, Outcome};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

pub const CONFORM_TOML: &str = include_str!("../../../ci/conform.toml");
pub const REGIONS_YAML: &str = include_str!("../../../ci/regions.yaml");
pub const GITHUB: &str = include_str!("../../../ci/github/conform.yml");
pub const GITLAB: &str = include_str!("../../../ci/gitlab/conform.gitlab-ci.yml");
pub const AZURE: &str = include_str!("../../../ci/azure/azure-pipelines.yml");
pub const GITHUB_SHARDS: &str = include_str!("../../../ci/github/conform-shards.yml");
pub const GITLAB_SHARDS: &str = include_str!("../../../ci/gitlab/conform-shards.gitlab-ci.yml");
pub const AZURE_SHARDS: &str = include_str!("../../../ci/azure/azure-pipelines-shards.yml");

/// The shard counts `--shards` takes: GitLab's `parallel:` allows at most
/// 200 jobs (GitHub's matrix 256), and one shard is the one-job template.
const SHARDS: std::ops::RangeInclusive<i64> = 2..=200;

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
    /// Where the platform looks for the file, and the file: the one-job
    /// template, or with `shards` the sharded one. Both go to the same
    /// place, as a project runs one or the other (GitLab and Azure read
    /// one pipeline file).
    fn file(self, shards: Option<u16>) -> (&'static str, Cow<'static, str>) {
        let path = match self {
            Platform::Github => ".github/workflows/conform.yml",
            Platform::Gitlab => ".gitlab-ci.yml",
            Platform::Azure => "azure-pipelines.yml",
        };
        let text = match (self, shards) {
            (Platform::Github, None) => Cow::Borrowed(GITHUB),
            (Platform::Gitlab, None) => Cow::Borrowed(GITLAB),
            (Platform::Azure, None) => Cow::Borrowed(AZURE),
            (_, Some(n)) => {
                let (template, count, line) = self.shard_count();
                Cow::Owned(template.replacen(count, &line(n), 1))
            }
        };
        (path, text)
    }

    /// The sharded template, the line in it that sets the shard count (each
    /// says it once, as committed: 4), and that line for N shards. GitHub's
    /// count is the length of the matrix's list, which its jobs read as
    /// `strategy.job-total`.
    fn shard_count(self) -> (&'static str, &'static str, fn(u16) -> String) {
        match self {
            Platform::Github => (GITHUB_SHARDS, "shard: [1, 2, 3, 4]", |n| {
                let list: Vec<String> = (1..=n).map(|k| k.to_string()).collect();
                format!("shard: [{}]", list.join(", "))
            }),
            Platform::Gitlab => (GITLAB_SHARDS, "parallel: 4", |n| format!("parallel: {n}")),
            Platform::Azure => (AZURE_SHARDS, "parallel: 4", |n| format!("parallel: {n}")),
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Also write the CI file for this platform.
    #[arg(long, value_enum, value_name = "PLATFORM")]
    ci: Option<Platform>,
    /// Write the sharded CI file instead: N parallel `validate --shard K/N`
    /// jobs (GitHub's matrix, GitLab's `parallel:`, Azure's `strategy:
    /// parallel`) and a job merging their reports (2 to 200).
    #[arg(long, value_name = "N", requires = "ci",
          value_parser = clap::value_parser!(u16).range(SHARDS))]
    shards: Option<u16>,
    /// The project folder to write into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    force: bool,
}

pub fn run(args: &Args) -> Outcome {
    let mut files = vec![
        ("conform.toml", Cow::Borrowed(CONFORM_TOML)),
        ("regions.yaml", Cow::Borrowed(REGIONS_YAML)),
    ];
    if let Some(p) = args.ci {
        files.push(p.file(args.shards));
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
    if let Some(n) = args.shards {
        println!(
            "\nThe CI file validates payloads/ in {n} parallel shards and merges their reports;\n\
             it does not probe, run scenarios or score readiness (the one-job file, without --shards, does)."
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `--shards` rewrites one line; a template edited so that the line is
    /// gone or repeated would be written with the wrong count.
    #[test]
    fn each_sharded_template_sets_its_count_in_exactly_one_line() {
        for p in [Platform::Github, Platform::Gitlab, Platform::Azure] {
            let (template, count, line) = p.shard_count();
            assert_eq!(template.matches(count).count(), 1, "{p:?}: {count}");
            assert_eq!(line(4), count, "{p:?}: 4 writes the template as committed");
        }
    }
}
