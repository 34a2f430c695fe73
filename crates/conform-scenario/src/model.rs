//! The scenario file format (YAML; the same structure as JSON). Documented
//! in docs/scenarios.md; the JSON Schema is
//! `testkits/schema/scenario.schema.json`. Unknown fields are errors.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One scenario file, or an include fragment (`params` + `steps`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Stable id (reports, filters); required for scenarios.
    pub id: Option<String>,
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Requirement ids the whole scenario traces to.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// The region names the steps use (`on:`); each must be in the regions file.
    #[serde(default)]
    pub regions: Vec<String>,
    /// What each region plays, e.g. `demographics: PDS (Personal Demographics Service)`.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// Variables, evaluated once per run in order (`${...}` and generators allowed).
    #[serde(default)]
    pub vars: serde_json::Map<String, Value>,
    /// Parameters an include fragment expects (`${name}` in its steps).
    #[serde(default)]
    pub params: Vec<String>,
    /// FHIR packages its `validate:` targets need (`id#version`), loaded
    /// beside `--ig` when the kit runs, e.g. `hl7.fhir.uv.ips#2.0.0` for a
    /// target that is an IPS profile.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Named fixture files (relative to this file).
    #[serde(default)]
    pub fixtures: BTreeMap<String, String>,
    /// One run per combination of values: `{region: [a, b]}` or
    /// `{patient: [{nhs: ...}, ...]}` (object values give `${patient.nhs}`).
    #[serde(default)]
    pub matrix: BTreeMap<String, Vec<Value>>,
    /// Read-only scenarios may not contain `writes: true` steps.
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub setup: Vec<StepItem>,
    #[serde(default)]
    pub steps: Vec<StepItem>,
    /// Always runs, whatever happened before.
    #[serde(default)]
    pub teardown: Vec<StepItem>,
}

/// A step, or an include of a fragment's steps (`include` + `with`, and
/// nothing else). One struct rather than an untagged enum, so a mistake
/// inside a step is reported at its line with serde's own message.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepItem {
    /// A fragment file, relative to the including file.
    pub include: Option<String>,
    /// Values for the fragment's `params`.
    #[serde(default, rename = "with")]
    pub with: serde_json::Map<String, Value>,
    /// Unique within the scenario; default: derived from the name.
    pub id: Option<String>,
    pub name: Option<String>,
    /// The region the request goes to.
    pub on: Option<String>,
    #[serde(default)]
    pub description: String,
    /// This step changes data (refused unless `--allow-writes`).
    #[serde(default)]
    pub writes: bool,
    pub request: Option<RequestSpec>,
    #[serde(default)]
    pub expect: Expect,
    /// Variable → FHIRPath on the response body, or `header:Name`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Repeat the request until `until` holds (or the time limit passes).
    pub retry: Option<Retry>,
    /// FHIRPath on the response body that must be true to stop retrying.
    pub until: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "get")]
    pub method: String,
    /// Relative to the region's base URL (or absolute).
    #[serde(default)]
    pub path: String,
    /// Query parameters; a list value repeats the parameter.
    #[serde(default)]
    pub params: serde_json::Map<String, Value>,
    /// Header name → its value (`${...}` allowed), or `{base64: VALUE}`:
    /// a string, or JSON built with variables, sent base64-encoded (the
    /// BaRS `NHSD-*` headers).
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderSpec>,
    /// Inline JSON, or `{fixture: NAME, set: {"identifier[0].value": ...}}`.
    pub body: Option<Value>,
    /// A form body (`application/x-www-form-urlencoded`), e.g. for
    /// `POST Type/_search`; a list value repeats the field.
    #[serde(default)]
    pub form: serde_json::Map<String, Value>,
    /// A GP Connect call: the SSP headers and the audit JWT are added from
    /// the region's `gp_connect` settings.
    pub gp_connect: Option<GpConnectCall>,
    /// Send the region's credentials (default true). `false` makes the call
    /// a stranger would, e.g. to show a launch endpoint asks for sign-in.
    #[serde(default = "yes")]
    pub authenticate: bool,
    /// Follow same-origin redirects (default true). `false` makes a 3xx
    /// the response, e.g. a launch endpoint's redirect to its login.
    #[serde(default = "yes")]
    pub follow_redirects: bool,
}

fn yes() -> bool {
    true
}

/// A request header's value: text, or a value sent base64-encoded.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum HeaderSpec {
    Text(String),
    Encoded(EncodedHeader),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodedHeader {
    /// A string is encoded as it is; anything else as compact JSON.
    pub base64: Value,
}

/// What a GP Connect request needs beyond the region's settings
/// (docs/scenarios.md): its interaction, and what SDS said of the provider.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpConnectCall {
    /// The interaction id, sent as `Ssp-InteractionID`.
    pub interaction: String,
    /// The JWT's `requested_scope` (default `patient/*.read`).
    pub scope: Option<String>,
    /// `Ssp-To`, the provider's ASID (default: the region's
    /// `provider_asid`), e.g. captured from SDS.
    pub to_asid: Option<String>,
    /// The JWT's `aud`, the provider's service root (default: the region's
    /// base URL), e.g. the address SDS gave.
    pub audience: Option<String>,
}

fn get() -> String {
    "GET".into()
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// One status or a list of acceptable ones.
    pub status: Option<StatusSpec>,
    /// Header name → `present`, `absent`, or the exact value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// FHIRPath expressions on the response body that must be true.
    #[serde(default)]
    pub fhirpath: Vec<Check>,
    /// FHIRPath → the number of items it must give.
    #[serde(default)]
    pub count: Vec<CountCheck>,
    /// Validate the body against a profile (canonical URL) or a pack name.
    pub validate: Option<OneOrMany>,
    /// Checks on the raw bytes of the body, whatever its type (a PDF, a
    /// web page): media type, length, SHA-1, what it must not contain.
    pub body: Option<BodyExpect>,
    /// Severity of the checks that do not give their own (default SHALL).
    pub severity: Option<Severity>,
    #[serde(default)]
    pub requirements: Vec<String>,
}

/// Checks on a response body as bytes (docs/scenarios.md). An expected
/// value that is empty once interpolated (e.g. a pointer gave no hash) is
/// a skipped check, never a passed one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyExpect {
    /// The media type of `Content-Type` (parameters and case ignored).
    pub content_type: Option<String>,
    /// The length in bytes: a number or a `${var}` (e.g. `attachment.size`).
    pub size: Option<Value>,
    /// The SHA-1 of the bytes, base64 (as FHIR's `Attachment.hash`).
    pub sha1: Option<String>,
    /// Text the body must not hold (case ignored; a 10-digit NHS number is
    /// also looked for in its `3 3 4` display form).
    #[serde(default)]
    pub not_contains: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum StatusSpec {
    One(u16),
    Many(Vec<u16>),
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(u16),
            Many(Vec<u16>),
        }
        match Raw::deserialize(d) {
            Ok(Raw::One(c)) => Ok(StatusSpec::One(c)),
            Ok(Raw::Many(v)) => Ok(StatusSpec::Many(v)),
            Err(_) => Err(serde::de::Error::custom(
                "status must be an HTTP status code (e.g. 200) or a list of them",
            )),
        }
    }
}

impl StatusSpec {
    pub fn codes(&self) -> Vec<u16> {
        match self {
            StatusSpec::One(c) => vec![*c],
            StatusSpec::Many(v) => v.clone(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A FHIRPath check: the expression alone, or with its metadata.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Check {
    Expr(String),
    Full(CheckSpec),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub id: Option<String>,
    pub expr: String,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Said when the check fails.
    pub message: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountCheck {
    pub id: Option<String>,
    pub expr: String,
    pub equals: Option<usize>,
    pub min: Option<usize>,
    pub max: Option<usize>,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub requirements: Vec<String>,
}

/// A check's `severity` in a scenario file is how strongly it is required
/// (`SHALL`, `SHOULD`, `MAY`): the outcome model's requirement level.
pub use conform_outcome::Requirement as Severity;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Wait between attempts (`500ms`, `2s`); default 1s.
    pub every: Option<String>,
    /// Give up after this long (`30s`, `2m`).
    #[serde(rename = "for")]
    pub limit: String,
}
