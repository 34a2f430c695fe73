//! `--format text`: one line per check, failures with their reason, then
//! latency and a summary.

use conform_outcome::probe::{ProbeCheck, ProbeReport};
use conform_outcome::Status;
use std::fmt::Write;

pub fn render_text(r: &ProbeReport) -> String {
    let mut out = String::new();
    let t = &r.target;
    heading(&mut out, &t.base_url, t.region.as_deref());
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
        check_line(&mut out, c);
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

/// `probe URL (region NAME)`.
pub(super) fn heading(out: &mut String, base_url: &str, region: Option<&str>) {
    let _ = writeln!(
        out,
        "probe {base_url}{}",
        region.map(|n| format!(" (region {n})")).unwrap_or_default()
    );
}

/// One check's line, and why it matters when it did not hold.
pub(super) fn check_line(out: &mut String, c: &ProbeCheck) {
    // A SHOULD that did not hold is `warn` in the document but reads FAIL
    // here: the requirement column beside it says how much it matters, as
    // the summary's split of failures does.
    let status = if c.did_not_hold() {
        "FAIL"
    } else if c.outcome.status == Status::Skip {
        "skip"
    } else {
        "pass"
    };
    let o = &c.outcome;
    let _ = writeln!(
        out,
        "{status} {:<6} {:<36} {}",
        c.requirement().as_str(),
        o.rule,
        o.message
    );
    if c.did_not_hold() {
        let _ = writeln!(out, "{:>12}why: {}", "", o.why.as_deref().unwrap_or(""));
    }
}
