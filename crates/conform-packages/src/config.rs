//! Where packages come from: the shared FHIR package cache, local "package
//! source" folders of tarballs (for networks that cannot reach the registry),
//! and the registry itself.

use std::path::PathBuf;

use crate::substitute::Substitution;

/// The environment variable naming the FHIR package cache (shared with other
/// FHIR tools, which use the same `<id>#<version>/package/` layout).
pub const ENV_CACHE: &str = "FHIR_PACKAGE_CACHE";
/// Package source folders, separated like `PATH` (`:` on Unix, `;` on Windows).
pub const ENV_SOURCE: &str = "CONFORM_PACKAGE_SOURCE";
/// Overrides the registry URL (e.g. an internal mirror).
pub const ENV_REGISTRY: &str = "CONFORM_PACKAGE_REGISTRY";
/// `1`/`true`/`yes`: never download.
pub const ENV_OFFLINE: &str = "CONFORM_OFFLINE";
/// The public FHIR package registry.
pub const DEFAULT_REGISTRY: &str = "https://packages.fhir.org";

/// Where to look for packages and whether the network may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// The FHIR package cache; layout `<cache>/<id>#<version>/package/...`.
    pub cache_dir: PathBuf,
    /// Folders holding `<id>-<version>.tgz` files, searched in order after the cache.
    pub source_dirs: Vec<PathBuf>,
    /// Base URL of the npm-style FHIR package registry.
    pub registry: String,
    /// True: never download; missing packages are an error.
    pub offline: bool,
    /// Versions loaded in place of the ones asked for (each use is
    /// recorded on the package loaded, see [`crate::ResolvedPackage`]).
    pub substitutions: Vec<Substitution>,
    /// True: a dependency found nowhere is left out (and recorded on its
    /// dependent) instead of failing resolution.
    pub allow_missing_deps: bool,
}

impl SourceConfig {
    /// A config with the given cache, no source folders, the public registry,
    /// online. Handy for tests and for callers that build config themselves.
    pub fn with_cache(cache_dir: impl Into<PathBuf>) -> Self {
        SourceConfig {
            cache_dir: cache_dir.into(),
            source_dirs: Vec::new(),
            registry: DEFAULT_REGISTRY.to_string(),
            offline: false,
            substitutions: Vec::new(),
            allow_missing_deps: false,
        }
    }

    /// Defaults overridden by the environment: [`ENV_CACHE`] (else
    /// `~/.fhir/packages`), [`ENV_SOURCE`], [`ENV_REGISTRY`], [`ENV_OFFLINE`].
    /// Command-line options and `conform.toml` are applied by the caller on top.
    pub fn from_env() -> Self {
        let cache_dir = non_empty_env(ENV_CACHE)
            .map(PathBuf::from)
            .unwrap_or_else(default_cache_dir);
        let source_dirs = std::env::var_os(ENV_SOURCE)
            .map(|v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let registry = non_empty_env(ENV_REGISTRY)
            .and_then(|v| v.into_string().ok())
            .unwrap_or_else(|| DEFAULT_REGISTRY.to_string());
        let offline = non_empty_env(ENV_OFFLINE)
            .and_then(|v| v.into_string().ok())
            .is_some_and(|v| is_truthy(&v));
        SourceConfig {
            cache_dir,
            source_dirs,
            registry,
            offline,
            substitutions: Vec::new(),
            allow_missing_deps: false,
        }
    }
}

fn non_empty_env(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

fn is_truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// `~/.fhir/packages`, the cache the HL7 validator and Firely tools share.
/// Without a home folder (some service accounts) fall back to a relative
/// `.fhir/packages` rather than failing: the caller can still set the cache.
fn default_cache_dir() -> PathBuf {
    dirs::home_dir()
        .unwrap_or_default()
        .join(".fhir")
        .join("packages")
}
