//! A run over every region of a regions file (`conform.probe-regions/1`),
//! in the formats of one probe: each region probed is rendered as its own
//! report would be, a region not probed by the outcome that says why, in
//! the regions file's order; text ends with a line per region.

use super::junit::{case, suite};
use super::render_text;
use super::text::{check_line, heading};
use crate::junit_xml::{Junit, Suite};
use crate::{Format, Group, SarifOptions, Scope};
use conform_outcome::probe::{ProbeCheck, RegionProbe, RegionsReport, Verdict};
use std::fmt::Write;

/// Writes the run in `format`, one of [`super::FORMATS`] (text otherwise).
pub fn render_regions(r: &RegionsReport, format: Format) -> String {
    match format {
        Format::Json => super::json(r),
        Format::Junit => junit(r),
        Format::Sarif => sarif(r),
        _ => text(r),
    }
}

/// The outcome that says why a region was not probed, as a check without
/// timing (so it renders as every other check does).
fn problem(region: &RegionProbe) -> Option<ProbeCheck> {
    region.problem.as_ref().map(|o| ProbeCheck {
        outcome: o.clone(),
        interaction: None,
        latency_ms: None,
    })
}

fn text(r: &RegionsReport) -> String {
    let mut out = String::new();
    let n = r.regions.len();
    for (i, region) in r.regions.iter().enumerate() {
        let _ = writeln!(out, "== {} ({} of {n}) ==", region.region, i + 1);
        if let Some(report) = &region.report {
            out.push_str(&render_text(report));
        } else {
            heading(&mut out, &region.base_url, Some(&region.region));
            problem(region).iter().for_each(|c| check_line(&mut out, c));
        }
        out.push('\n');
    }
    let s = &r.summary;
    let _ = writeln!(
        out,
        "{} regions: {} passed, {} failed, {} unreachable, {} not set up ({:.1} s)",
        s.regions,
        s.passed,
        s.failed,
        s.unreachable,
        s.setup,
        r.duration_ms / 1000.0
    );
    let width = r.regions.iter().map(|g| g.region.len()).max().unwrap_or(0);
    for region in &r.regions {
        let detail = match (&region.report, &region.problem) {
            (Some(report), _) => {
                let s = &report.summary;
                format!(
                    "{} checks, {} failed ({} SHALL)",
                    s.checks, s.failed, s.failed_shall
                )
            }
            (None, Some(problem)) => problem.message.clone(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<11} {:<width$}  {}",
            verdict_word(region.verdict),
            region.region,
            detail
        );
    }
    out
}

/// The verdict as the text's summary shows it.
fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Setup => "not set up",
        v => v.as_str(),
    }
}

/// One suite per region, named after it: its checks, or the one case that
/// says why it was not probed (a JUnit error: the tests could not run).
fn junit(r: &RegionsReport) -> String {
    let suites = r
        .regions
        .iter()
        .map(|region| match &region.report {
            Some(report) => suite(report, &region.region),
            None => Suite {
                name: region.region.clone(),
                time_secs: None,
                properties: vec![
                    ("base_url".into(), region.base_url.clone()),
                    ("region".into(), region.region.clone()),
                    ("verdict".into(), region.verdict.as_str().into()),
                ],
                cases: problem(region).iter().map(case).collect(),
            },
        })
        .collect();
    Junit {
        name: "conform probe".into(),
        suites,
    }
    .render()
}

/// Every region's outcomes at its endpoint, through the one SARIF writer.
fn sarif(r: &RegionsReport) -> String {
    let groups: Vec<Group> = r
        .regions
        .iter()
        .map(|region| Group {
            scope: Scope::Endpoint(&region.base_url),
            outcomes: match &region.report {
                Some(report) => report.checks.iter().map(|c| &c.outcome).collect(),
                None => region.problem.iter().collect(),
            },
        })
        .collect();
    crate::render_sarif(&groups, &SarifOptions::default())
}
