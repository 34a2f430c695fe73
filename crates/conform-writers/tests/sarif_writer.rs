//! The SARIF writer on hand-built outcomes of each kind: a payload finding
//! placed by file, line, column and FHIRPath; a failed SHALL endpoint check
//! by URL; a set-up problem by area and subject; a waived finding.

use conform_outcome::{IssueCode, Location, Outcome, Requirement, Severity, Status, Triage};
use conform_writers::{render_sarif, Group, SarifOptions, Scope};

#[test]
fn outcomes_of_every_kind_in_one_run() {
    let payload = Outcome::finding(
        Severity::Error,
        IssueCode::CodeInvalid,
        "binding-required",
        Location::payload("Patient.gender".into(), 5, 13),
        "The code 'F' is not in the value set",
    );
    let mut waived = Outcome::finding(
        Severity::Warning,
        IssueCode::Structure,
        "unknown-element",
        Location::payload("Patient.foo".into(), 7, 3),
        "Unknown element 'foo'",
    );
    waived.triage = Some(Triage::Waived {
        justification: "known (owner Jo)".into(),
    });
    let check = Outcome::check(
        "Patient.read.valid",
        Requirement::Shall,
        Status::Fail,
        "the Patient: 1 validation error(s)",
    )
    .with_why("Servers must return valid resources.")
    .with_location(Location {
        region: Some("north".into()),
        ..Location::default()
    });
    let passed = Outcome::check("metadata.valid", Requirement::Shall, Status::Pass, "ok");
    let setup = Outcome {
        rule: "doctor.packages".into(),
        severity: Severity::Error,
        requirement: None,
        status: Status::Fail,
        code: None,
        location: Location {
            subject: Some("uk.example#1.0.0".into()),
            ..Location::default()
        },
        message: "not in the package cache".into(),
        why: None,
        fix: Some("run `conform package install uk.example#1.0.0`".into()),
        triage: None,
        verifies: Vec::new(),
    };
    let groups = [
        Group {
            scope: Scope::File("fixtures/p q.json"),
            outcomes: vec![&payload, &waived],
        },
        Group {
            scope: Scope::Endpoint("https://fhir.example/r4"),
            outcomes: vec![&check, &passed],
        },
        Group {
            scope: Scope::Area("packages"),
            outcomes: vec![&setup],
        },
    ];
    let text = render_sarif(&groups, &SarifOptions::default())
        .replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!(text);
}
