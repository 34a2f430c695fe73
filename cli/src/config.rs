//! `conform.toml`: package sources, packages and output defaults, found in
//! the current folder or a parent (or named by `--config`). Relative paths
//! in it are relative to the file, so a repository's config works from any
//! subfolder.

use crate::exit::Failure;
use crate::Cli;
use conform_packages::SourceConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "conform.toml";
/// Validation loads the base specification unless the config says otherwise.
pub const DEFAULT_BASE: &str = "hl7.fhir.r4.core#4.0.1";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    packages: PackagesConfig,
    #[serde(default)]
    output: OutputConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackagesConfig {
    /// Folders of <id>-<version>.tgz files.
    #[serde(default)]
    sources: Vec<PathBuf>,
    /// Packages every validation loads (default: the R4 core package).
    load: Option<Vec<String>>,
    /// The FHIR package cache (default ~/.fhir/packages).
    cache: Option<PathBuf>,
    registry: Option<String>,
    #[serde(default)]
    offline: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputConfig {
    format: Option<String>,
}

/// Everything commands need from configuration, merged from the config
/// file, the environment and the command line (in rising priority).
#[derive(Debug)]
pub struct Settings {
    pub sources: SourceConfig,
    pub base_packages: Vec<String>,
    pub default_format: Option<String>,
    pub config_file: Option<PathBuf>,
}

impl Settings {
    pub fn load(cli: &Cli) -> Result<Settings, Failure> {
        let config_file = match &cli.config {
            Some(f) => Some(f.clone()),
            None => std::env::current_dir().ok().and_then(|d| find_upwards(&d)),
        };
        let file = match &config_file {
            Some(path) => read(path)?,
            None => FileConfig::default(),
        };
        let dir = config_file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut sources = SourceConfig::from_env();
        // Config sources come after those from the environment so that an
        // explicit CONFORM_PACKAGE_SOURCE wins ties.
        sources
            .source_dirs
            .extend(file.packages.sources.iter().map(|p| dir.join(p)));
        sources
            .source_dirs
            .extend(cli.package_source.iter().cloned());
        if let Some(cache) = &file.packages.cache {
            if std::env::var_os("FHIR_PACKAGE_CACHE").is_none() {
                sources.cache_dir = dir.join(cache);
            }
        }
        if let Some(r) = cli.registry.clone().or(file.packages.registry.clone()) {
            sources.registry = r;
        }
        sources.offline |= cli.offline || file.packages.offline;
        Ok(Settings {
            sources,
            base_packages: file
                .packages
                .load
                .unwrap_or_else(|| vec![DEFAULT_BASE.to_string()]),
            default_format: file.output.format,
            config_file,
        })
    }
}

fn find_upwards(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

fn read(path: &Path) -> Result<FileConfig, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read config {}: {e}", path.display())))?;
    toml::from_str(&text)
        .map_err(|e| Failure::usage(format!("invalid config {}: {e}", path.display())))
}
