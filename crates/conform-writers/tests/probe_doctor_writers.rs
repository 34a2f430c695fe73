//! The probe and doctor renderers on hand-built reports, every format
//! pinned: a probe run with a passing SHALL, a SHOULD that did not hold
//! (`warn`, shown FAIL beside its SHOULD), a failed SHALL and a skip; a
//! doctor run with a set-up problem, an unreachable endpoint and a skip; a
//! run over four regions (failed, unreachable, passed, not set up).

use conform_outcome::doctor::Area;
use conform_outcome::probe::{
    LatencyStat, ProbeCheck, ProbeReport, RegionProbe, RegionsReport, Summary, Target, Verdict,
};
use conform_outcome::{Location, Outcome, Requirement, Status};
use conform_writers::{doctor, probe, Format};

fn probe_report() -> ProbeReport {
    let at = Location {
        url: Some("https://fhir.example/r4".into()),
        region: Some("north".into()),
        ..Location::default()
    };
    let check = |id: &str, requirement, status, message: &str, timed: Option<f64>| ProbeCheck {
        outcome: Outcome::check(id, requirement, status, message)
            .with_why(format!("why {id} matters"))
            .with_location(at.clone()),
        interaction: timed.map(|_| "read".to_string()),
        latency_ms: timed,
    };
    let checks = vec![
        check(
            "Patient.read",
            Requirement::Shall,
            Status::Pass,
            "GET Patient/1: status 200",
            Some(4.2),
        ),
        check(
            "tls.expiry",
            Requirement::Should,
            Status::Fail,
            "only 2 days left",
            None,
        ),
        check(
            "metadata.fhir-version",
            Requirement::Shall,
            Status::Fail,
            "fhirVersion 3.0.2 <not R4>",
            None,
        ),
        check(
            "write.create",
            Requirement::Shall,
            Status::Skip,
            "read-only by default",
            None,
        ),
    ];
    ProbeReport {
        schema: conform_outcome::probe::SCHEMA.into(),
        target: Target {
            base_url: "https://fhir.example/r4".into(),
            region: Some("north".into()),
            auth: "private_key_jwt RS512".into(),
            fhir_version: Some("3.0.2".into()),
            software: Some("Example & Co server".into()),
            writes: false,
        },
        started: "2026-12-03T14:00:00Z".parse().unwrap(),
        duration_ms: 1843.2,
        summary: Summary {
            requests: 9,
            request_errors: 1,
            error_rate: 0.111,
            ..Summary::of_checks(&checks)
        },
        checks,
        latency: vec![LatencyStat {
            interaction: "read".into(),
            count: 3,
            p50_ms: 4.2,
            p95_ms: 13.4,
        }],
        must_support: None,
    }
}

/// A run over four regions: the report above (a failed SHALL), the same
/// passing, one unreachable and one whose secret is not set.
fn regions_report() -> RegionsReport {
    let failing = probe_report();
    let mut passing = probe_report();
    passing.target.region = Some("south".into());
    passing.checks.retain(|c| c.outcome.status == Status::Pass);
    for c in &mut passing.checks {
        c.outcome.location.region = Some("south".into());
    }
    passing.summary = Summary::of_checks(&passing.checks);
    let not_probed = |name: &str, url: &str, verdict, rule: &str, message: &str| RegionProbe {
        region: name.into(),
        base_url: url.into(),
        verdict,
        problem: Some(
            Outcome::check(rule, Requirement::Shall, Status::Error, message)
                .with_why(format!("why {rule} matters"))
                .with_location(Location {
                    url: Some(url.into()),
                    region: Some(name.into()),
                    ..Location::default()
                }),
        ),
        report: None,
    };
    let probed = |report: ProbeReport| {
        let region = report.target.region.clone().unwrap();
        let base_url = report.target.base_url.clone();
        RegionProbe::probed(region, base_url, report)
    };
    let regions = vec![
        probed(failing),
        not_probed(
            "east",
            "https://east.example/r4",
            Verdict::Unreachable,
            "endpoint.reachable",
            "endpoint unreachable: connection refused",
        ),
        probed(passing),
        not_probed(
            "west",
            "https://west.example/r4",
            Verdict::Setup,
            "region.settings",
            "the environment variable WEST_TOKEN is not set",
        ),
    ];
    RegionsReport {
        schema: conform_outcome::probe::REGIONS_SCHEMA.into(),
        started: "2026-12-03T02:00:00Z".parse().unwrap(),
        duration_ms: 4210.5,
        summary: RegionsReport::summarise(&regions),
        regions,
    }
}

fn doctor_checks() -> Vec<Outcome> {
    vec![
        Area::Packages.check(
            "hl7.fhir.r4.core#4.0.1",
            Status::Pass,
            "found: hl7.fhir.r4.core#4.0.1",
        ),
        Area::Packages
            .check(
                "uk.example#1.0.0",
                Status::Fail,
                "uk.example#1.0.0 is not in the package cache or the package sources",
            )
            .with_fix("run `conform package install uk.example#1.0.0`"),
        Area::Cache.check("/tmp/plans", Status::Pass, "writable"),
        Area::Region("north").check("secret NORTH_TOKEN", Status::Pass, "bearer token is set"),
        Area::Region("north")
            .check(
                "https://fhir.example/r4/metadata",
                Status::Error,
                "unreachable: connection refused",
            )
            .with_fix("check base_url, the network path (proxy, firewall) and the server's TLS certificate"),
        Area::Region("south").check(
            "https://south.example/r4",
            Status::Skip,
            "not contacted (offline)",
        ),
    ]
}

/// SARIF names the writing tool's version; the snapshots do not.
fn pinned(text: String) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn probe_report_in_every_format() {
    let r = probe_report();
    for format in probe::FORMATS {
        let name = format!("probe_{}", format.name());
        insta::assert_snapshot!(name, pinned(probe::render(&r, *format)));
    }
}

#[test]
fn probe_json_reads_back_as_the_report() {
    let r = probe_report();
    let back: ProbeReport = serde_json::from_str(&probe::render(&r, Format::Json)).unwrap();
    assert_eq!(back, r);
    assert!(!r.passed(), "a SHALL failed");
    assert_eq!((r.summary.failed, r.summary.failed_shall), (2, 1));
}

#[test]
fn regions_report_in_every_format() {
    let r = regions_report();
    for format in probe::FORMATS {
        let name = format!("probe_regions_{}", format.name());
        insta::assert_snapshot!(name, pinned(probe::render_regions(&r, *format)));
    }
    let back: RegionsReport =
        serde_json::from_str(&probe::render_regions(&r, Format::Json)).unwrap();
    assert_eq!(back, r);
    assert_eq!(r.verdict(), Verdict::Setup);
}

#[test]
fn doctor_checks_in_every_format() {
    let checks = doctor_checks();
    for format in doctor::FORMATS {
        let name = format!("doctor_{}", format.name());
        insta::assert_snapshot!(name, pinned(doctor::render(&checks, *format)));
    }
}
