//! Probing regions of a regions file: one region as `conform probe --region`
//! does, or every region at once (`--all`), a bounded number at a time, into
//! one `conform.probe-regions/1` report. A region that cannot be set up or
//! reached is a verdict with its reason, never an end to the run.

use crate::latency::round;
use crate::runner::{run_probe, ProbeError, ProbeOptions};
use crate::validation::BodyValidator;
use conform_endpoint::{map_bounded, Endpoint, ProbeProfile, Redactor, Region};
use conform_outcome::privacy::PatientData;
use conform_outcome::probe::{RegionProbe, RegionsReport, Verdict, REGIONS_SCHEMA};
use conform_outcome::{Location, Outcome, Requirement, Status};
use std::time::Instant;

/// The default for how many regions are probed at once: a probe waits on
/// the network, not
/// the processor, so more than there are cores, but few
/// enough that neither conform's network nor a server shared by several
/// regions is flooded.
pub const DEFAULT_JOBS: usize = 8;

/// What a region's response bodies are validated with: a validator, or why
/// there is none (the `.valid` checks skip with the reason).
#[derive(Clone, Copy, Default)]
pub struct Validation<'a> {
    pub validator: Option<&'a dyn BodyValidator>,
    /// Why there is no validator, when that was not the caller's choice.
    pub unvalidated_because: Option<&'a str>,
}

/// One region probed, and the redactor that knows the secrets its endpoint
/// read or received (every output about it passes through that). Unless
/// the options keep it, patient data is already out of `probe`.
pub struct RegionRun {
    pub probe: RegionProbe,
    pub redactor: Redactor,
    /// The patient values the endpoint saw.
    pub patient_data: PatientData,
}

/// Why a region was not probed: its verdict, and the rule and why of the
/// outcome that says so.
struct NotProbed {
    verdict: Verdict,
    rule: &'static str,
    why: &'static str,
}

const UNREACHABLE: NotProbed = NotProbed {
    verdict: Verdict::Unreachable,
    rule: "endpoint.reachable",
    why: "An endpoint that cannot be reached exchanges no records; none of its checks could run.",
};
const SETTINGS: NotProbed = NotProbed {
    verdict: Verdict::Setup,
    rule: "region.settings",
    why: "A region's entry must be usable (an http(s) base URL; its secrets, keys and certificates readable) before anything is sent.",
};

impl NotProbed {
    fn region(&self, region: &Region, message: String) -> RegionProbe {
        RegionProbe {
            region: region.name.clone(),
            base_url: region.base_url.clone(),
            verdict: self.verdict,
            problem: Some(
                Outcome::check(self.rule, Requirement::Shall, Status::Error, message)
                    .with_why(self.why)
                    .with_location(Location {
                        url: Some(region.base_url.clone()),
                        region: Some(region.name.clone()),
                        ..Location::default()
                    }),
            ),
            report: None,
        }
    }
}

/// Probes one region with `opts`, except that the region's own probe
/// profile and GP Connect consumer settings apply. Nothing is sent when
/// the region's settings cannot be used. Patient data is pseudonymised in
/// the report unless `opts.keep_patient_data`.
pub fn probe_region(region: &Region, opts: &ProbeOptions, validation: Validation<'_>) -> RegionRun {
    let mut run = probe_one(region, opts, validation);
    if !opts.keep_patient_data {
        run.patient_data.redact_region(&mut run.probe);
    }
    run
}

/// [`probe_region`] with patient data left in.
fn probe_one(region: &Region, opts: &ProbeOptions, validation: Validation<'_>) -> RegionRun {
    if !(region.base_url.starts_with("http://") || region.base_url.starts_with("https://")) {
        let message = format!("'{}' is not an http:// or https:// URL", region.base_url);
        return RegionRun {
            probe: SETTINGS.region(region, message),
            redactor: Redactor::new(),
            patient_data: PatientData::new(),
        };
    }
    let endpoint = match Endpoint::new(region) {
        Ok(e) => e,
        Err(e) => {
            return RegionRun {
                probe: SETTINGS.region(region, e.to_string()),
                redactor: Redactor::new(),
                patient_data: PatientData::new(),
            }
        }
    };
    let opts = ProbeOptions {
        profile: region.probe_profile,
        gp_connect: region.gp_connect.clone().unwrap_or_default(),
        unvalidated_because: validation.unvalidated_because.map(str::to_string),
        ..opts.clone()
    };
    let redactor = endpoint.redactor().clone();
    let probe = match run_probe(&endpoint, validation.validator, &opts) {
        Ok(report) => RegionProbe::probed(region.name.clone(), region.base_url.clone(), report),
        Err(e @ ProbeError::Unreachable(_)) => {
            UNREACHABLE.region(region, redactor.redact(&e.to_string()))
        }
    };
    RegionRun {
        probe,
        redactor,
        patient_data: endpoint.patient_data().clone(),
    }
}

/// Probes every region, at most `jobs` at a time, each as [`probe_region`]
/// does, with the validation `validation` gives for its probe profile.
/// `done` hears of each region as it finishes (in the order they finish);
/// the report keeps the order of `regions`. The redactor knows every
/// region's secrets.
pub fn probe_regions<'v>(
    regions: &[Region],
    opts: &ProbeOptions,
    validation: &(dyn Fn(ProbeProfile) -> Validation<'v> + Sync),
    jobs: usize,
    done: &(dyn Fn(&RegionProbe) + Sync),
) -> (RegionsReport, Redactor) {
    // Whole seconds: the documents' times are to the second.
    let now = jiff::Timestamp::now();
    let started = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let start = Instant::now();
    let runs = map_bounded(regions, jobs, |region| {
        let run = probe_one(region, opts, validation(region.probe_profile));
        done(&run.probe);
        run
    });
    let redactor = Redactor::new();
    // One key for the run: a patient reads the same in every region.
    let patients = PatientData::new();
    let regions: Vec<RegionProbe> = runs
        .into_iter()
        .map(|run| {
            redactor.absorb(&run.redactor);
            patients.absorb(&run.patient_data);
            run.probe
        })
        .collect();
    let mut report = RegionsReport {
        schema: REGIONS_SCHEMA.into(),
        started,
        duration_ms: round(start.elapsed().as_secs_f64() * 1000.0),
        summary: RegionsReport::summarise(&regions),
        regions,
    };
    if !opts.keep_patient_data {
        patients.redact_regions(&mut report);
    }
    (report, redactor)
}
