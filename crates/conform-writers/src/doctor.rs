//! The doctor's checks as text, JSON (`conform.doctor/1`), JUnit or SARIF.

use crate::{Check, Kind, Status};
use conform_writers::junit_xml::{Case, Junit, Outcome, Suite};
use conform_writers::{render_sarif, Format, Group, SarifOptions, Scope};
use std::fmt::Write;

/// The formats `conform doctor` writes.
pub const FORMATS: &[Format] = &[Format::Text, Format::Json, Format::Junit, Format::Sarif];

/// Writes the checks in `format`, one of [`FORMATS`] (text otherwise).
pub fn render(checks: &[Check], format: Format) -> String {
    match format {
        Format::Json => json(checks),
        Format::Junit => junit(checks),
        Format::Sarif => sarif(checks),
        _ => text(checks),
    }
}

/// Area by area, a line a check, the fix under each problem.
pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    let mut area = "";
    for c in checks {
        if c.area != area {
            area = &c.area;
            let _ = writeln!(out, "{area}");
        }
        let mark = match c.status {
            Status::Ok => "ok     ",
            Status::Problem => "PROBLEM",
            Status::Skipped => "skipped",
        };
        let _ = writeln!(out, "  {mark} {}: {}", c.subject, c.detail);
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "          fix: {fix}");
        }
    }
    match checks
        .iter()
        .filter(|c| c.status == Status::Problem)
        .count()
    {
        0 => out.push_str("All checks passed.\n"),
        n => {
            let _ = writeln!(out, "{n} problem(s) to fix.");
        }
    }
    out
}

pub fn json(checks: &[Check]) -> String {
    let doc = serde_json::json!({ "schema": "conform.doctor/1", "checks": checks });
    serde_json::to_string_pretty(&doc).expect("checks serialise") + "\n"
}

/// A suite per area, a test case per check.
pub fn junit(checks: &[Check]) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    for c in checks {
        if suites.last().is_none_or(|s| s.name != c.area) {
            suites.push(Suite {
                name: c.area.clone(),
                ..Default::default()
            });
        }
        let outcome = match c.status {
            Status::Ok => Outcome::Pass,
            Status::Skipped => Outcome::Skipped {
                message: c.detail.clone(),
            },
            Status::Problem => Outcome::Failure {
                message: c.detail.clone(),
                kind: match c.kind {
                    Kind::Setup => "setup",
                    Kind::Infrastructure => "infrastructure",
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
            classname: c.area.clone(),
            name: c.subject.clone(),
            time_secs: None,
            outcome,
        });
    }
    Junit {
        name: "conform doctor".into(),
        suites,
    }
    .render()
}

/// `--format sarif`: each check as an [`conform_outcome::Outcome`] of its
/// area, through the one SARIF writer.
pub fn sarif(checks: &[Check]) -> String {
    let outcomes: Vec<conform_outcome::Outcome> = checks.iter().map(Check::outcome).collect();
    let mut groups: Vec<Group> = Vec::new();
    for (c, o) in checks.iter().zip(&outcomes) {
        if groups.last().is_none_or(|g| g.scope.name() != c.area) {
            groups.push(Group {
                scope: Scope::Area(&c.area),
                outcomes: Vec::new(),
            });
        }
        groups.last_mut().expect("pushed above").outcomes.push(o);
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
