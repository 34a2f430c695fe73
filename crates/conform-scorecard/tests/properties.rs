//! Properties of the scoring on random evidence with the shipped MVS
//! definition:
//!
//! * adding one passing item of evidence (a resource without errors, a
//!   passing probe check, a latency within target, a passing scenario, an
//!   organisation of the register seen in the sampled payloads) never lowers
//!   any criterion, dimension or overall score, nor the level;
//! * a Red gating criterion always makes the overall Red and fails the gate.
//!
//! Connectivity is measured over the register once payloads were sampled,
//! so the generated evidence always has at least one payload file: the
//! first sampled payload changes what is measured (from "not assessed" to
//! the register's coverage) and is not "passing evidence" on its own.

use conform_outcome::scenario::{Phase, ScenarioIdentity, StepResult};
use conform_outcome::{IssueCode, Location, Outcome, Requirement, Severity, Status};
use conform_regions::{CareSetting, Organisation};
use conform_scorecard::*;
use proptest::prelude::*;

fn register() -> Vec<Organisation> {
    let org = |ods: &str, care_setting| Organisation {
        ods: ods.into(),
        name: format!("Org {ods}"),
        care_setting,
    };
    vec![
        org("G1", CareSetting::Gp),
        org("G2", CareSetting::Gp),
        org("G3", CareSetting::Gp),
        org("A1", CareSetting::Acute),
        org("M1", CareSetting::MentalHealth),
        org("C1", CareSetting::Community),
        org("S1X", CareSetting::SocialCare),
        org("H1", CareSetting::Hospice),
        org("P1", CareSetting::Pharmacy),
        org("D1X", CareSetting::Dental),
        org("O1", CareSetting::Optometry),
        org("AM1", CareSetting::Ambulance),
    ]
}

const RULES: [&str; 5] = [
    "binding-required",
    "nhs-number-check-digit",
    "ods-organization-code-format",
    "cardinality-min",
    "code-invalid",
];
const CHECKS: [&str; 8] = [
    "metadata.fhirVersion",
    "metadata.rest",
    "http.request-id",
    "errors.operation-outcome",
    "Patient.search.paging",
    "tls.in-use",
    "auth.token",
    "smart.configuration",
];
const SCENARIOS: [&str; 10] = [
    "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "inbound",
];
const REQUIREMENTS: [&str; 3] = ["S2-POINTER", "S1-AUDIT", "S5-RESTRICTED"];
const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Fail,
    Status::Warn,
    Status::Skip,
    Status::Error,
];

fn resource(error: Option<&str>) -> ValidateFile {
    ValidateFile {
        path: "p.json".into(),
        order: None,
        error: None,
        resources: vec![ValidateResource {
            resource_type: Some("Patient".into()),
            id: Some("x".into()),
            line: 1,
            valid: error.is_none(),
            issues: error
                .map(|rule| {
                    Outcome::finding(
                        Severity::Error,
                        IssueCode::Invalid,
                        rule,
                        Location::default(),
                        "bad",
                    )
                })
                .into_iter()
                .collect(),
        }],
    }
}

/// A validate document of `files` over `resources` resources.
fn validate_report(
    resources: usize,
    unverified: usize,
    files: Vec<ValidateFile>,
) -> ValidateReport {
    let mut r = ValidateReport::of(&Default::default(), "test");
    r.summary.resources = resources;
    r.summary.unverified = unverified;
    r.files = files;
    r
}

fn scenario(i: usize, status: Status, assertions: Vec<(usize, bool)>) -> ScenarioResult {
    let name = SCENARIOS[i];
    ScenarioResult {
        identity: ScenarioIdentity {
            id: format!("scenario-{}", name.to_lowercase()),
            title: name.into(),
            tags: if name == "inbound" {
                vec!["inbound".into()]
            } else {
                vec![]
            },
            requirements: if name == "inbound" {
                vec![]
            } else {
                vec![name.into()]
            },
            regions: vec!["r".into()],
            source: "s.yaml".into(),
            ..Default::default()
        },
        status,
        reason: None,
        duration_ms: 0,
        unsupported: vec![],
        steps: vec![StepResult {
            id: "step".into(),
            name: "step".into(),
            phase: Phase::Test,
            group: None,
            region: "r".into(),
            writes: false,
            status: Status::Pass,
            reason: None,
            duration_ms: 0,
            attempts: 1,
            captures: Default::default(),
            exchange: None,
            assertions: assertions
                .into_iter()
                .map(|(r, ok)| {
                    let status = if ok { Status::Pass } else { Status::Fail };
                    Outcome::check("a", Requirement::Shall, status, "")
                        .with_verifies(vec![REQUIREMENTS[r].into()])
                })
                .collect(),
        }],
    }
}

/// A probe report with no checks, latencies or requests yet.
fn probe_report() -> ProbeReport {
    ProbeReport {
        schema: conform_outcome::probe::SCHEMA.into(),
        target: conform_outcome::probe::Target {
            base_url: "http://x/fhir".into(),
            region: None,
            auth: "none".into(),
            fhir_version: None,
            software: None,
            writes: false,
        },
        started: jiff::Timestamp::UNIX_EPOCH,
        duration_ms: 0.0,
        checks: Vec::new(),
        latency: Vec::new(),
        summary: ProbeSummary::default(),
        must_support: None,
    }
}

fn probe_check(id: &str, status: Status) -> ProbeCheck {
    ProbeCheck {
        outcome: Outcome::check(id, Requirement::Shall, status, ""),
        interaction: None,
        latency_ms: None,
    }
}

fn read_latency(p95_ms: f64) -> ProbeLatency {
    ProbeLatency {
        interaction: "read".into(),
        count: 1,
        p50_ms: p95_ms,
        p95_ms,
    }
}

fn evidence() -> impl Strategy<Value = Evidence> {
    let validate = prop::collection::vec(prop::option::of(0..RULES.len()), 0..8);
    let probe = prop::collection::vec((0..CHECKS.len(), 0..3usize), 0..10);
    let latency = prop::collection::vec(1.0..12_000.0f64, 0..3);
    let scenarios = prop::collection::vec(
        (
            0..SCENARIOS.len(),
            0..STATUSES.len(),
            prop::collection::vec((0..REQUIREMENTS.len(), any::<bool>()), 0..3),
        ),
        0..8,
    );
    let seen = prop::collection::vec(0..12usize, 0..12);
    let unverified = 0..3u64;
    let error_rate = prop_oneof![Just(0.0), 0.0..0.2f64];
    (
        validate,
        probe,
        latency,
        scenarios,
        seen,
        1..3usize,
        unverified,
        error_rate,
    )
        .prop_map(
            |(validate, probe, latency, scenarios, seen, payload_files, unverified, error_rate)| {
                let reg = register();
                let mut ev = Evidence {
                    payload_files,
                    ..Evidence::default()
                };
                if !validate.is_empty() {
                    ev.validate.push(validate_report(
                        validate.len(),
                        unverified as usize,
                        validate
                            .iter()
                            .map(|e| resource(e.map(|i| RULES[i])))
                            .collect(),
                    ));
                }
                if !probe.is_empty() || !latency.is_empty() {
                    let mut report = probe_report();
                    report.checks = probe
                        .iter()
                        .map(|(c, s)| {
                            probe_check(CHECKS[*c], [Status::Pass, Status::Fail, Status::Skip][*s])
                        })
                        .collect();
                    report.latency = latency.iter().map(|p| read_latency(*p)).collect();
                    report.summary.error_rate = error_rate;
                    ev.probe.push(report);
                }
                ev.scenarios = scenarios
                    .into_iter()
                    .map(|(i, s, a)| scenario(i, STATUSES[s], a))
                    .collect();
                ev.ods_seen = seen
                    .into_iter()
                    .map(|i| OdsSighting {
                        ods: reg[i].ods.clone(),
                        element: "custodian".into(),
                        file: "payloads/x.json".into(),
                    })
                    .collect();
                ev
            },
        )
}

/// One passing item of evidence added to `ev`.
fn add_passing(mut ev: Evidence, kind: usize, pick: usize) -> Evidence {
    match kind {
        0 => {
            if ev.validate.is_empty() {
                ev.validate.push(validate_report(0, 0, Vec::new()));
            }
            let r = &mut ev.validate[0];
            r.files.push(resource(None));
            r.summary.resources += 1;
        }
        1 => {
            if ev.probe.is_empty() {
                ev.probe.push(probe_report());
            }
            ev.probe[0]
                .checks
                .push(probe_check(CHECKS[pick % CHECKS.len()], Status::Pass));
        }
        2 => {
            if ev.probe.is_empty() {
                ev.probe.push(probe_report());
            }
            ev.probe[0].latency.push(read_latency(100.0));
        }
        3 => {
            let i = pick % SCENARIOS.len();
            let a = vec![(pick % REQUIREMENTS.len(), true)];
            ev.scenarios.push(scenario(i, Status::Pass, a));
        }
        _ => {
            let reg = register();
            ev.ods_seen.push(OdsSighting {
                ods: reg[pick % reg.len()].ods.clone(),
                element: "author".into(),
                file: "payloads/y.json".into(),
            });
        }
    }
    ev
}

fn rank(def: &Definition, card: &RegionScorecard) -> usize {
    def.levels
        .iter()
        .position(|l| l.id == card.level.id)
        .unwrap()
}

fn not_lower(before: Option<f64>, after: Option<f64>, what: &str) -> Result<(), TestCaseError> {
    if let Some(b) = before {
        let a =
            after.ok_or_else(|| TestCaseError::fail(format!("{what}: {b} became not assessed")))?;
        prop_assert!(a >= b, "{what}: {b} -> {a}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_passing_evidence_never_lowers_a_score(ev in evidence(), kind in 0..5usize, pick in 0..100usize) {
        let def = Definition::mvs();
        let reg = register();
        let before = score_region(&def, "r", &reg, &ev);
        let after = score_region(&def, "r", &reg, &add_passing(ev, kind, pick));
        for (b, a) in before.criteria().zip(after.criteria()) {
            not_lower(b.score, a.score, &b.id)?;
        }
        for (b, a) in before.dimensions.iter().zip(&after.dimensions) {
            not_lower(b.score, a.score, &b.id)?;
        }
        not_lower(before.overall.score, after.overall.score, "overall")?;
        prop_assert!(after.overall.evidence_coverage >= before.overall.evidence_coverage);
        prop_assert!(rank(&def, &after) >= rank(&def, &before), "level {} -> {}", before.level.id, after.level.id);
    }

    #[test]
    fn a_red_gating_criterion_caps_the_overall_at_red(ev in evidence()) {
        let def = Definition::mvs();
        let card = score_region(&def, "r", &register(), &ev);
        let gating_red: Vec<&str> = card
            .criteria()
            .filter(|c| c.gating && c.rag == Rag::Red)
            .map(|c| c.id.as_str())
            .collect();
        if !gating_red.is_empty() {
            prop_assert_eq!(card.overall.rag, Rag::Red, "gating Red: {:?}", gating_red);
            prop_assert!(card.gate.failed);
            // The level is not capped here: levels require only the criteria
            // they name (a Red safety criterion C5.1 stops L3, not L1).
        }
    }
}

#[test]
fn no_evidence_is_not_assessed_level_0_and_fails_the_gate() {
    let def = Definition::mvs();
    let card = score_region(&def, "r", &register(), &Evidence::default());
    assert!(card
        .criteria()
        .all(|c| c.rag == Rag::NotAssessed && c.score.is_none()));
    assert_eq!(card.overall.rag, Rag::NotAssessed);
    assert_eq!(card.overall.evidence_coverage, 0.0);
    assert_eq!(card.level.id, "L0");
    assert!(card.gate.failed);
}
