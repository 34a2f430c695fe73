//! The doctor's checks (outcomes of `conform_outcome::doctor`) as text,
//! JSON (`conform.doctor/2`), JUnit or SARIF, each grouped by area.

use crate::junit_xml::{Case, Junit, Outcome as Verdict, Suite};
use crate::{render_sarif, Format, Group, SarifOptions, Scope};
use conform_outcome::doctor::{area_name, subject, DoctorReport};
use conform_outcome::{Outcome, Status};
use std::fmt::Write;

/// The formats `conform doctor` writes.
pub const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Junit, Format::Sarif];

/// Writes the checks in `format`, one of [`FORMATS`] (text otherwise).
pub fn render(checks: &[Outcome], format: Format) -> String {
    match format {
        Format::Json => json(checks),
        Format::Junit => junit(checks),
        Format::Sarif => sarif(checks),
        _ => text(checks),
    }
}

/// Area by area, a line a check, the fix under each problem.
pub fn text(checks: &[Outcome]) -> String {
    let mut out = String::new();
    let mut area = String::new();
    for c in checks {
        let this_area = area_name(c);
        if this_area != area {
            area = this_area;
            let _ = writeln!(out, "{area}");
        }
        let mark = match c.status {
            Status::Pass => "ok     ",
            Status::Skip => "skipped",
            Status::Fail | Status::Warn | Status::Error => "PROBLEM",
        };
        let _ = writeln!(out, "  {mark} {}: {}", subject(c), c.message);
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "          fix: {fix}");
        }
    }
    match checks.iter().filter(|c| is_problem(c)).count() {
        0 => out.push_str("All checks passed.\n"),
        n => {
            let _ = writeln!(out, "{n} problem(s) to fix.");
        }
    }
    out
}

/// A check that found something to fix (set-up or infrastructure).
fn is_problem(c: &Outcome) -> bool {
    matches!(c.status, Status::Fail | Status::Warn | Status::Error)
}

/// The `conform.doctor/2` document (docs/doctor-json.md).
pub fn json(checks: &[Outcome]) -> String {
    let doc = DoctorReport::new(checks.to_vec());
    serde_json::to_string_pretty(&doc).expect("checks serialise") + "\n"
}

/// A suite per area, a test case per check.
pub fn junit(checks: &[Outcome]) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    for c in checks {
        let area = area_name(c);
        if suites.last().is_none_or(|s| s.name != area) {
            suites.push(Suite {
                name: area.clone(),
                ..Default::default()
            });
        }
        let verdict = match c.status {
            Status::Pass => Verdict::Pass,
            Status::Skip => Verdict::Skipped {
                message: c.message.clone(),
            },
            Status::Fail | Status::Warn | Status::Error => Verdict::Failure {
                message: c.message.clone(),
                // an error is infrastructure that did not answer (exit 3)
                kind: if c.status == Status::Error {
                    "infrastructure"
                } else {
                    "setup"
                }
                .into(),
                body: c
                    .fix
                    .clone()
                    .map(|f| format!("fix: {f}"))
                    .unwrap_or_default(),
            },
        };
        let suite = suites.last_mut().expect("pushed above");
        suite.cases.push(Case {
            classname: area,
            name: subject(c).to_string(),
            time_secs: None,
            outcome: verdict,
        });
    }
    Junit {
        name: "conform doctor".into(),
        suites,
    }
    .render()
}

/// `--format sarif`: each check as an outcome of its area, through the one
/// SARIF writer.
pub fn sarif(checks: &[Outcome]) -> String {
    let areas: Vec<String> = checks.iter().map(area_name).collect();
    let mut groups: Vec<Group> = Vec::new();
    for (area, c) in areas.iter().zip(checks) {
        if groups.last().is_none_or(|g| g.scope.name() != area) {
            groups.push(Group {
                scope: Scope::Area(area),
                outcomes: Vec::new(),
            });
        }
        groups.last_mut().expect("pushed above").outcomes.push(c);
    }
    let describe = |rule: &str| {
        Some(
            match rule {
                "doctor.packages" => "A FHIR package the configuration needs is where conform may load it from.",
                "doctor.cache" => "The compiled-plan cache can be written.",
                "doctor.regions" => "The regions file can be read.",
                "doctor.region" => "A region's secrets, keys and certificates are present and its endpoint answers.",
                _ => return None,
            }
            .to_string(),
        )
    };
    render_sarif(
        &groups,
        &SarifOptions {
            describe: Some(&describe),
            ..SarifOptions::default()
        },
    )
}
