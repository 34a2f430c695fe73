//! `conform probe`: probe a live FHIR endpoint, one region of a regions
//! file, or every region of it at once, and render the checks.

use crate::exit::{Code, Failure, Outcome};
use clap::builder::TypedValueParser;
use conform_endpoint::{parse_duration, ProbeProfile, Region, RegionsFile};
use conform_probe::{
    probe_region, probe_regions, BodyValidator, ProbeOptions, RegionProbe, Validation, Verdict,
    DEFAULT_JOBS,
};
use conform_setup::{LoadOptions, Settings};
use conform_validate::Validator;
use conform_writers::probe::{render, render_regions, FORMATS};
use conform_writers::Format;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(clap::Args)]
pub struct Args {
    /// The FHIR base URL (or name a region with --regions and --region, or
    /// probe every region with --regions and --all).
    #[arg(
        value_name = "BASE_URL",
        required_unless_present_any = ["region", "all"],
        conflicts_with = "regions"
    )]
    base_url: Option<String>,
    /// A regions file (see docs/regions.md).
    #[arg(long, value_name = "FILE", requires = "which_regions")]
    regions: Option<PathBuf>,
    /// The region of the regions file to probe.
    #[arg(
        long,
        value_name = "NAME",
        requires = "regions",
        group = "which_regions"
    )]
    region: Option<String>,
    /// Probe every region of the regions file, a few at a time (--jobs),
    /// into one report: each region's own report in the file's order, and
    /// the exit code of the worst region.
    #[arg(long, requires = "regions", group = "which_regions")]
    all: bool,
    /// With --all: how many regions are probed at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = DEFAULT_JOBS,
          value_parser = TypedValueParser::map(clap::value_parser!(u16).range(1..=64), usize::from))]
    jobs: usize,
    /// Output format: text, json, junit or sarif.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text",
          value_parser = |name: &str| Format::parse_for(name, "probe", FORMATS))]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also run the write checks (create, conditional create, update,
    /// transaction, delete) on data the probe creates and deletes.
    #[arg(long)]
    allow_writes: bool,
    /// Time-out of each request, retries included (e.g. 10s, 500ms).
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Resource types to probe (repeatable; default: Patient, Observation,
    /// Organization, Location, Encounter, DocumentReference, Practitioner).
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Which checks to run: fhir (a FHIR R4 server, the default) or
    /// gp-connect (a GP Connect STU3 provider's contract; its responses are
    /// validated with the gp-connect pack). Overrides the region's
    /// probe_profile.
    #[arg(long, value_name = "PROFILE", conflicts_with = "all",
          value_parser = clap::builder::PossibleValuesParser::new(ProbeProfile::NAMES))]
    profile: Option<String>,
    /// The NHS number of a patient the GP Connect provider holds (over the
    /// region's gp_connect.nhs_number).
    #[arg(long, value_name = "NUMBER", conflicts_with = "all")]
    nhs_number: Option<String>,
    /// Do not validate response bodies (no packages loaded).
    #[arg(long)]
    no_validate: bool,
    /// Do not read or write the compiled-plan cache.
    #[arg(long)]
    no_cache: bool,
    /// Record, per profile, which Must-Support elements the response bodies
    /// populated, into the report (docs/must-support.md).
    #[arg(long, conflicts_with = "no_validate")]
    must_support: bool,
    #[command(flatten)]
    patient_data: super::patient_data::PatientDataArgs,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    // Asked first: a refusal sends nothing.
    args.patient_data.keep()?;
    if let (Some(file), true) = (&args.regions, args.all) {
        return run_all(settings, args, file);
    }
    let mut region = match (&args.base_url, &args.regions, &args.region) {
        (Some(url), _, _) => Region::from_url(url),
        (None, Some(file), Some(name)) => load(file)?
            .region(name)
            .map_err(|e| Failure::usage(e.to_string()))?
            .clone(),
        _ => {
            return Err(Failure::usage(
                "give a BASE_URL, or --regions FILE --region NAME, or --regions FILE --all",
            ))
        }
    };
    region.timeout = timeout(args)?.or(region.timeout);
    if let Some(profile) = args.profile.as_deref().and_then(ProbeProfile::parse) {
        region.probe_profile = profile;
    }
    if let Some(n) = &args.nhs_number {
        let gp = region.gp_connect.get_or_insert_with(Default::default);
        gp.nhs_number = n.clone();
        if let Some(problem) = gp.problem() {
            return Err(Failure::usage(format!("--nhs-number: {problem}")));
        }
    }
    let bodies = Bodies::load(settings, args, region.probe_profile)?;
    let run = probe_region(&region, &options(args)?, bodies.validation());
    // Not probed: one region is the whole run, so its problem ends it.
    let Some(report) = run.probe.report else {
        let message = run.probe.problem.map(|p| p.message).unwrap_or_default();
        return Err(match run.probe.verdict {
            Verdict::Setup => Failure::usage(message),
            _ => Failure::infrastructure(message),
        });
    };
    let text = run.redactor.redact(&render(&report, args.format));
    crate::output::write(args.output.as_deref(), &text)?;
    Ok(if report.passed() {
        Code::Pass
    } else {
        Code::Findings
    })
}

/// `--all`: every region of the file, `--jobs` at a time, into one report.
/// A region that cannot be set up or reached is reported and the others are
/// still probed; the exit code is the worst region's.
fn run_all(settings: &Settings, args: &Args, file: &Path) -> Outcome {
    let mut regions = load(file)?.regions;
    if regions.is_empty() {
        return Err(Failure::usage(format!(
            "{} lists no regions to probe",
            file.display()
        )));
    }
    let timeout = timeout(args)?;
    for r in &mut regions {
        r.timeout = timeout.or(r.timeout);
    }
    // Each probe profile in use loads its validator once, shared by its
    // regions.
    let mut bodies: Vec<(ProbeProfile, Bodies)> = Vec::new();
    for r in &regions {
        if !bodies.iter().any(|(p, _)| *p == r.probe_profile) {
            bodies.push((
                r.probe_profile,
                Bodies::load(settings, args, r.probe_profile)?,
            ));
        }
    }
    let validation = |profile: ProbeProfile| {
        bodies
            .iter()
            .find(|(p, _)| *p == profile)
            .map(|(_, b)| b.validation())
            .unwrap_or_default()
    };
    // A line per region as it finishes, for the log of a long run (the
    // report keeps the file's order).
    let (total, finished) = (regions.len(), AtomicUsize::new(0));
    let done = |r: &RegionProbe| {
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        eprintln!(
            "conform probe: [{n}/{total}] {}: {}",
            r.region,
            r.verdict.as_str()
        );
    };
    let (report, redactor) =
        probe_regions(&regions, &options(args)?, &validation, args.jobs, &done);
    let text = redactor.redact(&render_regions(&report, args.format));
    crate::output::write(args.output.as_deref(), &text)?;
    Ok(match report.verdict() {
        Verdict::Pass => Code::Pass,
        Verdict::Fail => Code::Findings,
        Verdict::Setup => Code::Usage,
        Verdict::Unreachable => Code::Infrastructure,
    })
}

fn load(file: &Path) -> Result<RegionsFile, Failure> {
    RegionsFile::load(file).map_err(|e| Failure::usage(e.to_string()))
}

/// `--timeout`, over every region's own.
fn timeout(args: &Args) -> Result<Option<std::time::Duration>, Failure> {
    let Some(t) = &args.timeout else {
        return Ok(None);
    };
    let d = parse_duration(t).filter(|d| !d.is_zero());
    d.map(Some)
        .ok_or_else(|| Failure::usage(format!("bad --timeout '{t}' (use e.g. 10s, 500ms)")))
}

/// The options every region is probed with (each region brings its own
/// probe profile and GP Connect settings).
fn options(args: &Args) -> Result<ProbeOptions, Failure> {
    let mut options = ProbeOptions {
        allow_writes: args.allow_writes,
        keep_patient_data: args.patient_data.keep()?,
        ..ProbeOptions::default()
    };
    if !args.types.is_empty() {
        options.types = args.types.clone();
    }
    Ok(options)
}

/// What the response bodies of one probe profile are validated with.
struct Bodies {
    validator: Option<Validator>,
    /// Why there is no validator when one was wanted.
    because: Option<String>,
}

impl Bodies {
    fn load(settings: &Settings, args: &Args, profile: ProbeProfile) -> Result<Bodies, Failure> {
        let none = |because: Option<String>| Bodies {
            validator: None,
            because,
        };
        if args.no_validate {
            return Ok(none(None));
        }
        let load = LoadOptions {
            no_cache: args.no_cache,
            ..LoadOptions::default()
        };
        let pack = ProbeOptions {
            profile,
            ..ProbeOptions::default()
        }
        .validation_pack();
        let bodies = match pack {
            None => Bodies {
                validator: Some(settings.validator(&load)?),
                because: None,
            },
            // The pack is the target's; until it can load, the probe still
            // checks the contract and says why bodies were not validated.
            Some(pack) => match settings.with_pack(pack).validator(&load) {
                Ok(v) => Bodies {
                    validator: Some(v),
                    because: None,
                },
                Err(e) => {
                    let why = format!("the {pack} pack cannot be loaded: {e}");
                    eprintln!("conform probe: response bodies not validated: {why}");
                    none(Some(why))
                }
            },
        };
        Ok(bodies.tallying(args.must_support))
    }

    /// The validator, recording Must-Support population when asked.
    fn tallying(mut self, must_support: bool) -> Bodies {
        self.validator = self.validator.map(|v| {
            let options = conform_validate::Options {
                must_support,
                ..v.options().clone()
            };
            v.with_options(options)
        });
        self
    }

    fn validation(&self) -> Validation<'_> {
        Validation {
            validator: self.validator.as_ref().map(|v| v as &dyn BodyValidator),
            unvalidated_because: self.because.as_deref(),
        }
    }
}
