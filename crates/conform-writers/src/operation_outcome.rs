//! `--format operationoutcome`: FHIR OperationOutcome, what FHIR tooling
//! reads. One resource validated gives one OperationOutcome; more give a
//! `collection` Bundle of them, as the HL7 validator does.

use crate::pretty::PrettyArray;
use conform_outcome::validate::{replay, ResourceResult, Sink, ValidationReport};
use conform_outcome::Outcome;
use serde_json::{json, Value};
use std::io::{self, Write};

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

/// The whole report, fed through the [`OperationOutcomeSink`] that streams
/// a run.
pub fn render_operation_outcome(report: &ValidationReport) -> String {
    let mut sink = OperationOutcomeSink::new(Vec::new());
    replay(report, &mut sink);
    let bytes = sink.finish().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// Writes the OperationOutcomes as results arrive, in flat memory: the
/// first is held until a second shows the output is a Bundle (or the end
/// shows it is not); from then on each is written as an `entry` when its
/// resource is validated. What the whole report gave, byte for byte.
pub struct OperationOutcomeSink<W: Write> {
    out: W,
    /// The first OperationOutcome, until it is known to be the only one.
    first: Option<Value>,
    /// The Bundle's `entry`, once there are two.
    entries: Option<PrettyArray>,
    /// The first write error; later writes are skipped and `finish` says.
    failed: Option<io::Error>,
}

impl<W: Write> OperationOutcomeSink<W> {
    pub fn new(out: W) -> OperationOutcomeSink<W> {
        OperationOutcomeSink {
            out,
            first: None,
            entries: None,
            failed: None,
        }
    }

    fn write(&mut self, text: &str) {
        if self.failed.is_none() {
            self.failed = self.out.write_all(text.as_bytes()).err();
        }
    }

    /// Starts the Bundle: everything before its first entry.
    fn open_bundle(&mut self) -> PrettyArray {
        let bundle = json!({
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [],
        });
        let entries = PrettyArray::new(bundle, "/entry");
        self.write(entries.head());
        entries
    }

    fn push(&mut self, outcome: Value) {
        let mut entries = match (self.entries.take(), self.first.take()) {
            (Some(entries), _) => entries,
            (None, None) => {
                self.first = Some(outcome);
                return;
            }
            (None, Some(first)) => {
                let mut entries = self.open_bundle();
                let text = entries.item(&json!({ "resource": first }));
                self.write(&text);
                entries
            }
        };
        let text = entries.item(&json!({ "resource": outcome }));
        self.write(&text);
        self.entries = Some(entries);
    }

    /// Ends the output: the one OperationOutcome, or the Bundle (empty when
    /// nothing was validated). The writer, or the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        let text = match (self.entries.take(), self.first.take()) {
            (Some(entries), _) => entries.end().to_string(),
            (None, Some(only)) => {
                serde_json::to_string_pretty(&only).expect("JSON values always serialise")
            }
            (None, None) => {
                let entries = self.open_bundle();
                entries.end().to_string()
            }
        };
        self.write(&text);
        self.write("\n");
        if self.failed.is_none() {
            self.failed = self.out.flush().err();
        }
        match self.failed {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }
}

impl<W: Write> Sink for OperationOutcomeSink<W> {
    fn resource(&mut self, name: &str, result: &mut ResourceResult) {
        self.push(outcome(name, &result.findings));
    }

    fn file_failed(&mut self, name: &str, failure: Outcome) {
        self.push(json!({
            "resourceType": "OperationOutcome",
            "extension": [{ "url": EXT_FILE, "valueString": name }],
            "issue": [{ "severity": "fatal", "code": "exception", "details": { "text": failure.message } }],
        }));
    }
}
