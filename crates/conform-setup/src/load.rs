//! From settings to a loaded validator: the base packages, the profile
//! pack's packages and the `--ig`s are resolved (in that order, so later
//! ones override) and compiled (or read from the plan cache), and the pack's
//! national rules and profiles are applied.

use crate::{Settings, SetupError};
use conform_packages::{FhirRelease, PackageSpec};
use conform_validate::{LoadError, Options, ProfileSelection, Validator};

/// How a command wants its validator.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Implementation guides to load as well (`--ig`).
    pub igs: Vec<String>,
    /// Profiles every top-level resource is validated against (`--profile`);
    /// each must be defined by the loaded packages.
    pub profiles: Vec<String>,
    /// (rule, profile) pairs for the entries of Bundles (`--bundle-profile`,
    /// see [`conform_validate::BundleRule`]); each profile must be defined
    /// by the loaded packages.
    pub bundle_profiles: Vec<(String, String)>,
    /// Use the profiles resources declare in `meta.profile`.
    pub meta_profiles: bool,
    /// Evaluate the definitions' invariants.
    pub invariants: bool,
    /// Files and folders whose resources references resolve to
    /// (`--resolve-from`); the reference policy is then `check-valid`
    /// unless set.
    pub resolve_from: Vec<std::path::PathBuf>,
    /// Neither read nor write the compiled-plan cache.
    pub no_cache: bool,
    /// Say on standard error what loading cost.
    pub verbose: bool,
    /// The validator's options from the command line (over the config's).
    pub rules: crate::RuleOverrides,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            igs: Vec::new(),
            profiles: Vec::new(),
            bundle_profiles: Vec::new(),
            meta_profiles: true,
            invariants: true,
            resolve_from: Vec::new(),
            no_cache: false,
            verbose: false,
            rules: Default::default(),
        }
    }
}

impl Settings {
    /// The validator with the pack's national rules, profiles per type and
    /// `options` applied.
    pub fn validator(&self, options: &LoadOptions) -> Result<Validator, SetupError> {
        let validator = self.definitions(options)?;
        if let Some(url) = options.profiles.iter().find(|u| !validator.has_profile(u)) {
            return Err(SetupError::Usage(format!(
                "the profile {url} is not in the loaded packages (add the package that defines it with --ig)"
            )));
        }
        let bundle_rules = options
            .bundle_profiles
            .iter()
            .map(|(rule, profile)| {
                let r = conform_validate::BundleRule::parse(rule, profile)
                    .map_err(SetupError::Usage)?;
                if let Some(t) = r.resource_type.as_deref().filter(|t| !validator.is_resource_type(t)) {
                    return Err(SetupError::Usage(format!(
                        "the bundle rule '{rule}' names {t}, which is not a resource type of the loaded packages"
                    )));
                }
                if !validator.has_profile(profile) {
                    return Err(SetupError::Usage(format!(
                        "the profile {profile} (bundle rule '{rule}') is not in the loaded packages (add the package that defines it with --ig)"
                    )));
                }
                Ok(r)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rules = options.rules.clone().or(self.rule_options.clone());
        // Resources to resolve from are given to be checked.
        if !options.resolve_from.is_empty() && rules.references.is_none() {
            rules.references = Some(conform_validate::ReferencePolicy::CheckValid);
        }
        let validator = validator
            .with_options(rules.apply(Options {
                invariants: options.invariants,
                ..Default::default()
            }))
            .with_profiles(ProfileSelection {
                explicit: options.profiles.clone(),
                per_type: self.pack()?.map(|p| p.profiles.clone()).unwrap_or_default(),
                meta_profiles: options.meta_profiles,
                bundle_rules,
            });
        if options.resolve_from.is_empty() {
            return Ok(validator);
        }
        let folder = conform_validate::ResourceFolder::index(&validator, &options.resolve_from)
            .map_err(|e| SetupError::Usage(e.to_string()))?;
        if options.verbose {
            eprintln!(
                "conform: {} resources to resolve references from",
                folder.len()
            );
        }
        Ok(validator.with_resource_fetcher(Some(std::sync::Arc::new(folder))))
    }

    /// The loaded definitions with the pack's national rules, no profile
    /// selection (for FHIRPath's types and for scenario steps, which choose
    /// their pack per step).
    pub fn definitions(&self, options: &LoadOptions) -> Result<Validator, SetupError> {
        self.definitions_for(self.release()?, true, options)
    }

    /// The definitions of release `wanted` (`None`: the configured core
    /// package's), with the selected pack's packages and rules when
    /// `with_pack`.
    fn definitions_for(
        &self,
        wanted: Option<FhirRelease>,
        with_pack: bool,
        options: &LoadOptions,
    ) -> Result<Validator, SetupError> {
        let pack = if with_pack { self.pack()? } else { None };
        let pack_packages = pack.map_or(&[][..], |p| p.packages.as_slice());
        let specs = self
            .base_packages_for(wanted)
            .iter()
            .chain(pack_packages)
            .chain(&options.igs)
            .map(|s| PackageSpec::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let resolved = conform_packages::resolve(&self.sources, &specs)?;
        let release = conform_packages::release_of(&resolved, wanted)?;
        // Substitutions and left-out dependencies are never silent.
        for line in conform_packages::notes(&resolved) {
            eprintln!("conform: {line}");
        }
        let cache = conform_validate::plan::cache::default_dir();
        let (validator, stats) =
            Validator::load(&resolved, (!options.no_cache).then_some(cache.as_path())).map_err(
                |e| match e {
                    LoadError::Package(p) => SetupError::Package(p),
                    other => SetupError::Usage(other.to_string()),
                },
            )?;
        if options.verbose {
            if let Some(file) = &self.config_file {
                eprintln!("conform: using config {}", file.display());
            }
            if let Some(p) = pack {
                eprintln!(
                    "conform: using pack {} ({}): {} profiles, {} national rules",
                    p.name,
                    p.origin,
                    p.profiles.len(),
                    p.rules.len()
                );
            }
            let names: Vec<String> = resolved.iter().map(|p| p.id.to_string()).collect();
            eprintln!(
                "conform: loaded {} types from {} in {:.1} ms ({})",
                stats.types,
                names.join(", "),
                stats.elapsed.as_secs_f64() * 1000.0,
                if stats.from_cache {
                    "plan cache"
                } else {
                    "compiled; cached for next time"
                }
            );
            let unresolved = validator.unresolved_canonicals();
            if !unresolved.is_empty() {
                eprintln!(
                    "conform: {} canonicals the loaded definitions refer to are defined by no loaded package (checks that need them report it where they apply):",
                    unresolved.len()
                );
                for (canonical, referrer) in unresolved {
                    eprintln!("conform:   {canonical} (from {referrer})");
                }
            }
        }
        let validator = match release {
            Some(release) => validator
                .with_release(Some(release))
                .with_other_release(self.other_release(release, options.no_cache)),
            None => validator,
        };
        let validator = validator.with_code_checker(
            self.code_checker()?
                .map(|t| t as std::sync::Arc<dyn conform_validate::CodeChecker>),
        );
        Ok(match pack {
            Some(p) => validator.with_rules(p.rule_set()),
            None => validator,
        })
    }

    /// The core definitions of the release other than `release`, loaded
    /// from the same sources when a payload first looks like it (see
    /// `conform_validate::release`); `None` then if they are nowhere here.
    fn other_release(
        &self,
        release: FhirRelease,
        no_cache: bool,
    ) -> std::sync::Arc<conform_validate::release::OtherRelease> {
        let other = release
            .others()
            .next()
            .expect("conform knows more than one release");
        let sources = self.sources.clone();
        conform_validate::release::OtherRelease::new(other, move || {
            let spec = PackageSpec::parse(other.core_package()).ok()?;
            let resolved = conform_packages::resolve(&sources, &[spec]).ok()?;
            let cache = conform_validate::plan::cache::default_dir();
            let cache = (!no_cache).then_some(cache.as_path());
            Validator::load(&resolved, cache).ok().map(|(v, _)| v)
        })
    }
}

impl Settings {
    /// The definitions of one core package alone, from the configured
    /// sources, with no pack or IG: what `conform convert --core` maps
    /// between XML and JSON with (`hl7.fhir.r3.core#3.0.1` for STU3).
    pub fn core_definitions(&self, core: &str) -> Result<Validator, SetupError> {
        let resolved = conform_packages::resolve(&self.sources, &[PackageSpec::parse(core)?])?;
        let cache = conform_validate::plan::cache::default_dir();
        Validator::load(&resolved, Some(cache.as_path()))
            .map(|(v, _)| v)
            .map_err(|e| match e {
                LoadError::Package(p) => SetupError::Package(p),
                other => SetupError::Usage(other.to_string()),
            })
    }
}

/// Definitions loaded for validating against named packs (a scenario's
/// `validate:` targets), and each pack's profiles per resource type.
pub struct PackDefinitions {
    /// One validator per FHIR release the packs need (releases cannot share
    /// one: they define the same canonical URLs); the first is the run's.
    pub validators: Vec<Validator>,
    /// Pack name → (index in `validators`, resource type → profile URL).
    pub packs:
        std::collections::BTreeMap<String, (usize, std::collections::BTreeMap<String, String>)>,
}

impl Settings {
    /// The definitions `names` need: the configured ones, `options.igs`, the
    /// selected pack (`--pack`), and the packages of any built-in pack a name
    /// names (so `validate: uk-core` works without `--pack uk-core`). A pack
    /// of another FHIR release (`validate: gp-connect` in a run of R4) gets
    /// definitions of its own release. `base` is always known; names that
    /// are URLs or unknown are left for the caller to report where they are
    /// used.
    pub fn pack_definitions<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
        options: &LoadOptions,
    ) -> Result<PackDefinitions, SetupError> {
        let own = self.release()?.or_else(|| {
            self.base_packages
                .iter()
                .find_map(|s| FhirRelease::of_core_spec(s))
        });
        // (release, packages to load on top) per validator.
        let mut groups: Vec<(Option<FhirRelease>, Vec<String>)> = vec![(own, options.igs.clone())];
        let mut packs = std::collections::BTreeMap::new();
        packs.insert("base".to_string(), (0, Default::default()));
        if let Some(p) = self.pack()? {
            packs.insert(p.name.clone(), (0, p.profiles.clone()));
        }
        for name in names.into_iter().filter(|n| !n.contains("://")) {
            if packs.contains_key(name) {
                continue;
            }
            let Ok(p) = conform_validate::pack::Pack::find(name, &[]) else {
                continue;
            };
            let release = p.fhir_release.or(own);
            let group = match groups.iter().position(|(r, _)| *r == release) {
                Some(i) => i,
                None => {
                    groups.push((release, Vec::new()));
                    groups.len() - 1
                }
            };
            groups[group].1.extend(p.packages.iter().cloned());
            packs.insert(name.to_string(), (group, p.profiles.clone()));
        }
        let validators = groups
            .into_iter()
            .enumerate()
            .map(|(i, (release, igs))| {
                let options = LoadOptions {
                    igs,
                    ..options.clone()
                };
                // The run's own validator: the release `--fhir-version` or
                // the selected pack chose, with that pack; others: theirs.
                if i == 0 {
                    self.definitions(&options)
                } else {
                    self.definitions_for(release, false, &options)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PackDefinitions { validators, packs })
    }
}
