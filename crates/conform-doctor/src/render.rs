//! The doctor's checks as text, JSON (`conform.doctor/1`) or JUnit.

use crate::{Check, Kind, Status};
use conform_writers::junit_xml::{Case, Junit, Outcome, Suite};
use std::fmt::Write;

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
