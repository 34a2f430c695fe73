//! The executable plan: scenarios with their includes expanded, one
//! instance per matrix combination, fixtures loaded and every check
//! spelled out. Both YAML scenarios and TestScripts compile to this.

use crate::model::Severity;
use conform_outcome::scenario::ScenarioIdentity;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub scenarios: Vec<PlannedScenario>,
}

impl Plan {
    /// Every `validate:` target (a pack name or a profile URL), once.
    pub fn validate_targets(&self) -> std::collections::BTreeSet<&str> {
        self.scenarios
            .iter()
            .flat_map(|s| s.setup.iter().chain(&s.steps).chain(&s.teardown))
            .flat_map(|st| &st.checks)
            .filter_map(|c| match &c.kind {
                CheckKind::Validate(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Every FHIR package a scenario asks for its `validate:` targets, once.
    pub fn packages(&self) -> std::collections::BTreeSet<&str> {
        self.scenarios
            .iter()
            .flat_map(|s| &s.packages)
            .map(String::as_str)
            .collect()
    }

    /// Whether a scenario reads or writes FHIR XML or uses `path`: the run
    /// needs the FHIR definitions even with nothing to validate.
    pub fn needs_definitions(&self) -> bool {
        self.scenarios.iter().any(|s| s.needs_definitions)
    }

    /// Every region a scenario uses, once.
    pub fn regions_used(&self) -> std::collections::BTreeSet<&str> {
        self.scenarios
            .iter()
            .flat_map(|s| &s.identity.regions)
            .map(String::as_str)
            .collect()
    }

    /// Steps in setup, body and teardown of every scenario.
    pub fn step_count(&self) -> usize {
        self.scenarios
            .iter()
            .map(|s| s.setup.len() + s.steps.len() + s.teardown.len())
            .sum()
    }
}

#[derive(Clone, Debug, Default)]
pub struct PlannedScenario {
    /// Id (with the matrix values appended), title, source, tags,
    /// requirements, regions, roles, matrix: copied as is into its result.
    pub identity: ScenarioIdentity,
    /// Initial variables in order (interpolated when the run starts).
    pub vars: Vec<(String, Value)>,
    pub fixtures: BTreeMap<String, Value>,
    /// FHIR packages its `validate:` targets need.
    pub packages: Vec<String>,
    pub setup: Vec<PlannedStep>,
    pub steps: Vec<PlannedStep>,
    pub teardown: Vec<PlannedStep>,
    /// Elements of the source the runner cannot execute (TestScript).
    pub unsupported: Vec<String>,
    /// Variables read from a fixture when the run starts (TestScript
    /// `variable` with `sourceId` naming a fixture): name, fixture, how.
    pub fixture_vars: Vec<(String, String, Capture)>,
    /// Reads or writes FHIR XML (TestScript `accept`/`contentType` xml,
    /// `path`): the run needs the FHIR definitions to convert.
    pub needs_definitions: bool,
}

impl PlannedScenario {
    pub fn writes(&self) -> bool {
        self.setup
            .iter()
            .chain(&self.steps)
            .chain(&self.teardown)
            .any(|s| s.writes)
    }
}

#[derive(Clone, Debug, Default)]
pub struct PlannedStep {
    pub id: String,
    pub name: String,
    /// A TestScript test's name, when the step belongs to one.
    pub group: Option<String>,
    pub on: String,
    pub writes: bool,
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Option<Body>,
    pub checks: Vec<PlannedCheck>,
    pub captures: Vec<(String, Capture)>,
    pub retry: Option<RetryPlan>,
    pub until: Option<String>,
    pub gp_connect: Option<crate::model::GpConnectCall>,
    /// Names this step's request and response are kept under, for later
    /// checks on them (TestScript `requestId`, `responseId`).
    pub keep_as: Vec<String>,
    /// Captured when the response has them, else left as they were
    /// (TestScript variables with no `sourceId`: the latest response's).
    pub soft_captures: Vec<(String, Capture)>,
    /// When a check of this step fails, the scenario is skipped (setup,
    /// steps and teardown) with that reason rather than failed: what it
    /// needs is not there (TestScript required capabilities).
    pub gate: bool,
    /// Sent without the region's credentials (`authenticate: false`).
    pub anonymous: bool,
    /// A redirect is the response, not followed (`follow_redirects: false`).
    pub stop_at_redirects: bool,
}

/// A request header's value, interpolated when the step runs.
#[derive(Clone, Debug)]
pub enum HeaderValue {
    Text(String),
    /// Sent base64-encoded (standard alphabet, padded): a string as it
    /// is, any other JSON value as compact JSON.
    Base64(Value),
}

impl From<String> for HeaderValue {
    fn from(text: String) -> Self {
        HeaderValue::Text(text)
    }
}

#[derive(Clone, Debug)]
pub enum Body {
    Inline(Value),
    /// A named fixture with values set at paths like `identifier[0].value`.
    Fixture {
        name: String,
        set: Vec<(String, Value)>,
    },
    /// Form fields, sent URL-encoded.
    Form(Vec<(String, String)>),
}

#[derive(Clone, Copy, Debug)]
pub struct RetryPlan {
    pub every: Duration,
    pub limit: Duration,
}

#[derive(Clone, Debug)]
pub enum Capture {
    FhirPath(String),
    Header(String),
    /// XPath over the XML form, or JSONPath (`$...`) over the JSON form.
    Path(String),
    /// `body:sha1` (base64) or `body:size` (bytes) of the raw body.
    Body(BodyMeasure),
}

/// What a TestScript assert reads from a body.
#[derive(Clone, Debug)]
pub enum Selector {
    FhirPath(String),
    /// XPath 1.0 or JSONPath ([`crate::body::select`]).
    Path(String),
}

/// What the values a [`Selector`] gives must be.
#[derive(Clone, Debug)]
pub enum SelectTest {
    /// The first value compared with this one.
    Compare(Operator, String),
    Empty,
    NotEmpty,
    /// Exactly one `true` (an expression with no value, or `eval`).
    True,
    /// XPath's boolean(): something selected, not `false`, `0` or empty
    /// (a `path` with no value).
    Holds,
}

/// A part of the request a step sent (TestScript `requestURL`, `requestMethod`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestPart {
    Url,
    Method,
}

/// What is measured of a raw body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyMeasure {
    Size,
    Sha1,
}

impl BodyMeasure {
    pub fn parse(name: &str) -> Option<BodyMeasure> {
        match name {
            "size" => Some(BodyMeasure::Size),
            "sha1" => Some(BodyMeasure::Sha1),
            _ => None,
        }
    }
    /// The measure of these bytes, as a scenario compares it.
    pub fn of(self, body: &[u8]) -> String {
        match self {
            BodyMeasure::Size => body.len().to_string(),
            BodyMeasure::Sha1 => sha1_base64(body),
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            BodyMeasure::Size => "size in bytes",
            BodyMeasure::Sha1 => "SHA-1 (base64)",
        }
    }
}

/// SHA-1 of the bytes, base64: the form of FHIR's `Attachment.hash`.
pub fn sha1_base64(body: &[u8]) -> String {
    use base64::Engine;
    use sha1::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(body))
}

#[derive(Clone, Debug)]
pub struct PlannedCheck {
    pub id: String,
    pub severity: Severity,
    pub requirements: Vec<String>,
    /// Said instead of the default message when the check fails.
    pub message: Option<String>,
    pub kind: CheckKind,
    /// Another kept exchange or a fixture to check instead of this step's
    /// response (TestScript `sourceId`).
    pub source: Option<String>,
}

#[derive(Clone, Debug)]
pub enum CheckKind {
    Status(Vec<u16>),
    Header {
        name: String,
        expect: HeaderExpect,
    },
    /// Must evaluate to `true`.
    FhirPath(String),
    /// The first value of `expr` compared with `value` (TestScript).
    Compare {
        expr: String,
        op: Operator,
        value: String,
    },
    Count {
        expr: String,
        min: Option<usize>,
        max: Option<usize>,
    },
    /// The response body's `resourceType`.
    ResourceType(String),
    /// A profile canonical URL or a pack name.
    Validate(String),
    /// Values a selector gives, tested (TestScript `expression`/`path`).
    Select {
        selector: Selector,
        test: SelectTest,
    },
    /// The first value of a selector here compared with that of another
    /// selector on another source (TestScript `compareToSourceId`).
    CompareToSource {
        selector: Selector,
        source: String,
        source_selector: Selector,
        op: Operator,
    },
    /// The method or URL of the request sent.
    Request {
        part: RequestPart,
        op: Operator,
        value: String,
    },
    /// Every element and value of this fixture is in the body
    /// (TestScript `minimumId`).
    Minimum(String),
    /// A Bundle whose navigation links are there and well formed.
    NavigationLinks,
    /// The status compared as text (TestScript `responseCode` with an
    /// operator other than equals/in).
    StatusIs(Operator, String),
    /// Skipped with this reason: nothing for this runner to check (not a
    /// missing feature, e.g. `navigationLinks: false`).
    NotApplicable(String),
    /// The body is a CapabilityStatement declaring each of these: (resource
    /// type, or empty for the whole system; interaction codes, any one of
    /// which will do) (TestScript `metadata.capability`).
    Capabilities(Vec<(String, Vec<String>)>),
    /// The media type of `Content-Type` (parameters, case ignored).
    ContentType(String),
    /// A measure of the raw body equal to a value (skipped when it is empty).
    BodyMeasure {
        measure: BodyMeasure,
        value: String,
    },
    /// None of these texts in the body (case ignored).
    BodyExcludes(Vec<String>),
    /// Reported as a skip with this reason: never silently passed.
    Unsupported(String),
}

#[derive(Clone, Debug)]
pub enum HeaderExpect {
    Present,
    Absent,
    Compare(Operator, String),
}

/// TestScript's assert operators (a subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    NotContains,
    In,
    NotIn,
    GreaterThan,
    LessThan,
}

impl Operator {
    pub fn parse(code: &str) -> Option<Operator> {
        Some(match code {
            "equals" => Operator::Equals,
            "notEquals" => Operator::NotEquals,
            "contains" => Operator::Contains,
            "notContains" => Operator::NotContains,
            "in" => Operator::In,
            "notIn" => Operator::NotIn,
            "greaterThan" => Operator::GreaterThan,
            "lessThan" => Operator::LessThan,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            Operator::Equals => "equal",
            Operator::NotEquals => "not equal",
            Operator::Contains => "contain",
            Operator::NotContains => "not contain",
            Operator::In => "be one of",
            Operator::NotIn => "not be one of",
            Operator::GreaterThan => "be greater than",
            Operator::LessThan => "be less than",
        }
    }

    pub fn test(self, actual: &str, expected: &str) -> bool {
        let num = |s: &str| s.trim().parse::<f64>().ok();
        match self {
            Operator::Equals => actual == expected,
            Operator::NotEquals => actual != expected,
            Operator::Contains => actual.contains(expected),
            Operator::NotContains => !actual.contains(expected),
            Operator::In => expected.split(',').any(|e| e.trim() == actual),
            Operator::NotIn => !expected.split(',').any(|e| e.trim() == actual),
            Operator::GreaterThan => {
                matches!((num(actual), num(expected)), (Some(a), Some(b)) if a > b)
            }
            Operator::LessThan => {
                matches!((num(actual), num(expected)), (Some(a), Some(b)) if a < b)
            }
        }
    }
}
