//! Runs a plan: scenarios in parallel (at most `jobs` at a time, each one
//! sequential), results in plan order whatever finishes first. Within a
//! scenario: variables, then setup and steps (a failure or refusal stops
//! the rest, each skipped with the reason; in a TestScript test, the rest
//! of that test), then teardown, which always runs.

use crate::interp::{bind, interpolate_json, Vars};
use crate::plan::{Plan, PlannedScenario, PlannedStep};
use crate::result::{
    Location, Phase, RegionInfo, RunResult, ScenarioResult, Status, StepResult, Tool, SCHEMA,
};
use crate::step::{execute, not_run, step_check, StepContext};
use crate::validate::BodyValidator;
use conform_endpoint::{map_bounded, Endpoint, RegionsFile};
use conform_outcome::privacy::PatientData;
use std::collections::BTreeMap;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Run steps marked `writes: true`.
    pub allow_writes: bool,
    /// Scenarios run at the same time.
    pub jobs: usize,
    /// Only scenarios with one of these tags (all when empty).
    pub tags: Vec<String>,
    /// Only scenarios using one of these regions (all when empty).
    pub regions: Vec<String>,
    /// Leave patient data in the results (`--keep-patient-data`); by
    /// default it is pseudonymised (conform_outcome::privacy).
    pub keep_patient_data: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            allow_writes: false,
            jobs: 4,
            tags: Vec::new(),
            regions: Vec::new(),
            keep_patient_data: false,
        }
    }
}

/// Told about each step and each scenario as they finish (progress).
pub trait Sink: Sync {
    fn step_done(&self, _scenario: &str, _step: &StepResult) {}
    fn scenario_done(&self, _scenario: &ScenarioResult) {}
}

/// A sink that ignores everything.
pub struct NoSink;
impl Sink for NoSink {}

/// The scenarios of the plan the options select, in plan order.
pub fn selected<'p>(plan: &'p Plan, opts: &RunOptions) -> Vec<&'p PlannedScenario> {
    plan.scenarios
        .iter()
        .filter(|s| opts.tags.is_empty() || s.identity.tags.iter().any(|t| opts.tags.contains(t)))
        .filter(|s| {
            opts.regions.is_empty() || s.identity.regions.iter().any(|r| opts.regions.contains(r))
        })
        .collect()
}

pub fn run_plan(
    plan: &Plan,
    regions: &RegionsFile,
    opts: &RunOptions,
    validator: Option<&dyn BodyValidator>,
    sink: &dyn Sink,
) -> RunResult {
    // Whole seconds: the documents' times are to the second.
    let now = jiff::Timestamp::now();
    let started = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    let t0 = Instant::now();
    let scenarios = selected(plan, opts);
    // One endpoint per region used, shared by every scenario (token caches).
    let mut endpoints: BTreeMap<String, Result<Endpoint, String>> = BTreeMap::new();
    for name in scenarios.iter().flat_map(|s| &s.identity.regions) {
        if endpoints.contains_key(name) {
            continue;
        }
        if let Ok(region) = regions.region(name) {
            let ep = Endpoint::new(region).map_err(|e| format!("region '{name}': {e}"));
            endpoints.insert(name.clone(), ep);
        }
    }
    let scenarios: Vec<ScenarioResult> = map_bounded(&scenarios, opts.jobs, |s| {
        let r = run_scenario(s, &endpoints, opts, validator, sink);
        sink.scenario_done(&r);
        r
    });
    let mut used: Vec<&String> = scenarios.iter().flat_map(|s| &s.identity.regions).collect();
    used.sort();
    used.dedup();
    let mut result = RunResult {
        schema: SCHEMA.to_string(),
        tool: Tool::conform(),
        started,
        duration_ms: t0.elapsed().as_millis() as u64,
        allow_writes: opts.allow_writes,
        regions: used
            .into_iter()
            .filter_map(|n| regions.region(n).ok())
            .map(|r| RegionInfo {
                name: r.name.clone(),
                base_url: r.base_url.clone(),
                roles: r.roles.clone(),
            })
            .collect(),
        summary: RunResult::summarise(&scenarios),
        scenarios,
        must_support: validator.and_then(|v| v.must_support()),
    };
    // Patient data out of the evidence: every value any endpoint saw,
    // replaced throughout the document under one key for the run.
    if !opts.keep_patient_data {
        let patients = PatientData::new();
        for e in endpoints.values().flatten() {
            patients.absorb(e.patient_data());
        }
        patients.redact_run(&mut result);
    }
    result
}

fn skeleton(s: &PlannedScenario) -> ScenarioResult {
    ScenarioResult {
        identity: s.identity.clone(),
        status: Status::Pass,
        reason: None,
        duration_ms: 0,
        unsupported: s.unsupported.clone(),
        steps: Vec::new(),
    }
}

/// Every assertion of a step says where it was made: scenario, step and
/// region (what SARIF, baselines and fingerprints key on).
fn locate(step: &mut StepResult, scenario: &str) {
    for a in &mut step.assertions {
        a.location = Location {
            scenario: Some(scenario.to_string()),
            step: Some(step.id.clone()),
            region: Some(step.region.clone()),
            ..Location::default()
        };
    }
}

fn all_steps(s: &PlannedScenario) -> impl Iterator<Item = (Phase, &PlannedStep)> {
    s.setup
        .iter()
        .map(|x| (Phase::Setup, x))
        .chain(s.steps.iter().map(|x| (Phase::Test, x)))
        .chain(s.teardown.iter().map(|x| (Phase::Teardown, x)))
}

fn skip_all(s: &PlannedScenario, reason: &str) -> ScenarioResult {
    let mut r = skeleton(s);
    r.status = Status::Skip;
    r.reason = Some(reason.to_string());
    r.steps = all_steps(s)
        .map(|(phase, st)| not_run(st, phase, Status::Skip, reason.to_string()))
        .collect();
    r
}

/// `register.<region>.<care setting>`: the ODS codes the regions file's
/// register (`organisations`) lists for that setting in each region the
/// scenario uses, comma-separated in file order (a FHIR search's OR list;
/// `'${...}'.split(',')` in FHIRPath). A setting with no organisation has
/// no variable, so a step that needs one fails saying it is unknown.
fn bind_registers(
    vars: &mut Vars,
    s: &PlannedScenario,
    endpoints: &BTreeMap<String, Result<Endpoint, String>>,
) {
    for name in &s.identity.regions {
        let Some(Ok(endpoint)) = endpoints.get(name) else {
            continue;
        };
        let mut by_setting: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for org in &endpoint.region().organisations {
            let setting = serde_json::to_value(org.care_setting)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            by_setting.entry(setting).or_default().push(&org.ods);
        }
        for (setting, codes) in by_setting {
            vars.insert(format!("register.{name}.{setting}"), codes.join(","));
        }
    }
}

pub fn run_scenario(
    s: &PlannedScenario,
    endpoints: &BTreeMap<String, Result<Endpoint, String>>,
    opts: &RunOptions,
    validator: Option<&dyn BodyValidator>,
    sink: &dyn Sink,
) -> ScenarioResult {
    let t0 = Instant::now();
    // Explicit skip reasons: a region the regions file lacks, writes refused.
    if let Some(missing) = s
        .identity
        .regions
        .iter()
        .find(|r| !endpoints.contains_key(*r))
    {
        return skip_all(s, &format!("region '{missing}' is not in the regions file"));
    }
    if !opts.allow_writes {
        if let Some(w) = s.setup.iter().chain(&s.steps).find(|st| st.writes) {
            return skip_all(
                s,
                &format!("step '{}' writes data: run with --allow-writes", w.id),
            );
        }
    }
    let mut r = skeleton(s);
    let mut vars = Vars::new();
    bind_registers(&mut vars, s, endpoints);
    for (k, v) in &s.identity.matrix {
        bind(&mut vars, k, v);
    }
    let mut blocked: Option<String> = None;
    for (k, v) in &s.vars {
        match interpolate_json(v, &vars) {
            Ok(v) => bind(&mut vars, k, &v),
            Err(e) => {
                blocked.get_or_insert(format!("variable '{k}': {e}"));
            }
        }
    }
    // TestScript variables read from a fixture (needs the definitions for XPath).
    for (name, fixture, how) in &s.fixture_vars {
        let got = match s.fixtures.get(fixture) {
            Some(f) => {
                let as_response = conform_endpoint::Response {
                    status: 0,
                    headers: Vec::new(),
                    body: f.to_string().into_bytes(),
                    elapsed: std::time::Duration::ZERO,
                    attempts: 0,
                    url: String::new(),
                };
                crate::step::capture(how, &as_response, validator)
            }
            None => Err(format!("no fixture '{fixture}'")),
        };
        match got {
            Ok(v) => bind(&mut vars, name, &serde_json::Value::String(v)),
            Err(e) => {
                blocked.get_or_insert(format!("variable '{name}' (from fixture '{fixture}'): {e}"));
            }
        }
    }
    if let Some(b) = &blocked {
        r.status = Status::Fail;
        r.reason = Some(b.clone());
    }
    let correlation = uuid::Uuid::new_v4().to_string();
    let mut kept = BTreeMap::new();
    let mut failed_tests: BTreeMap<String, String> = BTreeMap::new();
    for (phase, st) in all_steps(s) {
        let test_blocked = st
            .group
            .as_ref()
            .filter(|_| phase == Phase::Test)
            .and_then(|g| failed_tests.get(g));
        let result = if let (Some(why), false) = (&blocked, phase == Phase::Teardown) {
            not_run(st, phase, Status::Skip, format!("not run: {why}"))
        } else if let Some(why) = test_blocked {
            not_run(st, phase, Status::Skip, format!("not run: {why}"))
        } else if st.writes && !opts.allow_writes {
            not_run(
                st,
                phase,
                Status::Skip,
                "writes data: run with --allow-writes".into(),
            )
        } else {
            let endpoint = match endpoints.get(&st.on) {
                Some(Ok(e)) => Ok(e),
                Some(Err(e)) => Err(e.clone()),
                None => Err(format!("region '{}' is not in the regions file", st.on)),
            };
            match endpoint {
                Err(e) => {
                    let mut x = not_run(st, phase, Status::Fail, e.clone());
                    x.assertions
                        .push(step_check("region", Status::Fail, e.clone()));
                    x
                }
                Ok(endpoint) => {
                    let mut ctx = StepContext {
                        endpoint,
                        vars: &mut vars,
                        fixtures: &s.fixtures,
                        validator,
                        correlation_id: &correlation,
                        kept: &mut kept,
                    };
                    execute(st, phase, &mut ctx)
                }
            }
        };
        let mut result = result;
        locate(&mut result, &s.identity.id);
        if st.gate && result.status.is_failure() {
            // What the scenario needs is not there: skipped, not failed.
            let why = format!("skipped: {}", result.reason.clone().unwrap_or_default());
            result.status = Status::Skip;
            r.status = Status::Skip;
            r.reason = Some(why.clone());
            sink.step_done(&s.identity.id, &result);
            r.steps.push(result);
            r.steps.extend(
                all_steps(s)
                    .skip(r.steps.len())
                    .map(|(phase, st)| not_run(st, phase, Status::Skip, why.clone())),
            );
            break;
        }
        if result.status.is_failure() {
            let why = format!("step '{}' failed", st.id);
            // A failure in a TestScript test stops that test; the next
            // tests still run (they start from the setup, not from it).
            match (&st.group, phase) {
                (Some(g), Phase::Test) => {
                    failed_tests.entry(g.clone()).or_insert(why);
                }
                _ => {
                    blocked.get_or_insert(why);
                }
            }
            if r.status != Status::Fail {
                r.status = Status::Fail;
                r.reason = Some(format!(
                    "{} step '{}': {}",
                    phase.as_str(),
                    st.id,
                    result.reason.clone().unwrap_or_default()
                ));
            }
        }
        sink.step_done(&s.identity.id, &result);
        r.steps.push(result);
    }
    r.duration_ms = t0.elapsed().as_millis() as u64;
    r
}
