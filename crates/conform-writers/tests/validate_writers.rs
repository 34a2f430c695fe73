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

/// The report with a Must-Support tally: Observation complete, Encounter
/// with two elements never populated.
fn report_with_must_support() -> ValidationReport {
    use conform_outcome::validate::{ElementPopulation, MustSupportReport, ProfilePopulation};
    let profile =
        |url: &str, name: &str, instances, elements: &[(&str, usize)]| ProfilePopulation {
            profile: url.into(),
            name: name.into(),
            instances,
            elements: elements
                .iter()
                .map(|&(id, populated)| ElementPopulation {
                    id: id.into(),
                    populated,
                })
                .collect(),
        };
    let mut ms = MustSupportReport::default();
    ms.add_profile(&profile(
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation",
        "UKCoreObservation",
        2,
        &[("Observation.status", 2), ("Observation.code", 2)],
    ));
    ms.add_profile(&profile(
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter",
        "UKCoreEncounter",
        1,
        &[
            ("Encounter.status", 1),
            ("Encounter.identifier", 0),
            ("Encounter.participant", 0),
        ],
    ));
    ValidationReport {
        must_support: Some(ms),
        ..report()
    }
}

/// Each validate format, streamed by the writer `conform validate` writes
/// into, with the run's Must-Support population given at the end.
fn streamed(format: conform_writers::Format, show_information: bool) -> String {
    let report = report_with_must_support();
    let mut bytes = Vec::new();
    let opts = conform_writers::ReportOptions {
        text: TextOptions {
            color: false,
            show_information,
        },
        ..Default::default()
    };
    let mut writer =
        conform_writers::ReportWriter::new(format, Box::new(&mut bytes), &report, opts).unwrap();
    conform_outcome::validate::replay(&report, &mut writer);
    writer.finish().unwrap();
    String::from_utf8(bytes)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn must_support_population_is_rendered() {
    use conform_writers::Format;
    // Text: one line per profile, without --info too.
    let text = streamed(Format::Text, false);
    insta::assert_snapshot!("must_support_text", text);
    assert!(text.contains("UKCoreEncounter: 1 of 3 Must-Support elements populated (33.3%) in 1 instance; never populated: Encounter.identifier, Encounter.participant"), "{text}");

    // JSON: the tally, as the whole-report renderer writes it.
    let json: serde_json::Value = serde_json::from_str(&streamed(Format::Json, false)).unwrap();
    let whole: serde_json::Value =
        serde_json::from_str(&render_json(&report_with_must_support())).unwrap();
    assert_eq!(json["must_support"], whole["must_support"]);
    assert_eq!(
        json["must_support"]["profiles"][0]["elements"][1],
        serde_json::json!({"id": "Encounter.identifier", "populated": 0})
    );

    // SARIF: a note per profile, placed by the profile, with information.
    let sarif = streamed(Format::Sarif, true);
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let notes: Vec<&serde_json::Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "must-support-population")
        .collect();
    assert_eq!(notes.len(), 2, "{sarif}");
    assert_eq!(
        notes[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "must-support/https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter"
    );
    assert!(!streamed(Format::Sarif, false).contains("must-support-population"));
}
