//! Runs the checks in order (preflight, declared vs actual, writes) and
//! collects the report. Each check module gets a [`Ctx`] that sends
//! requests, times them per interaction and emits checks.

use crate::capability::Declared;
use crate::checks;
use crate::latency::{round, Latencies};
use crate::validation::BodyValidator;
use conform_endpoint::{Endpoint, GpConnectSettings, ProbeProfile, Request, Response};
use conform_outcome::probe::{ProbeCheck, ProbeReport, Summary, Target, SCHEMA};
use conform_outcome::{Location, Outcome, Requirement, Status};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where checks go as they are made.
pub trait CheckSink {
    fn check(&mut self, check: ProbeCheck);
}

impl CheckSink for Vec<ProbeCheck> {
    fn check(&mut self, check: ProbeCheck) {
        self.push(check);
    }
}

#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Run the write checks (on data the probe creates and removes).
    pub allow_writes: bool,
    /// Resource types probed (declared or not).
    pub types: Vec<String>,
    /// `_count` for searches.
    pub page_size: u32,
    /// Which checks run: a FHIR R4 server's, or a GP Connect provider's
    /// contract (then `types`, `page_size` and `allow_writes` do not apply).
    pub profile: ProbeProfile,
    /// The consumer's identity for the GP Connect checks.
    pub gp_connect: GpConnectSettings,
    /// Why no validator was given, when that was not the caller's choice
    /// (the `.valid` checks skip with it instead of "no validator loaded").
    pub unvalidated_because: Option<String>,
    /// Leave patient data in the report (`--keep-patient-data`); by
    /// default it is pseudonymised (conform_outcome::privacy).
    pub keep_patient_data: bool,
}

/// The profile pack GP Connect responses are validated with.
pub const GP_CONNECT_PACK: &str = "gp-connect";

impl ProbeOptions {
    /// The pack to load the validator with for this profile; `None` for
    /// the pack configured as usual.
    pub fn validation_pack(&self) -> Option<&'static str> {
        match self.profile {
            ProbeProfile::Fhir => None,
            ProbeProfile::GpConnect => Some(GP_CONNECT_PACK),
        }
    }
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            allow_writes: false,
            types: [
                "Patient",
                "Observation",
                "Organization",
                "Location",
                "Encounter",
                "DocumentReference",
                "Practitioner",
            ]
            .map(String::from)
            .to_vec(),
            page_size: 2,
            keep_patient_data: false,
            profile: ProbeProfile::Fhir,
            gp_connect: GpConnectSettings::default(),
            unvalidated_because: None,
        }
    }
}

#[derive(Debug)]
pub enum ProbeError {
    /// The endpoint could not be talked to at all (exit code 3).
    Unreachable(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::Unreachable(m) => write!(f, "endpoint unreachable: {m}"),
        }
    }
}

/// What one check is: id (or suffix after the resource type), how strongly
/// it is required, why.
pub(crate) struct Def {
    pub id: &'static str,
    pub requirement: Requirement,
    pub why: &'static str,
}

pub(crate) struct Ctx<'a> {
    pub ep: &'a Endpoint,
    pub validator: Option<&'a dyn BodyValidator>,
    pub opts: &'a ProbeOptions,
    pub declared: Option<Declared>,
    /// Why the checks after the preflight cannot run, when they cannot.
    pub blocked: Option<String>,
    /// The first resource found per type (for reads and identifier searches).
    pub found: BTreeMap<String, Value>,
    checks: Vec<ProbeCheck>,
    /// Where every check applies: the base URL and the region.
    location: Location,
    live: &'a mut dyn CheckSink,
    latencies: Latencies,
    /// The Must-Support tallies of every body validated.
    must_support: conform_outcome::validate::MustSupportReport,
}

impl Ctx<'_> {
    /// Sends a request, timing it under `interaction`; an error is a
    /// sentence (already redacted).
    pub fn call(
        &mut self,
        interaction: &str,
        req: Request,
    ) -> Result<(Response, Duration), String> {
        let start = Instant::now();
        let r = self.ep.send(&req);
        let took = start.elapsed();
        self.latencies.add(interaction, took);
        r.map(|r| (r, took)).map_err(|e| e.to_string())
    }

    /// Times a request sent without [`Ctx::call`].
    pub fn record(&mut self, interaction: &str, took: Duration) {
        self.latencies.add(interaction, took);
    }

    pub fn emit(
        &mut self,
        def: &Def,
        subject: Option<&str>,
        status: Status,
        message: impl Into<String>,
        timed: Option<(&str, Duration)>,
    ) {
        let id = match subject {
            Some(s) => format!("{s}.{}", def.id),
            None => def.id.to_string(),
        };
        let message = self.ep.redactor().redact(&message.into());
        let check = ProbeCheck {
            // a failed SHOULD or MAY becomes `warn` here, as everywhere
            outcome: Outcome::check(id, def.requirement, status, message)
                .with_why(def.why)
                .with_location(self.location.clone()),
            interaction: timed.map(|(i, _)| i.to_string()),
            latency_ms: timed.map(|(_, d)| round(d.as_secs_f64() * 1000.0)),
        };
        self.live.check(check.clone());
        self.checks.push(check);
    }

    pub fn pass(
        &mut self,
        def: &Def,
        subject: Option<&str>,
        message: impl Into<String>,
        timed: Option<(&str, Duration)>,
    ) {
        self.emit(def, subject, Status::Pass, message, timed);
    }
    pub fn fail(
        &mut self,
        def: &Def,
        subject: Option<&str>,
        message: impl Into<String>,
        timed: Option<(&str, Duration)>,
    ) {
        self.emit(def, subject, Status::Fail, message, timed);
    }
    pub fn skip(&mut self, def: &Def, subject: Option<&str>, reason: impl Into<String>) {
        self.emit(def, subject, Status::Skip, reason, None);
    }
    pub fn outcome(
        &mut self,
        def: &Def,
        subject: Option<&str>,
        ok: bool,
        message: impl Into<String>,
        timed: Option<(&str, Duration)>,
    ) {
        let status = if ok { Status::Pass } else { Status::Fail };
        self.emit(def, subject, status, message, timed);
    }

    /// Validates a response body with our validator and the pack's profiles.
    pub fn validate(&mut self, def: &Def, subject: Option<&str>, body: &[u8], what: &str) {
        let Some(v) = self.validator else {
            let reason = self.opts.unvalidated_because.as_deref();
            self.skip(def, subject, reason.unwrap_or("no validator loaded"));
            return;
        };
        let errors = v.errors_tallied(body, &mut self.must_support);
        if errors.is_empty() {
            self.pass(
                def,
                subject,
                format!("{what} has no validation errors"),
                None,
            );
        } else {
            let shown: Vec<&str> = errors.iter().take(3).map(String::as_str).collect();
            let more = if errors.len() > 3 {
                format!(" (and {} more)", errors.len() - 3)
            } else {
                String::new()
            };
            self.fail(
                def,
                subject,
                format!(
                    "{what}: {} validation error(s): {}{more}",
                    errors.len(),
                    shown.join("; ")
                ),
                None,
            );
        }
    }

    pub fn declared(&self) -> Option<&Declared> {
        self.declared.as_ref()
    }

    /// The CapabilityStatement, or why the checks that need it (and an
    /// access token) must be skipped.
    pub fn usable(&self) -> Result<Declared, String> {
        if let Some(reason) = &self.blocked {
            return Err(reason.clone());
        }
        self.declared
            .clone()
            .ok_or_else(|| "no usable CapabilityStatement".to_string())
    }
}

/// Probes the endpoint with the default (do-nothing) live sink.
pub fn run_probe(
    ep: &Endpoint,
    validator: Option<&dyn BodyValidator>,
    opts: &ProbeOptions,
) -> Result<ProbeReport, ProbeError> {
    struct Nothing;
    impl CheckSink for Nothing {
        fn check(&mut self, _: ProbeCheck) {}
    }
    run_probe_with(ep, validator, opts, &mut Nothing)
}

/// Probes the endpoint, handing each check to `live` as it is made.
pub fn run_probe_with(
    ep: &Endpoint,
    validator: Option<&dyn BodyValidator>,
    opts: &ProbeOptions,
    live: &mut dyn CheckSink,
) -> Result<ProbeReport, ProbeError> {
    // Whole seconds: the documents' times are to the second.
    let now = jiff::Timestamp::now();
    let started = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let start = Instant::now();
    let region = (ep.region().name != "endpoint").then(|| ep.region().name.clone());
    let mut ctx = Ctx {
        ep,
        validator,
        opts,
        declared: None,
        blocked: None,
        found: BTreeMap::new(),
        checks: Vec::new(),
        location: Location {
            url: Some(ep.base_url().to_string()),
            region: region.clone(),
            ..Location::default()
        },
        live,
        latencies: Latencies::default(),
        must_support: Default::default(),
    };
    match opts.profile {
        ProbeProfile::Fhir => {
            checks::preflight::run(&mut ctx)?;
            checks::resources::run(&mut ctx);
            checks::protocol::run(&mut ctx);
            checks::writes::run(&mut ctx);
        }
        ProbeProfile::GpConnect => checks::gp_connect::run(&mut ctx, &opts.gp_connect)?,
    }

    let exchanges = ep.exchanges();
    let request_errors = exchanges
        .iter()
        .filter(|e| e.error.is_some() || e.status.is_some_and(|s| s >= 500))
        .count();
    let summary = Summary {
        requests: exchanges.len(),
        request_errors,
        error_rate: if exchanges.is_empty() {
            0.0
        } else {
            (request_errors as f64 / exchanges.len() as f64 * 1000.0).round() / 1000.0
        },
        ..Summary::of_checks(&ctx.checks)
    };
    let declared = ctx.declared.clone().unwrap_or_default();
    Ok(ProbeReport {
        schema: SCHEMA.into(),
        target: Target {
            base_url: ep.base_url().to_string(),
            region,
            auth: match opts.profile {
                // GP Connect's audit JWT, minted per request, not the region's auth
                ProbeProfile::GpConnect => "gp-connect-jwt".into(),
                ProbeProfile::Fhir => ep.auth_kind().label(),
            },
            fhir_version: declared.fhir_version,
            software: declared.software,
            writes: opts.allow_writes && opts.profile == ProbeProfile::Fhir,
        },
        started,
        duration_ms: round(start.elapsed().as_secs_f64() * 1000.0),
        checks: ctx.checks,
        latency: ctx.latencies.stats(),
        summary,
        must_support: (!ctx.must_support.profiles.is_empty()).then_some(ctx.must_support),
    })
}
