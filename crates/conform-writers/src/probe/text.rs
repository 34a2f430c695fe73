//! `--format text`: one line per check, failures with their reason, then
//! latency and a summary.

use crate::{ProbeReport, Status};
use std::fmt::Write;

pub fn render_text(r: &ProbeReport) -> String {
    let mut out = String::new();
    let t = &r.target;
    let _ = writeln!(
        out,
        "probe {}{}",
        t.base_url,
        t.region
            .as_ref()
            .map(|n| format!(" (region {n})"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "  auth {}, FHIR {}, {}{}",
        t.auth,
        t.fhir_version.as_deref().unwrap_or("unknown"),
        t.software.as_deref().unwrap_or("software unknown"),
        if t.writes {
            ", writes allowed"
        } else {
            ", read-only"
        }
    );
    for c in &r.checks {
        let status = match c.status {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        let _ = writeln!(
            out,
            "{status} {:<6} {:<36} {}",
            c.severity.as_str(),
            c.id,
            c.message
        );
        if c.status == Status::Fail {
            let _ = writeln!(out, "{:>12}why: {}", "", c.why);
        }
    }
    if !r.latency.is_empty() {
        let _ = writeln!(out, "latency (ms):");
        for l in &r.latency {
            let _ = writeln!(
                out,
                "  {:<20} n={:<3} p50 {:>7.1}  p95 {:>7.1}",
                l.interaction, l.count, l.p50_ms, l.p95_ms
            );
        }
    }
    let s = &r.summary;
    let _ = writeln!(
        out,
        "{} checks: {} passed, {} failed ({} SHALL, {} SHOULD, {} MAY), {} skipped; {} requests, error rate {:.1}%",
        s.checks, s.passed, s.failed, s.failed_shall, s.failed_should, s.failed_may, s.skipped, s.requests, s.error_rate * 100.0
    );
    out
}
