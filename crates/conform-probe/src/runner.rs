//! Runs the checks in order (preflight, declared vs actual, writes) and
//! collects the report. Each check module gets a [`Ctx`] that sends
//! requests, times them per interaction and emits checks.

use crate::capability::Declared;
use crate::check::{Check, CheckSink, Severity, Status};
use crate::checks;
use crate::latency::{round, Latencies, LatencyStat};
use crate::validation::BodyValidator;
use conform_endpoint::{Endpoint, Request, Response};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

/// The JSON report's schema name and version.
pub const SCHEMA: &str = "conform.probe/1";

#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Run the write checks (on data the probe creates and removes).
    pub allow_writes: bool,
    /// Resource types probed (declared or not).
    pub types: Vec<String>,
    /// `_count` for searches.
    pub page_size: u32,
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

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub base_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub auth: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fhir_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    pub writes: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub failed_shall: usize,
    pub failed_should: usize,
    pub failed_may: usize,
    pub requests: usize,
    /// Requests that got no response or a 5xx.
    pub request_errors: usize,
    pub error_rate: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    pub schema: &'static str,
    pub target: Target,
    /// RFC 7231 date of the start.
    pub started: String,
    pub duration_ms: f64,
    pub checks: Vec<Check>,
    pub latency: Vec<LatencyStat>,
    pub summary: Summary,
}

impl ProbeReport {
    /// True when no SHALL check failed.
    pub fn passed(&self) -> bool {
        self.summary.failed_shall == 0
    }
}

/// What one check is: id (or suffix after the resource type), severity, why.
pub(crate) struct Def {
    pub id: &'static str,
    pub severity: Severity,
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
    checks: Vec<Check>,
    live: &'a mut dyn CheckSink,
    latencies: Latencies,
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
        let check = Check {
            id,
            status,
            severity: def.severity,
            message: self.ep.redactor().redact(&message.into()),
            why: def.why.to_string(),
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
            self.skip(def, subject, "no validator loaded");
            return;
        };
        let errors = v.errors(body);
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
        fn check(&mut self, _: Check) {}
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
    let started = SystemTime::now();
    let start = Instant::now();
    let mut ctx = Ctx {
        ep,
        validator,
        opts,
        declared: None,
        blocked: None,
        found: BTreeMap::new(),
        checks: Vec::new(),
        live,
        latencies: Latencies::default(),
    };
    checks::preflight::run(&mut ctx)?;
    checks::resources::run(&mut ctx);
    checks::protocol::run(&mut ctx);
    checks::writes::run(&mut ctx);

    let exchanges = ep.exchanges();
    let request_errors = exchanges
        .iter()
        .filter(|e| e.error.is_some() || e.status.is_some_and(|s| s >= 500))
        .count();
    let mut summary = Summary {
        checks: ctx.checks.len(),
        requests: exchanges.len(),
        request_errors,
        error_rate: if exchanges.is_empty() {
            0.0
        } else {
            (request_errors as f64 / exchanges.len() as f64 * 1000.0).round() / 1000.0
        },
        ..Summary::default()
    };
    for c in &ctx.checks {
        match c.status {
            Status::Pass => summary.passed += 1,
            Status::Skip => summary.skipped += 1,
            Status::Fail => {
                summary.failed += 1;
                match c.severity {
                    Severity::Shall => summary.failed_shall += 1,
                    Severity::Should => summary.failed_should += 1,
                    Severity::May => summary.failed_may += 1,
                }
            }
        }
    }
    let declared = ctx.declared.clone().unwrap_or_default();
    Ok(ProbeReport {
        schema: SCHEMA,
        target: Target {
            base_url: ep.base_url().to_string(),
            region: (ep.region().name != "endpoint").then(|| ep.region().name.clone()),
            auth: ep.auth_kind().label(),
            fhir_version: declared.fhir_version,
            software: declared.software,
            writes: opts.allow_writes,
        },
        started: httpdate::fmt_http_date(started),
        duration_ms: round(start.elapsed().as_secs_f64() * 1000.0),
        checks: ctx.checks,
        latency: ctx.latencies.stats(),
        summary,
    })
}
