//! `--format operationoutcome`: FHIR OperationOutcome, what FHIR tooling
//! reads. One resource validated gives one OperationOutcome; more give a
//! `collection` Bundle of them, as the HL7 validator does.

use conform_outcome::validate::ValidationReport;
use conform_outcome::Outcome;
use serde_json::{json, Value};

const EXT_LINE: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line";
const EXT_COL: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col";
const EXT_FILE: &str = "http://hl7.org/fhir/StructureDefinition/operationoutcome-file";

fn issue(f: &Outcome) -> Value {
    let mut issue = json!({
        "extension": [
            { "url": EXT_LINE, "valueInteger": f.line() },
            { "url": EXT_COL, "valueInteger": f.column() },
        ],
        "severity": f.severity.as_str(),
        "code": f.issue_code().as_str(),
        "details": { "text": f.message },
    });
    if !f.expression().is_empty() {
        issue["expression"] = json!([f.expression()]);
    }
    issue
}

fn outcome(file: &str, findings: &[Outcome]) -> Value {
    let mut issues: Vec<Value> = findings.iter().map(issue).collect();
    if issues.is_empty() {
        // An OperationOutcome needs at least one issue: say all is well.
        issues.push(json!({
            "severity": "information",
            "code": "informational",
            "details": { "text": "No issues found" },
        }));
    }
    json!({
        "resourceType": "OperationOutcome",
        "extension": [{ "url": EXT_FILE, "valueString": file }],
        "issue": issues,
    })
}

pub fn render_operation_outcome(report: &ValidationReport) -> String {
    let mut outcomes = Vec::new();
    for f in &report.files {
        if let Some(failure) = &f.failure {
            outcomes.push(json!({
                "resourceType": "OperationOutcome",
                "extension": [{ "url": EXT_FILE, "valueString": f.path }],
                "issue": [{ "severity": "fatal", "code": "exception", "details": { "text": failure.message } }],
            }));
        }
        for r in &f.resources {
            outcomes.push(outcome(&f.path, &r.findings));
        }
    }
    let out = if outcomes.len() == 1 {
        outcomes.pop().expect("one outcome")
    } else {
        json!({
            "resourceType": "Bundle",
            "type": "collection",
            "entry": outcomes.into_iter().map(|o| json!({ "resource": o })).collect::<Vec<_>>(),
        })
    };
    serde_json::to_string_pretty(&out).expect("JSON values always serialise") + "\n"
}
