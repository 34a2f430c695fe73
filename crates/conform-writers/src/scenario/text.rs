//! The text report: a summary line, then each scenario and its steps;
//! failed, warning and skipped assertions are spelled out with their
//! severity and requirement ids, and a failed step shows its curl line.
//! No times, so two runs of the same thing read the same.

use super::requirement;
use conform_outcome::scenario::{RunResult, StepResult};
use conform_outcome::Status;
use std::fmt::Write;

fn label(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
        Status::Warn => "WARN",
        Status::Error => "ERROR",
    }
}

pub fn render_text(run: &RunResult) -> String {
    let s = &run.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "conform scenario run: {} scenario{}: {} passed, {} failed, {} skipped ({} steps, {} assertions: {} failed, {} warnings)",
        s.scenarios,
        if s.scenarios == 1 { "" } else { "s" },
        s.passed,
        s.failed,
        s.skipped,
        s.steps,
        s.assertions,
        s.failed_assertions,
        s.warnings
    );
    for sc in &run.scenarios {
        let _ = writeln!(
            out,
            "\n{}  {}  {}",
            label(sc.status),
            sc.identity.id,
            sc.identity.title
        );
        let regions: Vec<String> = sc
            .identity
            .regions
            .iter()
            .map(|r| match sc.identity.roles.get(r) {
                Some(role) => format!("{r} ({role})"),
                None => r.clone(),
            })
            .collect();
        let _ = writeln!(out, "      regions: {}", regions.join(", "));
        if let Some(reason) = &sc.reason {
            let _ = writeln!(
                out,
                "      {}: {reason}",
                if sc.status == Status::Skip {
                    "skipped"
                } else {
                    "why"
                }
            );
        }
        for u in &sc.unsupported {
            let _ = writeln!(out, "      unsupported: {u}");
        }
        for st in &sc.steps {
            step(&mut out, st);
        }
    }
    out
}

fn step(out: &mut String, st: &StepResult) {
    let request = st
        .exchange
        .as_ref()
        .map(|e| {
            let r = &e.request;
            let status = e
                .response
                .as_ref()
                .and_then(|x| x.status)
                .map_or("no response".to_string(), |s| s.to_string());
            format!(
                "  {} {} -> {status}",
                r.method.as_deref().unwrap_or(""),
                r.url.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_default();
    let group = st
        .group
        .as_ref()
        .map_or(String::new(), |g| format!("{g} / "));
    let _ = writeln!(
        out,
        "  {}  {:<8} {group}{}  [on {}]{request}",
        label(st.status),
        st.phase.as_str(),
        st.id,
        st.region
    );
    if st.status == Status::Skip {
        if let Some(r) = &st.reason {
            let _ = writeln!(out, "          {r}");
        }
    }
    for a in st.assertions.iter().filter(|a| a.status != Status::Pass) {
        let reqs = if a.verifies.is_empty() {
            String::new()
        } else {
            format!(" [{}]", a.verifies.join(", "))
        };
        let _ = writeln!(
            out,
            "          {} {} {}: {}{reqs}",
            label(a.status),
            requirement(a),
            a.rule,
            a.message
        );
    }
    if st.status.is_failure() {
        if let Some(e) = &st.exchange {
            let _ = writeln!(out, "          replay: {}", e.curl);
        }
    }
}
