//! One outcome: what was checked, where, how strongly it is required, and
//! what was found.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How bad a finding is (FHIR `OperationOutcome.issue.severity`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Information,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
        }
    }

    /// Errors and fatal errors make a resource invalid (or a check fail).
    pub fn is_error(self) -> bool {
        matches!(self, Severity::Fatal | Severity::Error)
    }
}

/// The FHIR IssueType of a payload finding (`OperationOutcome.issue.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IssueCode {
    Invalid,
    Structure,
    Required,
    Value,
    CodeInvalid,
    NotSupported,
    NotFound,
    Processing,
    Informational,
    Exception,
    BusinessRule,
    Invariant,
}

impl IssueCode {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::Invalid => "invalid",
            IssueCode::Structure => "structure",
            IssueCode::Required => "required",
            IssueCode::Value => "value",
            IssueCode::CodeInvalid => "code-invalid",
            IssueCode::NotSupported => "not-supported",
            IssueCode::NotFound => "not-found",
            IssueCode::Processing => "processing",
            IssueCode::Informational => "informational",
            IssueCode::Exception => "exception",
            IssueCode::BusinessRule => "business-rule",
            IssueCode::Invariant => "invariant",
        }
    }
}

/// How strongly a specification asks for what was checked (RFC 2119 words
/// as the FHIR and NHS specifications use them). Endpoint checks and
/// scenario assertions carry one; payload findings carry a severity only.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Requirement {
    #[serde(rename = "SHALL")]
    Shall,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Shall => "SHALL",
            Requirement::Should => "SHOULD",
            Requirement::May => "MAY",
        }
    }

    /// The severity of a failure of a check this strongly required: a
    /// failed SHALL is an error, a failed SHOULD a warning, a MAY a note.
    pub fn failure_severity(self) -> Severity {
        match self {
            Requirement::Shall => Severity::Error,
            Requirement::Should => Severity::Warning,
            Requirement::May => Severity::Information,
        }
    }
}

/// What became of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Did not hold, but only a SHOULD or MAY (or a warning): reported, not
    /// failing.
    Warn,
    Fail,
    /// Could not apply; the message says why. Never a silent pass.
    Skip,
    /// Could not be run at all (no response, unreadable input).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }

    /// The status a payload finding of this severity stands for.
    pub fn of_severity(severity: Severity) -> Status {
        match severity {
            Severity::Fatal | Severity::Error => Status::Fail,
            Severity::Warning => Status::Warn,
            Severity::Information => Status::Pass,
        }
    }

    /// Fails the command that reported it.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }
}

/// Where an outcome applies. Payload findings have an expression, line and
/// column (the file is the document's); endpoint checks a URL; scenario
/// assertions a scenario, step and region; doctor checks a subject. Fields
/// that do not apply are absent, so each kind serialises only its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    /// The payload file, when the outcome is not already nested under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// FHIRPath location in the resource, e.g. `Patient.name[0].given[1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// 1-based line and column in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The region (from the regions file) the endpoint belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The URL the check was made against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// What a set-up check looked at (`hl7.fhir.r4.core#4.0.1`, `secret
    /// PROBE_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl Location {
    /// A place in a payload.
    pub fn payload(expression: String, line: u32, column: u32) -> Location {
        Location {
            expression: Some(expression),
            line: Some(line),
            column: Some(column),
            ..Location::default()
        }
    }
}

/// What a baseline or waiver file made of an outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum Triage {
    /// Not in the baseline and not waived.
    New,
    /// In the baseline.
    Baselined,
    /// Covered by a waiver still in force.
    Waived { justification: String },
    /// Covered by a waiver whose date has passed: fails again.
    Expired { justification: String },
}

/// One outcome of one check, whatever checked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    /// The stable id of the rule or check (`binding-required`,
    /// `metadata.fhir-version`, `s1-trace.status`, an invariant's key): what
    /// baselines, waivers, SARIF rules and scorecards key on.
    pub rule: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    pub status: Status,
    /// The FHIR issue type, for payload findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<IssueCode>,
    #[serde(flatten)]
    pub location: Location,
    /// What was found (for a skip: why the check could not apply).
    pub message: String,
    /// Why the rule exists, in one sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// What to do about a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Set when a baseline or waivers were applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<Triage>,
    /// Ids of the specification requirements the check verifies (`NRL-3`,
    /// `S1`): what a scorecard selects assertions by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifies: Vec<String>,
}

impl Outcome {
    /// A finding about a place in a payload; its status follows from its
    /// severity.
    pub fn finding(
        severity: Severity,
        code: IssueCode,
        rule: impl Into<String>,
        location: Location,
        message: impl Into<String>,
    ) -> Outcome {
        Outcome {
            rule: rule.into(),
            severity,
            requirement: None,
            status: Status::of_severity(severity),
            code: Some(code),
            location,
            message: message.into(),
            why: None,
            fix: None,
            triage: None,
            verifies: Vec::new(),
        }
    }

    /// The result of a check with a requirement level: a failure's severity
    /// follows from how strongly the check is required, and a failed SHOULD
    /// or MAY is a warning, not a failure.
    pub fn check(
        rule: impl Into<String>,
        requirement: Requirement,
        status: Status,
        message: impl Into<String>,
    ) -> Outcome {
        let (severity, status) = match status {
            Status::Fail | Status::Warn if requirement != Requirement::Shall => {
                (requirement.failure_severity(), Status::Warn)
            }
            Status::Fail | Status::Error => (Severity::Error, status),
            Status::Warn => (Severity::Warning, status),
            Status::Pass | Status::Skip => (Severity::Information, status),
        };
        Outcome {
            rule: rule.into(),
            severity,
            requirement: Some(requirement),
            status,
            code: None,
            location: Location::default(),
            message: message.into(),
            why: None,
            fix: None,
            triage: None,
            verifies: Vec::new(),
        }
    }

    pub fn with_location(mut self, location: Location) -> Outcome {
        self.location = location;
        self
    }

    pub fn with_why(mut self, why: impl Into<String>) -> Outcome {
        self.why = Some(why.into());
        self
    }

    pub fn with_verifies(mut self, requirement_ids: Vec<String>) -> Outcome {
        self.verifies = requirement_ids;
        self
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Outcome {
        self.fix = Some(fix.into());
        self
    }

    /// The FHIR issue type; outcomes of checks that carry none report
    /// `processing`.
    pub fn issue_code(&self) -> IssueCode {
        self.code.unwrap_or(IssueCode::Processing)
    }

    /// The FHIRPath location, empty when the outcome has none.
    pub fn expression(&self) -> &str {
        self.location.expression.as_deref().unwrap_or("")
    }

    /// The 1-based line, 0 when the outcome has none.
    pub fn line(&self) -> u32 {
        self.location.line.unwrap_or(0)
    }

    /// The 1-based column, 0 when the outcome has none.
    pub fn column(&self) -> u32 {
        self.location.column.unwrap_or(0)
    }

    /// A stable fingerprint of this outcome in `scope` (a file and resource,
    /// an endpoint, a scenario): made from the rule and the location, never
    /// from the message, so rewording a message or reporting the same rule
    /// from another code path keeps baselines and SARIF fingerprints valid.
    /// Line and column are left out too: editing above a finding moves it.
    pub fn fingerprint(&self, scope: &str) -> String {
        let l = &self.location;
        let mut h = blake3::Hasher::new();
        for part in [
            scope,
            &self.rule,
            l.file.as_deref().unwrap_or(""),
            l.expression.as_deref().unwrap_or(""),
            l.region.as_deref().unwrap_or(""),
            l.url.as_deref().unwrap_or(""),
            l.scenario.as_deref().unwrap_or(""),
            l.step.as_deref().unwrap_or(""),
            l.subject.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        h.finalize().to_hex()[..16].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(message: &str, line: u32) -> Outcome {
        Outcome::finding(
            Severity::Error,
            IssueCode::Value,
            "binding-required",
            Location::payload("Patient.gender".into(), line, 13),
            message,
        )
    }

    #[test]
    fn fingerprint_ignores_message_and_position_but_not_rule_or_place() {
        let a = finding("The code 'F' is not in the value set", 5);
        let b = finding("Code F not in value set (reworded)", 9);
        assert_eq!(a.fingerprint("p.json"), b.fingerprint("p.json"));
        assert_ne!(a.fingerprint("p.json"), a.fingerprint("q.json"));
        let mut c = a.clone();
        c.location.expression = Some("Patient.name[0]".into());
        assert_ne!(a.fingerprint("p.json"), c.fingerprint("p.json"));
        let mut d = a.clone();
        d.rule = "binding-extensible".into();
        assert_ne!(a.fingerprint("p.json"), d.fingerprint("p.json"));
    }

    #[test]
    fn a_failed_should_is_a_warning_not_a_failure() {
        let o = Outcome::check("x", Requirement::Should, Status::Fail, "m");
        assert_eq!((o.status, o.severity), (Status::Warn, Severity::Warning));
        let o = Outcome::check("x", Requirement::Shall, Status::Fail, "m");
        assert_eq!((o.status, o.severity), (Status::Fail, Severity::Error));
        assert!(o.status.is_failure());
        let o = Outcome::check("x", Requirement::Shall, Status::Skip, "m");
        assert_eq!(o.severity, Severity::Information);
    }

    #[test]
    fn payload_findings_serialise_flat_with_only_their_fields() {
        let v = serde_json::to_value(finding("m", 5)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "rule": "binding-required", "severity": "error", "status": "fail",
                "code": "value", "expression": "Patient.gender", "line": 5,
                "column": 13, "message": "m"
            })
        );
        let back: Outcome = serde_json::from_value(v).unwrap();
        assert_eq!(back, finding("m", 5));
    }
}
