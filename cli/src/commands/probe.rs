//! `conform probe`: probe a live FHIR endpoint and render the checks.

use crate::exit::{Code, Failure, Outcome};
use conform_endpoint::{parse_duration, Endpoint, ProbeProfile, Region, RegionsFile};
use conform_probe::{run_probe, BodyValidator, ProbeError, ProbeOptions};
use conform_setup::{LoadOptions, Settings};
use conform_writers::probe::{render, FORMATS};
use conform_writers::Format;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The FHIR base URL (or name a region with --regions and --region).
    #[arg(
        value_name = "BASE_URL",
        required_unless_present = "region",
        conflicts_with = "regions"
    )]
    base_url: Option<String>,
    /// A regions file (see docs/regions.md).
    #[arg(long, value_name = "FILE", requires = "region")]
    regions: Option<PathBuf>,
    /// The region of the regions file to probe.
    #[arg(long, value_name = "NAME", requires = "regions")]
    region: Option<String>,
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
    #[arg(long, value_name = "PROFILE",
          value_parser = clap::builder::PossibleValuesParser::new(ProbeProfile::NAMES))]
    profile: Option<String>,
    /// The NHS number of a patient the GP Connect provider holds (over the
    /// region's gp_connect.nhs_number).
    #[arg(long, value_name = "NUMBER")]
    nhs_number: Option<String>,
    /// Do not validate response bodies (no packages loaded).
    #[arg(long)]
    no_validate: bool,
    /// Do not read or write the compiled-plan cache.
    #[arg(long)]
    no_cache: bool,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    let format = args.format;
    let mut region = match (&args.base_url, &args.regions, &args.region) {
        (Some(url), _, _) => Region::from_url(url),
        (None, Some(file), Some(name)) => {
            let file = RegionsFile::load(file).map_err(|e| Failure::usage(e.to_string()))?;
            file.region(name)
                .map_err(|e| Failure::usage(e.to_string()))?
                .clone()
        }
        _ => {
            return Err(Failure::usage(
                "give a BASE_URL, or --regions FILE --region NAME",
            ))
        }
    };
    if !(region.base_url.starts_with("http://") || region.base_url.starts_with("https://")) {
        return Err(Failure::usage(format!(
            "'{}' is not an http:// or https:// URL",
            region.base_url
        )));
    }
    if let Some(t) = &args.timeout {
        let d = parse_duration(t).filter(|d| !d.is_zero());
        region.timeout =
            Some(d.ok_or_else(|| {
                Failure::usage(format!("bad --timeout '{t}' (use e.g. 10s, 500ms)"))
            })?);
    }
    let endpoint = Endpoint::new(&region).map_err(|e| Failure::usage(e.to_string()))?;
    let mut options = ProbeOptions {
        allow_writes: args.allow_writes,
        profile: args
            .profile
            .as_deref()
            .and_then(ProbeProfile::parse)
            .unwrap_or(region.probe_profile),
        gp_connect: region.gp_connect.clone().unwrap_or_default(),
        ..ProbeOptions::default()
    };
    if let Some(n) = &args.nhs_number {
        options.gp_connect.nhs_number = n.clone();
        if let Some(problem) = options.gp_connect.problem() {
            return Err(Failure::usage(format!("--nhs-number: {problem}")));
        }
    }
    let validator = if args.no_validate {
        None
    } else {
        let load = LoadOptions {
            no_cache: args.no_cache,
            ..LoadOptions::default()
        };
        match options.validation_pack() {
            None => Some(settings.validator(&load)?),
            // The pack is the target's; until it can load, the probe still
            // checks the contract and says why bodies were not validated.
            Some(pack) => match settings.with_pack(pack).validator(&load) {
                Ok(v) => Some(v),
                Err(e) => {
                    let why = format!("the {pack} pack cannot be loaded: {e}");
                    eprintln!("conform probe: response bodies not validated: {why}");
                    options.unvalidated_because = Some(why);
                    None
                }
            },
        }
    };
    if !args.types.is_empty() {
        options.types = args.types.clone();
    }
    let report = run_probe(
        &endpoint,
        validator.as_ref().map(|v| v as &dyn BodyValidator),
        &options,
    )
    .map_err(|e| match e {
        ProbeError::Unreachable(_) => Failure {
            code: Code::Infrastructure,
            message: endpoint.redactor().redact(&e.to_string()),
        },
    })?;
    let text = endpoint.redactor().redact(&render(&report, format));
    crate::output::write(args.output.as_deref(), &text)?;
    Ok(if report.passed() {
        Code::Pass
    } else {
        Code::Findings
    })
}
