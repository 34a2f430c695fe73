//! From evidence to a number: each [`Measure`] kind counts what was checked
//! and what passed. Nothing here decides a RAG (that is scoring.rs).

use crate::definition::{CareSettingsMode, Measure, ScenarioSelect};
use crate::evidence::{held, scenario_is, scenario_points, Evidence};
use crate::glob::Patterns;
use conform_regions::{CareSetting, Organisation};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many findings are listed per criterion.
pub const MAX_FINDINGS: usize = 8;

/// What one criterion measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    /// `payloads`, `validate`, `probe`, `scenarios` or `none`.
    pub source: &'static str,
    pub checked: f64,
    pub passed: f64,
    /// 0–100; None when there was no evidence (not assessed).
    pub score: Option<f64>,
    /// Items that failed (for `red_if_any_failure`).
    pub failures: usize,
    /// Reason the criterion can be at most Amber.
    pub cap_amber: Option<String>,
    pub unverified: Option<u64>,
    /// Codes a terminology server decided.
    pub verified: Option<u64>,
    /// Failed items, or why nothing was assessed.
    pub findings: Vec<String>,
}

impl Measurement {
    fn ratio(source: &'static str, checked: f64, passed: f64, findings: Vec<String>) -> Self {
        Measurement {
            source,
            checked,
            passed,
            score: (checked > 0.0).then(|| 100.0 * passed / checked),
            failures: (checked - passed).round().max(0.0) as usize,
            findings,
            ..Default::default()
        }
    }

    fn none(source: &'static str, why: String) -> Self {
        Measurement {
            source,
            findings: vec![why],
            ..Default::default()
        }
    }
}

pub fn measure(m: &Measure, ev: &Evidence, register: &[Organisation]) -> Measurement {
    match m {
        Measure::CareSettings { settings, mode } => care_settings(settings, *mode, ev, register),
        Measure::Validate {
            rules,
            unverified_amber_above,
        } => validate(rules, *unverified_amber_above, ev),
        Measure::Probe { checks } => probe(checks, ev),
        Measure::ProbeLatency {
            interaction,
            target_ms,
            max_error_rate,
        } => latency(interaction, *target_ms, *max_error_rate, ev),
        Measure::Scenarios {
            ids,
            tags,
            weights,
            warnings_score,
        } => scenarios(ScenarioSelect { ids, tags }, weights, *warnings_score, ev),
        Measure::ScenarioAssertions {
            ids,
            tags,
            requirements,
        } => assertions(ScenarioSelect { ids, tags }, requirements, ev),
        Measure::MustSupport => must_support(ev),
        Measure::NotMeasured { reason } => Measurement::none("none", reason.clone()),
    }
}

fn must_support(ev: &Evidence) -> Measurement {
    if ev.validate.is_empty() {
        return Measurement::none("validate", "no conform.validate/1 report".into());
    }
    let mut pooled = conform_outcome::validate::MustSupportReport::default();
    let mut any = false;
    for r in &ev.validate {
        if let Some(ms) = &r.must_support {
            pooled.add(ms);
            any = true;
        }
    }
    if !any {
        return Measurement::none(
            "validate",
            "no Must-Support population in the validate reports (conform validate --must-support)"
                .into(),
        );
    }
    let (populated, elements) = pooled.totals();
    if elements == 0 {
        return Measurement::none(
            "validate",
            "no profile applied to the payloads marks an element mustSupport".into(),
        );
    }
    let (mut findings, mut total) = (Vec::new(), 0);
    for p in &pooled.profiles {
        let missing: Vec<&str> = p.missing().collect();
        if !missing.is_empty() {
            push(
                &mut findings,
                &mut total,
                format!(
                    "{}: never populated in {} instance{}: {}",
                    p.name,
                    p.instances,
                    if p.instances == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            );
        }
    }
    Measurement::ratio(
        "validate",
        elements as f64,
        populated as f64,
        more(findings, total),
    )
}

fn push(findings: &mut Vec<String>, total: &mut usize, f: String) {
    *total += 1;
    if findings.len() < MAX_FINDINGS {
        findings.push(f);
    }
}

fn more(mut findings: Vec<String>, total: usize) -> Vec<String> {
    if total > findings.len() {
        findings.push(format!("… and {} more", total - findings.len()));
    }
    findings
}

pub fn setting_name(s: CareSetting) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn care_settings(
    settings: &[CareSetting],
    mode: CareSettingsMode,
    ev: &Evidence,
    register: &[Organisation],
) -> Measurement {
    if ev.payload_files == 0 {
        return Measurement::none("payloads", "no sampled payloads (payloads/)".into());
    }
    let seen: BTreeSet<&str> = ev.ods_seen.iter().map(|s| s.ods.as_str()).collect();
    let mut per_setting: Vec<(CareSetting, usize, usize)> = Vec::new();
    let (mut findings, mut total) = (Vec::new(), 0);
    for &s in settings {
        let orgs: Vec<&Organisation> = register.iter().filter(|o| o.care_setting == s).collect();
        let mut n_seen = 0;
        for o in &orgs {
            if seen.contains(o.ods.to_ascii_uppercase().as_str()) {
                n_seen += 1;
            } else if mode != CareSettingsMode::SettingsWithContributor {
                push(
                    &mut findings,
                    &mut total,
                    format!("{} {} ({}): no data seen", setting_name(s), o.ods, o.name),
                );
            }
        }
        if n_seen == 0 {
            let why = if orgs.is_empty() {
                "no organisation in the register"
            } else {
                "no organisation contributing"
            };
            push(
                &mut findings,
                &mut total,
                format!("{}: {why}", setting_name(s)),
            );
        }
        per_setting.push((s, orgs.len(), n_seen));
    }
    let findings = more(findings, total);
    match mode {
        CareSettingsMode::Organisations => {
            let checked: usize = per_setting.iter().map(|p| p.1).sum();
            let passed: usize = per_setting.iter().map(|p| p.2).sum();
            if checked == 0 {
                return Measurement::none(
                    "payloads",
                    "no such organisation in the register".into(),
                );
            }
            let mut m = Measurement::ratio("payloads", checked as f64, passed as f64, findings);
            m.failures = per_setting.iter().filter(|p| p.2 == 0).count();
            m
        }
        CareSettingsMode::MeanPerSetting => {
            let n = per_setting.len() as f64;
            let sum: f64 = per_setting
                .iter()
                .map(|p| {
                    if p.1 == 0 {
                        0.0
                    } else {
                        p.2 as f64 / p.1 as f64
                    }
                })
                .sum();
            let mut m = Measurement::ratio("payloads", n, sum, findings);
            m.failures = per_setting.iter().filter(|p| p.2 == 0).count();
            m
        }
        CareSettingsMode::SettingsWithContributor => {
            let with = per_setting.iter().filter(|p| p.2 > 0).count();
            let mut m =
                Measurement::ratio("payloads", per_setting.len() as f64, with as f64, findings);
            m.failures = per_setting.len() - with;
            m
        }
    }
}

fn validate(rules: &Patterns, unverified_amber_above: Option<f64>, ev: &Evidence) -> Measurement {
    if ev.validate.is_empty() {
        return Measurement::none("validate", "no conform.validate/1 report".into());
    }
    let (mut checked, mut passed, mut unverified, mut resources_total) = (0.0, 0.0, 0, 0);
    let mut verified = 0u64;
    let (mut findings, mut total) = (Vec::new(), 0);
    for r in &ev.validate {
        unverified += r.summary.unverified as u64;
        verified += r.summary.codes_verified as u64;
        resources_total += r.summary.resources as u64;
        for f in &r.files {
            if let Some(e) = &f.error {
                if rules.is_empty() {
                    checked += 1.0;
                    push(&mut findings, &mut total, format!("{}: {e}", f.path));
                }
                continue;
            }
            for res in &f.resources {
                checked += 1.0;
                let errors: Vec<_> = res
                    .issues
                    .iter()
                    .filter(|i| i.severity.is_error() && rules.matches(&i.rule))
                    .collect();
                if errors.is_empty() {
                    passed += 1.0;
                }
                for i in errors {
                    let what = res.reference();
                    push(
                        &mut findings,
                        &mut total,
                        format!("{} {what}: [{}] {}", f.path, i.rule, i.message),
                    );
                }
            }
        }
    }
    let mut m = Measurement::ratio("validate", checked, passed, more(findings, total));
    m.failures = (checked - passed) as usize;
    m.unverified = Some(unverified);
    m.verified = Some(verified);
    if let Some(limit) = unverified_amber_above {
        let share = if resources_total == 0 {
            0.0
        } else {
            100.0 * unverified as f64 / resources_total as f64
        };
        if share > limit {
            m.cap_amber = Some(format!(
                "{unverified} unverified codes ({share:.0}% of resources, over {limit}%)"
            ));
        }
    }
    m
}

fn probe(checks: &Patterns, ev: &Evidence) -> Measurement {
    if ev.probe.is_empty() {
        return Measurement::none("probe", "no conform.probe report".into());
    }
    let (mut checked, mut passed) = (0.0, 0.0);
    let (mut findings, mut total) = (Vec::new(), 0);
    for r in &ev.probe {
        for c in r.checks.iter().filter(|c| checks.matches(&c.outcome.rule)) {
            match held(&c.outcome) {
                Some(true) => {
                    checked += 1.0;
                    passed += 1.0;
                }
                Some(false) => {
                    checked += 1.0;
                    push(
                        &mut findings,
                        &mut total,
                        format!(
                            "{} [{}]: {}",
                            c.outcome.rule,
                            c.requirement().as_str(),
                            c.outcome.message
                        ),
                    );
                }
                None => {}
            }
        }
    }
    if checked == 0.0 {
        return Measurement::none("probe", format!("no probe check ran matching {checks}"));
    }
    Measurement::ratio("probe", checked, passed, more(findings, total))
}

fn latency(
    interaction: &str,
    target_ms: f64,
    max_error_rate: Option<f64>,
    ev: &Evidence,
) -> Measurement {
    let p95s: Vec<f64> = ev
        .probe
        .iter()
        .flat_map(|r| &r.latency)
        .filter(|l| l.interaction == interaction)
        .map(|l| l.p95_ms)
        .collect();
    let Some(worst) = p95s.iter().copied().reduce(f64::max) else {
        return Measurement::none(
            "probe",
            format!("no '{interaction}' latency in a probe report"),
        );
    };
    let score = if worst <= target_ms {
        100.0
    } else {
        (100.0 * (3.0 * target_ms - worst) / (2.0 * target_ms)).clamp(0.0, 100.0)
    };
    let findings = if worst > target_ms {
        vec![format!(
            "p95 of {interaction} is {worst:.0} ms (target {target_ms:.0} ms)"
        )]
    } else {
        Vec::new()
    };
    let worst_errors = ev
        .probe
        .iter()
        .map(|r| 100.0 * r.summary.error_rate)
        .fold(0.0, f64::max);
    let cap_amber = max_error_rate
        .filter(|max| worst_errors > *max)
        .map(|max| format!("request error rate {worst_errors:.1}% (over {max}%)"));
    Measurement {
        source: "probe",
        cap_amber,
        checked: p95s.len() as f64,
        passed: p95s.iter().filter(|p| **p <= target_ms).count() as f64,
        score: Some(score),
        failures: p95s.iter().filter(|p| **p > target_ms).count(),
        findings,
        ..Default::default()
    }
}

fn scenarios(
    select: ScenarioSelect,
    weights: &BTreeMap<String, f64>,
    warnings: f64,
    ev: &Evidence,
) -> Measurement {
    let (mut checked, mut passed, mut failures) = (0.0, 0.0, 0);
    let (mut findings, mut total) = (Vec::new(), 0);
    for s in ev.scenarios.iter().filter(|s| select.selects(s)) {
        let Some(p) = scenario_points(s, warnings) else {
            continue;
        };
        let w = weights
            .iter()
            .find(|(k, _)| scenario_is(s, k))
            .map_or(1.0, |(_, w)| *w);
        checked += w;
        passed += w * p;
        if p < 1.0 {
            if p == 0.0 {
                failures += 1;
            }
            let assertions = s
                .steps
                .iter()
                .flat_map(|st| &st.assertions)
                .filter(|a| held(a) == Some(false))
                .map(|a| format!("{}: {}", a.rule, a.message));
            // The runner's reason names the first failure; else the assertions.
            let failed: Vec<String> = match &s.reason {
                Some(r) => vec![r.clone()],
                None => assertions.take(2).collect(),
            };
            let verdict = if p == 0.0 {
                "failed"
            } else {
                "passed with warnings"
            };
            push(
                &mut findings,
                &mut total,
                format!(
                    "{} {} {verdict}: {}",
                    s.identity.id,
                    s.identity.title,
                    failed.join("; ")
                ),
            );
        }
    }
    if checked == 0.0 {
        return Measurement::none("scenarios", format!("no result for {}", describe(select)));
    }
    let mut m = Measurement::ratio("scenarios", checked, passed, more(findings, total));
    m.failures = failures;
    m
}

fn assertions(select: ScenarioSelect, requirements: &Patterns, ev: &Evidence) -> Measurement {
    let (mut checked, mut passed) = (0.0, 0.0);
    let (mut findings, mut total) = (Vec::new(), 0);
    for s in ev.scenarios.iter().filter(|s| select.selects(s)) {
        for a in s.steps.iter().flat_map(|st| &st.assertions) {
            if !requirements.is_empty() && !a.verifies.iter().any(|r| requirements.matches(r)) {
                continue;
            }
            match held(a) {
                Some(true) => {
                    checked += 1.0;
                    passed += 1.0;
                }
                Some(false) => {
                    checked += 1.0;
                    push(
                        &mut findings,
                        &mut total,
                        format!("{} {}: {}", s.identity.id, a.rule, a.message),
                    );
                }
                None => {}
            }
        }
    }
    if checked == 0.0 {
        let what = if requirements.is_empty() {
            describe(select)
        } else {
            format!("{} for requirements {}", describe(select), requirements)
        };
        return Measurement::none("scenarios", format!("no assertion evaluated in {what}"));
    }
    Measurement::ratio("scenarios", checked, passed, more(findings, total))
}

fn describe(select: ScenarioSelect) -> String {
    let mut parts = Vec::new();
    if !select.ids.is_empty() {
        parts.push(select.ids.join(", "));
    }
    if !select.tags.is_empty() {
        parts.push(format!("tags {}", select.tags.join(", ")));
    }
    if parts.is_empty() {
        "any scenario".into()
    } else {
        parts.join(" or ")
    }
}
