//! `conform.toml`: package sources, packages, the default profile pack and
//! output defaults, found in the current folder or a parent (or named by
//! `--config`). Relative paths in it are relative to the file, so a
//! repository's config works from any subfolder.

use crate::SetupError;
use conform_packages::{FhirRelease, SourceConfig, Substitution};
use conform_validate::pack::Pack;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
    #[serde(default)]
    validate: ValidateConfig,
    /// The terminology server (docs/terminology.md).
    #[serde(default)]
    terminology: conform_terminology::TxConfig,
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
    /// Versions to load in place of those asked for (docs/packages.md):
    /// `"id#version" = "other"`, or `"id" = "other"` for any version.
    #[serde(default)]
    substitute: std::collections::BTreeMap<String, String>,
    /// Leave out (with a warning) dependencies found nowhere.
    #[serde(default, rename = "allow-missing-deps")]
    allow_missing_deps: bool,
    /// The FHIR release validated (`3.0`, `4.0`) unless `--fhir-version` or
    /// the pack says otherwise.
    #[serde(rename = "fhir-version")]
    fhir_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputConfig {
    format: Option<String>,
}

/// Key and secret files of the terminology server's auth are relative to
/// the config file, like its other paths.
fn resolve_auth_paths(auth: &mut conform_terminology::AuthConfig, dir: &Path) {
    use conform_terminology::AuthConfig::*;
    match auth {
        Bearer { token_file, .. }
        | ClientCredentials {
            secret_file: token_file,
            ..
        } => {
            if let Some(f) = token_file {
                *f = dir.join(&*f);
            }
        }
        PrivateKeyJwt { key_file, .. } => *key_file = dir.join(&*key_file),
        None => {}
    }
}

/// Declares the validator options a config file or the command line may
/// set, once: the struct of overrides (each unset unless given, then the
/// default of [`conform_validate::Options`]), how overrides layer and
/// apply, and `conform.toml`'s `[validate]` table, which holds them in
/// kebab-case beside `pack` (declared here because serde cannot refuse
/// unknown keys beside a flattened struct, and a mistyped key must fail).
macro_rules! rule_overrides {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)+) => {
        /// The validator's options a config file or the command line may
        /// set (docs/validator-options.md).
        #[derive(Clone, Debug, Default)]
        pub struct RuleOverrides {
            $($(#[$doc])* pub $field: Option<$ty>,)+
        }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct ValidateConfig {
            /// The profile pack validation uses unless `--pack` names
            /// another: a name (`uk-core`) or a `.toml` file relative to the
            /// config.
            pack: Option<String>,
            $($field: Option<$ty>,)+
        }

        impl ValidateConfig {
            /// The options the file sets.
            fn rules(&mut self) -> RuleOverrides {
                RuleOverrides { $($field: self.$field.take(),)+ }
            }
        }

        impl RuleOverrides {
            /// These overrides over `under` (what is unset here is taken
            /// from it).
            pub fn or(self, under: RuleOverrides) -> RuleOverrides {
                RuleOverrides { $($field: self.$field.or(under.$field),)+ }
            }

            /// Applies what is set to `options`.
            pub fn apply(self, mut options: conform_validate::Options) -> conform_validate::Options {
                $(if let Some(v) = self.$field { options.$field = v; })+
                options
            }
        }
    };
}

rule_overrides! {
    /// Extension URLs on example domains need no definition.
    allow_example_urls: bool,
    /// Strings and narrative with active content are errors.
    security_checks: bool,
    /// Markdown with HTML in it is an error.
    no_html_in_markdown: bool,
    /// A reference that resolves nowhere is taken to name its target's type.
    assume_valid_rest_references: bool,
    /// What is checked of the resources references point to.
    references: conform_validate::ReferencePolicy,
    /// Whether contained resources are validated.
    contained: conform_validate::ContainedPolicy,
    /// How failed best-practice invariants are reported.
    best_practice: conform_validate::Level,
    /// Codes outside extensible bindings are warned about.
    extensible_binding_warnings: bool,
    /// Wrong displays are warnings, not errors.
    display_issues_are_warnings: bool,
    /// URL prefixes (or `any`) whose extensions need no definition.
    extension_domains: Vec<String>,
    /// Elements a profile does not mark mustSupport are reported.
    must_support_hints: bool,
    /// Must-Support population per profile is recorded and reported.
    must_support: bool,
    /// Resources marked experimental are errors.
    no_experimental_content: bool,
    /// Observations of vital signs are validated against the sign's profile.
    vital_signs_profiles: bool,
    /// A profile's `bundled` aggregation holds outside a Bundle too.
    enforce_aggregation_outside_bundles: bool,
    /// Largest file read whole, in bytes (docs/limits.md).
    max_file_bytes: u64,
    /// Longest NDJSON line, in bytes.
    max_line_bytes: u64,
    /// Deepest nesting of JSON arrays and objects (and XML elements).
    max_depth: u32,
    /// Longest JSON string, in bytes.
    max_string_bytes: u32,
    /// Findings listed per resource before one `findings-truncated`.
    max_findings: usize,
    /// Steps one FHIRPath evaluation may take.
    max_fhirpath_steps: u64,
}

/// The highest nesting limit accepted (`max-depth`): deeper, validation's
/// recursion could outgrow a worker thread's stack (docs/limits.md).
pub const MAX_DEPTH_CEILING: u32 = 2048;

/// What the command line says about configuration (the global options).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config FILE` (default: conform.toml in this folder or a parent).
    pub config: Option<PathBuf>,
    /// `--package-source DIR`s, after the environment's and the config's.
    pub package_sources: Vec<PathBuf>,
    /// `--offline`.
    pub offline: bool,
    /// `--registry URL`.
    pub registry: Option<String>,
    /// `--pack NAME`, before the config's `[validate] pack`.
    pub pack: Option<String>,
    /// `--substitute id#version=other`s, over the config's `[packages.substitute]`.
    pub substitutes: Vec<String>,
    /// `--allow-missing-deps`.
    pub allow_missing_deps: bool,
    /// `--fhir-version`, before the pack's and the config's.
    pub fhir_version: Option<String>,
    /// `--tx URL` (or `none`), over `[terminology] url`.
    pub tx: Option<String>,
    /// `--tx-cache DIR`, over `[terminology] cache`.
    pub tx_cache: Option<PathBuf>,
    /// `--tx-replay`: answer codes from the terminology cache only.
    pub tx_replay: bool,
}

/// Everything commands need from configuration, merged from the config
/// file, the environment and the command line (in rising priority).
#[derive(Debug)]
pub struct Settings {
    pub sources: SourceConfig,
    pub base_packages: Vec<String>,
    pub default_format: Option<String>,
    pub config_file: Option<PathBuf>,
    /// The validator's options `[validate]` sets.
    pub rule_options: RuleOverrides,
    /// The release `--fhir-version` asks for.
    cli_release: Option<FhirRelease>,
    /// The release the config's `[packages] fhir-version` asks for.
    config_release: Option<FhirRelease>,
    /// The pack asked for (`--pack`, else the config's), by name or file.
    pack_name: Option<String>,
    /// Where a pack name is looked for before the built-in packs.
    pack_dirs: Vec<PathBuf>,
    /// The pack, loaded on first use (most commands never need it, and a
    /// broken pack should not stop `conform package list`).
    pack: OnceLock<Result<Option<Pack>, conform_validate::pack::PackError>>,
    /// The terminology server settings: `[terminology]` with `--tx...` over it.
    pub terminology: conform_terminology::TxConfig,
    /// The terminology client, made on first need and shared by every
    /// validator of the run (so each code is asked about once).
    tx_client: OnceLock<Result<Option<std::sync::Arc<conform_terminology::Terminology>>, String>>,
}

impl Settings {
    pub fn load(cli: &Overrides) -> Result<Settings, SetupError> {
        let config_file = match &cli.config {
            Some(f) => Some(f.clone()),
            None => std::env::current_dir().ok().and_then(|d| find_upwards(&d)),
        };
        let mut file = match &config_file {
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
            .extend(cli.package_sources.iter().cloned());
        if let Some(cache) = &file.packages.cache {
            if std::env::var_os("FHIR_PACKAGE_CACHE").is_none() {
                sources.cache_dir = dir.join(cache);
            }
        }
        if let Some(r) = cli.registry.clone().or(file.packages.registry.clone()) {
            sources.registry = r;
        }
        sources.offline |= cli.offline || file.packages.offline;
        sources.substitutions = substitutions(
            &file.packages.substitute,
            &cli.substitutes,
            config_file.as_deref(),
        )?;
        sources.allow_missing_deps |= cli.allow_missing_deps || file.packages.allow_missing_deps;
        let release = |text: &Option<String>, place: &str| {
            text.as_deref()
                .map(FhirRelease::parse)
                .transpose()
                .map_err(|e| SetupError::Usage(format!("{place}: {e}")))
        };
        let cli_release = release(&cli.fhir_version, "--fhir-version")?;
        let config_release = release(&file.packages.fhir_version, "[packages] fhir-version")?;
        let config_dir = config_file.as_ref().map(|_| dir.as_path());
        let rule_options = file.validate.rules();
        if let Some(depth) = rule_options
            .max_depth
            .filter(|d| !(1..=MAX_DEPTH_CEILING).contains(d))
        {
            return Err(SetupError::Usage(format!(
                "[validate] max-depth = {depth}: must be 1 to {MAX_DEPTH_CEILING} (docs/limits.md)"
            )));
        }
        let (pack_name, pack_dirs) = pack_choice(cli.pack.clone(), file.validate.pack, config_dir);
        let mut terminology = std::mem::take(&mut file.terminology);
        if let Some(url) = &cli.tx {
            terminology.url = Some(url.clone());
        }
        terminology.cache = match &cli.tx_cache {
            Some(dir) => Some(dir.clone()),
            None => terminology.cache.map(|c| dir.join(c)),
        };
        terminology.replay |= cli.tx_replay;
        resolve_auth_paths(&mut terminology.auth, &dir);
        Ok(Settings {
            sources,
            base_packages: file
                .packages
                .load
                .unwrap_or_else(|| vec![DEFAULT_BASE.to_string()]),
            default_format: file.output.format,
            rule_options,
            cli_release,
            config_release,
            config_file,
            pack_name,
            pack_dirs,
            pack: OnceLock::new(),
            terminology,
            tx_client: OnceLock::new(),
        })
    }

    /// The terminology client the validators ask, when a server is
    /// configured (`--tx`, `[terminology] url`); `None` keeps codes the
    /// packages cannot judge "not checked". The SNOMED CT edition defaults
    /// to the pack's.
    pub fn code_checker(
        &self,
    ) -> Result<Option<std::sync::Arc<conform_terminology::Terminology>>, SetupError> {
        self.tx_client
            .get_or_init(|| {
                if self.terminology.server().is_none() {
                    return Ok(None);
                }
                let mut config = self.terminology.clone();
                if config.snomed_edition.is_none() {
                    config.snomed_edition = self
                        .pack()
                        .ok()
                        .flatten()
                        .and_then(|p| p.snomed_edition.clone());
                }
                let cache = config
                    .cache
                    .clone()
                    .unwrap_or_else(|| conform_validate::plan::cache::default_dir().join("tx"));
                let t = conform_terminology::Terminology::new(config, Some(&cache))?;
                // Asked now, so the walk (which asks which systems the
                // server holds) never waits on the network for it.
                t.server_info();
                Ok(Some(std::sync::Arc::new(t)))
            })
            .clone()
            .map_err(SetupError::Usage)
    }

    /// The same settings with another pack (by name, looked for where the
    /// configured one is): for commands whose target decides the pack, as
    /// `conform probe --profile gp-connect` does.
    pub fn with_pack(&self, name: &str) -> Settings {
        Settings {
            sources: self.sources.clone(),
            base_packages: self.base_packages.clone(),
            default_format: self.default_format.clone(),
            config_file: self.config_file.clone(),
            rule_options: self.rule_options.clone(),
            cli_release: self.cli_release,
            config_release: self.config_release,
            pack_name: Some(name.to_string()),
            pack_dirs: self.pack_dirs.clone(),
            pack: OnceLock::new(),
            terminology: self.terminology.clone(),
            // Its own client: the pack may name another SNOMED CT edition.
            tx_client: OnceLock::new(),
        }
    }

    /// The selected profile pack, if any (loaded once).
    pub fn pack(&self) -> Result<Option<&Pack>, SetupError> {
        let loaded = self.pack.get_or_init(|| {
            self.pack_name
                .as_deref()
                .map(|name| Pack::find(name, &self.pack_dirs))
                .transpose()
        });
        match loaded {
            Ok(pack) => Ok(pack.as_ref()),
            Err(e) => Err(SetupError::Usage(e.to_string())),
        }
    }

    /// The FHIR release to validate, if anything says: `--fhir-version`,
    /// then the pack, then the config (otherwise the loaded core package
    /// decides).
    pub fn release(&self) -> Result<Option<FhirRelease>, SetupError> {
        let pack = self.pack()?.and_then(|p| p.fhir_release);
        Ok(self.cli_release.or(pack).or(self.config_release))
    }

    /// The packages every validation loads, for `release`: a core package
    /// of another release is replaced by this release's (so `--fhir-version
    /// 3.0` works with a config written for R4).
    pub fn base_packages_for(&self, release: Option<FhirRelease>) -> Vec<String> {
        let Some(release) = release else {
            return self.base_packages.clone();
        };
        let core_of_other =
            |spec: &str| FhirRelease::of_core_spec(spec).is_some_and(|r| r != release);
        let mut out = Vec::with_capacity(self.base_packages.len());
        for spec in &self.base_packages {
            let spec = if core_of_other(spec) {
                release.core_package()
            } else {
                spec
            };
            if !out.iter().any(|s: &String| s == spec) {
                out.push(spec.to_string());
            }
        }
        out
    }

    /// Why rule `id` exists, for SARIF's rule descriptions: the pack's
    /// national rules first (a pack that cannot load has none), then the
    /// validator's own.
    pub fn describe_rule(&self, id: &str) -> Option<String> {
        let pack = self.pack().ok().flatten();
        pack.and_then(|p| p.rules.iter().find(|r| r.id == id))
            .map(|r| r.why.clone())
            .or_else(|| conform_validate::describe_rule(id).map(String::from))
    }
}

/// The pack to use, `--pack` before the config's `[validate] pack` (a file
/// named there is relative to the config), and where to look for a pack
/// name: `./profiles`, then `profiles` beside the config file.
fn pack_choice(
    cli_pack: Option<String>,
    config_pack: Option<String>,
    config_dir: Option<&Path>,
) -> (Option<String>, Vec<PathBuf>) {
    let config_pack = config_pack.map(|p| match config_dir {
        Some(dir) if Pack::names_a_file(&p) => dir.join(p).to_string_lossy().into_owned(),
        _ => p,
    });
    let mut dirs = vec![PathBuf::from("profiles")];
    if let Some(beside) = config_dir.map(|d| d.join("profiles")) {
        let is_cwd =
            std::env::current_dir().is_ok_and(|cwd| cwd.join("profiles") == cwd.join(&beside));
        if !is_cwd {
            dirs.push(beside);
        }
    }
    (cli_pack.or(config_pack), dirs)
}

/// The config's substitutions, then the command line's; a rule from the
/// command line replaces the config's for the same `id#version` (or `id`).
fn substitutions(
    config: &std::collections::BTreeMap<String, String>,
    cli: &[String],
    config_file: Option<&Path>,
) -> Result<Vec<Substitution>, SetupError> {
    let usage = |where_: &str, e: conform_packages::PackageError| {
        SetupError::Usage(format!("{where_}: {e}"))
    };
    let mut rules = Vec::new();
    for (key, version) in config {
        rules.push(Substitution::new(key, version).map_err(|e| {
            let file = config_file.map(|f| f.display().to_string());
            usage(
                &format!("[packages.substitute] in {}", file.unwrap_or_default()),
                e,
            )
        })?);
    }
    for text in cli {
        let rule: Substitution = text.parse().map_err(|e| usage("--substitute", e))?;
        rules.retain(|r: &Substitution| r.from != rule.from);
        rules.push(rule);
    }
    Ok(rules)
}

fn find_upwards(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

fn read(path: &Path) -> Result<FileConfig, SetupError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SetupError::Usage(format!("cannot read config {}: {e}", path.display())))?;
    toml::from_str(&text)
        .map_err(|e| SetupError::Usage(format!("invalid config {}: {e}", path.display())))
}
