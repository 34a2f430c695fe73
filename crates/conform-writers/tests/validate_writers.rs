//! The validate renderers on a hand-built report, every format pinned: a
//! resource with an error, a warning and an information finding (one
//! baselined, one waived), a valid resource, and a file that could not be
//! read (an ordinary `input` outcome).

use conform_outcome::validate::{
    FileFailure, FileReport, ResourceResult, Summary, ValidationReport,
};
use conform_outcome::{IssueCode, Location, Outcome, Severity, Triage};
use conform_writers::{
    render_json, render_junit, render_operation_outcome, render_sarif, validation_groups,
    SarifOptions, TextOptions, TextSink,
};

fn finding(
    severity: Severity,
    code: IssueCode,
    rule: &str,
    at: &str,
    line: u32,
    message: &str,
) -> Outcome {
    Outcome::finding(
        severity,
        code,
        rule,
        Location::payload(at.into(), line, 5),
        message,
    )
}

fn report() -> ValidationReport {
    let mut gender = finding(
        Severity::Error,
        IssueCode::CodeInvalid,
        "binding-required",
        "Patient.gender",
        4,
        "The code 'F' is not in the required value set <AdministrativeGender>",
    );
    gender.triage = Some(Triage::Baselined);
    let mut telecom = finding(
        Severity::Warning,
        IssueCode::Value,
        "binding-extensible",
        "Patient.telecom[0].system",
        7,
        "The code 'pager2' is not in the extensible value set",
    );
    telecom.triage = Some(Triage::Waived {
        justification: "supplier fix due (owner Jo, until 2027-01-31)".into(),
    });
    let unchecked = finding(
        Severity::Information,
        IssueCode::Informational,
        "binding-not-checked",
        "Patient.maritalStatus",
        9,
        "SNOMED CT is not checked offline",
    );
    let files = vec![
        FileReport {
            path: "payloads/patient.json".into(),
            order: None,
            failure: None,
            resources: vec![ResourceResult {
                resource_type: Some("Patient".into()),
                id: Some("p1".into()),
                line: 1,
                findings: vec![gender, telecom, unchecked],
                ..Default::default()
            }],
        },
        FileReport {
            path: "payloads/good.ndjson".into(),
            order: None,
            failure: None,
            resources: vec![ResourceResult {
                resource_type: Some("Observation".into()),
                id: None,
                line: 2,
                findings: vec![],
                ..Default::default()
            }],
        },
        FileReport {
            path: "payloads/broken.json".into(),
            order: None,
            failure: Some(
                FileFailure {
                    message: "not JSON: expected ',' or '}' at line 3 column 1".into(),
                }
                .into_outcome(),
            ),
            resources: vec![],
        },
    ];
    let mut summary = Summary::default();
    for r in files.iter().flat_map(|f| &f.resources) {
        summary.add(r);
    }
    summary.files = files.len();
    summary.unreadable = 1;
    ValidationReport {
        packages: vec!["hl7.fhir.r4.core#4.0.1".into()],
        summary,
        files,
        ..ValidationReport::default()
    }
}

fn as_text(show_information: bool) -> String {
    let mut sink = TextSink::new(
        Vec::new(),
        TextOptions {
            color: false,
            show_information,
        },
    );
    sink.write_report(&report());
    String::from_utf8(sink.finish()).unwrap()
}

#[test]
fn text() {
    insta::assert_snapshot!("text", as_text(false));
    let with_info = as_text(true);
    assert!(
        with_info.contains("SNOMED CT is not checked offline"),
        "{with_info}"
    );
}

#[test]
fn json() {
    insta::assert_snapshot!("json", render_json(&report()));
}

#[test]
fn junit() {
    insta::assert_snapshot!("junit", render_junit(&report()));
}

#[test]
fn operation_outcome() {
    insta::assert_snapshot!("operation_outcome", render_operation_outcome(&report()));
}

#[test]
fn sarif() {
    let report = report();
    let mut properties = serde_json::Map::new();
    properties.insert("packages".into(), serde_json::json!(report.packages));
    let options = |include_information| SarifOptions {
        include_information,
        properties: properties.clone(),
        ..SarifOptions::default()
    };
    let render = |include_information| {
        render_sarif(&validation_groups(&report), &options(include_information))
            .replace(env!("CARGO_PKG_VERSION"), "[version]")
    };
    insta::assert_snapshot!("sarif", render(false));
    let with_info = render(true);
    assert!(
        with_info.contains("SNOMED CT is not checked offline"),
        "{with_info}"
    );
}
