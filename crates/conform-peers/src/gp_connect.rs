//! A GP Connect (FHIR STU3) provider **stand-in**. No real GP Connect
//! provider (a GP practice system behind the Spine Secure Proxy) can run
//! here, so this peer plays one for the probe's tests: it serves NHS
//! England's published example responses (read at start from the shared
//! test data, `nhs-apis/gp-connect-stu3/`, never copied into the repo) and
//! enforces the provider contract of `docs/gp-connect.md` in the shared
//! docs: the SSP headers, the interaction id, the unsigned JWT and its
//! claims, FHIR STU3 JSON, and the error contract (OperationOutcome with a
//! Spine error code and the documented HTTP status).
//!
//! Each [`GpcFault`] breaks one rule, so a test can show that the probe
//! notices. The contract is written out here independently of the probe
//! (interaction ids, codes): a mistake shared by both would hide itself.
//!
//! Seeded patients: the one in the Foundations read example (NHS number
//! 9476719931) and the one the Access Record Structured examples are about
//! (9999999999, [`GpConnectProvider::STRUCTURED_NHS_NUMBER`]); only the
//! latter has a structured record.

use crate::httpd::{decode, respond, HttpRequest, Server};
use crate::PeerResult;
use base64::Engine;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

/// One broken rule of the provider contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpcFault {
    /// Requests without the SSP headers are served anyway.
    AcceptMissingHeaders,
    /// `Ssp-InteractionID` is not compared with the interaction called.
    IgnoreInteractionId,
    /// The `Authorization` JWT is not looked at.
    SkipJwtChecks,
    /// Every error carries the Spine code `INTERNAL_SERVER_ERROR`.
    WrongSpineCode,
    /// Every error is HTTP 400, whatever its Spine code says.
    WrongErrorStatus,
    /// Responses are labelled with DSTU2's `application/json+fhir`.
    Dstu2ContentType,
    /// The CapabilityStatement says `fhirVersion` 4.0.1.
    R4Metadata,
    /// Patients carry an R4 UK Core profile in `meta.profile` instead of
    /// `CareConnect-GPC-Patient-1`: an invalid payload.
    WrongPatientProfile,
    /// Find patient answers 404 PATIENT_NOT_FOUND when nobody matches,
    /// where the contract wants 200 with an empty searchset.
    NoMatchAsError,
    /// The published example responses are served as published, with
    /// their defects (see `gpc_corrections`), not corrected.
    PublishedDefects,
}

impl GpcFault {
    pub const ALL: [GpcFault; 10] = [
        GpcFault::AcceptMissingHeaders,
        GpcFault::IgnoreInteractionId,
        GpcFault::SkipJwtChecks,
        GpcFault::WrongSpineCode,
        GpcFault::WrongErrorStatus,
        GpcFault::Dstu2ContentType,
        GpcFault::R4Metadata,
        GpcFault::WrongPatientProfile,
        GpcFault::NoMatchAsError,
        GpcFault::PublishedDefects,
    ];
}

const EXAMPLES: &str = "nhs-apis/gp-connect-stu3";
const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const SPINE_CODES: &str = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1";
const ERROR_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1";
const FHIR_JSON: &str = "application/fhir+json;charset=utf-8";
/// The base of the `fullUrl`s corrected examples get: a provider's
/// service root, on a host that can never be reached.
const CORRECTED_FULL_URL_BASE: &str = "https://gp-provider.invalid/B82617/STU3/1/gpconnect";
/// The service root path: `/[ODS]/STU3/[major version]/[routing segment]`.
const ROOT: &str = "/B82617/STU3/1/gpconnect";

/// The interactions served, with the `Ssp-InteractionID` each requires and
/// the JWT scope it needs (metadata is an organisation-level read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interaction {
    Metadata,
    FindPatient,
    ReadPatient,
    StructuredRecord,
}

impl Interaction {
    fn id(self) -> &'static str {
        match self {
            Interaction::Metadata => "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1",
            Interaction::FindPatient => {
                "urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1"
            }
            Interaction::ReadPatient => "urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1",
            Interaction::StructuredRecord => {
                "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"
            }
        }
    }
    fn scope(self) -> &'static str {
        match self {
            Interaction::Metadata => "organization/*.read",
            _ => "patient/*.read",
        }
    }
}

/// An error of the contract's table: HTTP status, FHIR issue type, Spine code.
struct SpineError {
    status: u16,
    issue: &'static str,
    code: &'static str,
    display: &'static str,
    diagnostics: String,
}

fn spine_error(
    status: u16,
    issue: &'static str,
    code: &'static str,
    display: &'static str,
    diagnostics: impl Into<String>,
) -> SpineError {
    SpineError {
        status,
        issue,
        code,
        display,
        diagnostics: diagnostics.into(),
    }
}

fn bad_request(why: impl Into<String>) -> SpineError {
    spine_error(400, "invalid", "BAD_REQUEST", "Bad request", why)
}
fn invalid_nhs_number(why: impl Into<String>) -> SpineError {
    spine_error(
        400,
        "value",
        "INVALID_NHS_NUMBER",
        "Invalid NHS number",
        why,
    )
}
fn patient_not_found(why: impl Into<String>) -> SpineError {
    spine_error(
        404,
        "not-found",
        "PATIENT_NOT_FOUND",
        "Patient not found",
        why,
    )
}
fn invalid_parameter(why: impl Into<String>) -> SpineError {
    spine_error(
        422,
        "invalid",
        "INVALID_PARAMETER",
        "Invalid parameter",
        why,
    )
}
fn invalid_resource(why: impl Into<String>) -> SpineError {
    spine_error(422, "invalid", "INVALID_RESOURCE", "Invalid resource", why)
}

/// The published examples, loaded once.
struct Examples {
    capability: Value,
    find_envelope: Value,
    /// (NHS number, Patient)
    patients: Vec<(String, Value)>,
    /// The structured record examples by the clinical area parameter they
    /// answer; `None` is the trimmed example holding only the resources
    /// every structured record has (served for areas without an example).
    structured: Vec<(Option<&'static str>, Value)>,
}

impl Examples {
    /// Reads the published examples, corrected unless `as_published`.
    fn load(dir: &Path, as_published: bool) -> PeerResult<Examples> {
        let read = |name: &str| -> PeerResult<Value> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut value: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            if !as_published {
                crate::gpc_corrections::correct(&mut value, CORRECTED_FULL_URL_BASE);
            }
            Ok(value)
        };
        let structured = vec![
            (
                Some("includeAllergies"),
                read("accessrecord_structured__allergies_response1.json")?,
            ),
            (
                Some("includeMedication"),
                read("accessrecord_structured__meds_response.json")?,
            ),
            (
                Some("includeImmunisations"),
                read("accessrecord_structured__immunizations_response1.json")?,
            ),
            (
                Some("includeProblems"),
                read("accessrecord_structured__problems_response1.json")?,
            ),
            (
                None,
                read("accessrecord_structured__problems_response1.json")?,
            ),
        ];
        let read_example = read("foundations__read_patient_response_example.json")?;
        let structured_patient = structured[0]
            .1
            .get("entry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| &e["resource"])
            .find(|r| r["resourceType"] == "Patient")
            .cloned()
            .ok_or("the allergies example has no Patient")?;
        let mut patients = Vec::new();
        for p in [read_example, structured_patient] {
            let nhs = nhs_number_of(&p).ok_or("an example Patient has no NHS number")?;
            patients.push((nhs, p));
        }
        let mut find_envelope = read("foundations__find_patient_response_example.json")?;
        // the published searchset without its patient: entries go in per search
        if let Some(envelope) = find_envelope.as_object_mut() {
            envelope.remove("entry");
        }
        Ok(Examples {
            capability: read("foundations__get_capability_statement_response_example.json")?,
            find_envelope,
            patients,
            structured,
        })
    }
}

fn nhs_number_of(patient: &Value) -> Option<String> {
    patient["identifier"]
        .as_array()?
        .iter()
        .find(|i| i["system"] == NHS_NUMBER_SYSTEM)?["value"]
        .as_str()
        .map(str::to_string)
}

/// The running stand-in provider.
pub struct GpConnectProvider {
    pub server: Server,
}

impl GpConnectProvider {
    /// The NHS number the published structured record examples are about.
    pub const STRUCTURED_NHS_NUMBER: &'static str = "9999999999";

    /// Starts a provider that keeps the whole contract.
    pub fn start() -> PeerResult<GpConnectProvider> {
        Self::start_with(None)
    }

    /// Starts a provider that breaks the rule `fault` names (or none).
    pub fn start_with(fault: Option<GpcFault>) -> PeerResult<GpConnectProvider> {
        let examples = Arc::new(Examples::load(
            &conform_testdata::dir().join(EXAMPLES),
            fault == Some(GpcFault::PublishedDefects),
        )?);
        let server = Server::start(move |req, conn| {
            let answer = serve(&examples, fault, req);
            write(conn, fault, answer);
        });
        Ok(GpConnectProvider { server })
    }

    /// The provider's service root URL (ODS code, `STU3`, major version 1,
    /// routing segment), as SDS would give it.
    pub fn base_url(&self) -> String {
        format!("{}{ROOT}", self.server.url())
    }

    pub fn hits(&self) -> usize {
        self.server.hits()
    }
}

type Answer = Result<Value, SpineError>;

fn write(conn: &mut TcpStream, fault: Option<GpcFault>, answer: Answer) {
    let content_type = if fault == Some(GpcFault::Dstu2ContentType) {
        "application/json+fhir;charset=utf-8"
    } else {
        FHIR_JSON
    };
    let headers = [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
    ];
    let (status, body) = match answer {
        Ok(body) => (200, body),
        Err(e) => {
            let code = match fault {
                Some(GpcFault::WrongSpineCode) => "INTERNAL_SERVER_ERROR",
                _ => e.code,
            };
            let status = match fault {
                Some(GpcFault::WrongErrorStatus) => 400,
                _ => e.status,
            };
            let outcome = json!({
                "resourceType": "OperationOutcome",
                "meta": {"profile": [ERROR_PROFILE]},
                "issue": [{
                    "severity": "error",
                    "code": e.issue,
                    "details": {"coding": [{"system": SPINE_CODES, "code": code, "display": e.display}]},
                    "diagnostics": e.diagnostics,
                }]
            });
            (status, outcome)
        }
    };
    respond(conn, status, &headers, body.to_string().as_bytes());
}

/// The contract, in the order a provider applies it: route, SSP headers,
/// interaction id, JWT, then the interaction itself.
fn serve(examples: &Examples, fault: Option<GpcFault>, req: &HttpRequest) -> Answer {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let Some(rel) = path.strip_prefix(ROOT) else {
        // what the SSP answers for a URL that is not the provider's
        return Err(bad_request(format!(
            "{path} is not under the service root {ROOT}"
        )));
    };
    let interaction = match (req.method.as_str(), rel) {
        ("GET", "/metadata") => Interaction::Metadata,
        ("GET", "/Patient") => Interaction::FindPatient,
        ("POST", "/Patient/$gpc.getstructuredrecord") => Interaction::StructuredRecord,
        ("GET", p) if p.starts_with("/Patient/") && p.len() > "/Patient/".len() => {
            Interaction::ReadPatient
        }
        _ => {
            return Err(spine_error(
                501,
                "not-supported",
                "NOT_IMPLEMENTED",
                "Not implemented",
                format!("{} {rel} is not served", req.method),
            ))
        }
    };
    if fault != Some(GpcFault::AcceptMissingHeaders) {
        check_ssp_headers(req)?;
    }
    if fault != Some(GpcFault::IgnoreInteractionId) {
        let sent = req.header("ssp-interactionid").unwrap_or("");
        if fault == Some(GpcFault::AcceptMissingHeaders) && sent.is_empty() {
            // nothing sent, nothing to compare (the header rule is broken)
        } else if sent != interaction.id() {
            return Err(bad_request(format!(
                "Ssp-InteractionID '{sent}' does not match this interaction ({})",
                interaction.id()
            )));
        }
    }
    if fault != Some(GpcFault::SkipJwtChecks) {
        check_jwt(req.header("authorization"), interaction)?;
    }
    let mut body = match interaction {
        Interaction::Metadata => {
            let mut cs = examples.capability.clone();
            if fault == Some(GpcFault::R4Metadata) {
                cs["fhirVersion"] = json!("4.0.1");
            }
            return Ok(cs);
        }
        Interaction::FindPatient => find_patient(examples, query, fault)?,
        Interaction::ReadPatient => {
            let id = &rel["/Patient/".len()..];
            examples
                .patients
                .iter()
                .map(|(_, p)| p)
                .find(|p| p["id"] == id)
                .cloned()
                .ok_or_else(|| patient_not_found(format!("no patient with id {id}")))?
        }
        Interaction::StructuredRecord => structured_record(examples, req)?,
    };
    if fault == Some(GpcFault::WrongPatientProfile) {
        break_patient_profiles(&mut body);
    }
    Ok(body)
}

fn check_ssp_headers(req: &HttpRequest) -> Result<(), SpineError> {
    let present = |name: &str| req.header(name).map(str::trim).filter(|v| !v.is_empty());
    for name in ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"] {
        if present(name).is_none() {
            return Err(bad_request(format!("the {name} header is missing")));
        }
    }
    let trace = present("Ssp-TraceID").unwrap_or_default();
    if uuid::Uuid::parse_str(trace).is_err() {
        return Err(bad_request(format!("Ssp-TraceID '{trace}' is not a UUID")));
    }
    for name in ["Ssp-From", "Ssp-To"] {
        let asid = present(name).unwrap_or_default();
        if !asid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_request(format!("{name} '{asid}' is not an ASID")));
        }
    }
    Ok(())
}

/// The audit JWT of GP Connect 1.x: unsigned (`alg` `none`, empty
/// signature), every claim present, a lifetime of exactly 300 s.
fn check_jwt(header: Option<&str>, interaction: Interaction) -> Result<(), SpineError> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| bad_request("no Authorization: Bearer token"))?;
    let parts: Vec<&str> = token.split('.').collect();
    let [head, claims, signature] = parts[..] else {
        return Err(bad_request("the token is not a JWT (three parts)"));
    };
    let decode = |part: &str| -> Result<Value, SpineError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| bad_request("a JWT part is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| bad_request("a JWT part is not JSON"))
    };
    let head = decode(head)?;
    if head["alg"] != "none" || !signature.is_empty() {
        return Err(bad_request("the JWT must be unsigned (alg none)"));
    }
    let c = decode(claims)?;
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "reason_for_request",
        "requested_scope",
        "requesting_device",
        "requesting_organization",
        "requesting_practitioner",
    ] {
        if c[claim].is_null() {
            return Err(bad_request(format!("the JWT has no {claim} claim")));
        }
    }
    let (Some(iat), Some(exp)) = (c["iat"].as_i64(), c["exp"].as_i64()) else {
        return Err(bad_request("iat and exp must be integers"));
    };
    if exp - iat != 300 {
        return Err(bad_request(format!(
            "exp is {}s after iat, not 300s",
            exp - iat
        )));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if iat > now + 5 || exp < now {
        return Err(bad_request("the JWT is not valid now (iat, exp)"));
    }
    if !matches!(
        c["reason_for_request"].as_str(),
        Some("directcare" | "migration")
    ) {
        return Err(bad_request(
            "reason_for_request must be directcare or migration",
        ));
    }
    let scope = c["requested_scope"].as_str().unwrap_or("");
    if scope.split(' ').next() != Some(interaction.scope()) {
        return Err(bad_request(format!(
            "requested_scope '{scope}' is not {} for this interaction",
            interaction.scope()
        )));
    }
    for (claim, resource_type) in [
        ("requesting_device", "Device"),
        ("requesting_organization", "Organization"),
        ("requesting_practitioner", "Practitioner"),
    ] {
        if c[claim]["resourceType"] != resource_type {
            return Err(bad_request(format!("{claim} is not a {resource_type}")));
        }
    }
    if c["sub"] != c["requesting_practitioner"]["id"] {
        return Err(bad_request("sub is not requesting_practitioner.id"));
    }
    Ok(())
}

/// `identifier=https://fhir.nhs.uk/Id/nhs-number|N`: a searchset of the
/// matching patients, empty when none (no match is not an error).
fn find_patient(examples: &Examples, query: &str, fault: Option<GpcFault>) -> Answer {
    let identifier = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "identifier")
        .map(|(_, v)| decode(v))
        .ok_or_else(|| invalid_parameter("identifier is required"))?;
    let (system, nhs) = identifier
        .split_once('|')
        .ok_or_else(|| invalid_parameter("identifier must be system|value"))?;
    if system != NHS_NUMBER_SYSTEM {
        return Err(spine_error(
            400,
            "value",
            "INVALID_IDENTIFIER_SYSTEM",
            "Invalid identifier system",
            format!("{system} is not {NHS_NUMBER_SYSTEM}"),
        ));
    }
    check_nhs_number(nhs)?;
    let mut bundle = examples.find_envelope.clone();
    let entries: Vec<Value> = examples
        .patients
        .iter()
        .filter(|(n, _)| n == nhs)
        // shaped as the published example's entry (the resource alone),
        // with the fullUrl a searchset entry needs unless served as published
        .map(|(_, p)| match fault {
            Some(GpcFault::PublishedDefects) => json!({ "resource": p }),
            _ => json!({
                "fullUrl": format!("{CORRECTED_FULL_URL_BASE}/Patient/{}", p["id"].as_str().unwrap_or_default()),
                "resource": p,
            }),
        })
        .collect();
    if entries.is_empty() && fault == Some(GpcFault::NoMatchAsError) {
        return Err(patient_not_found(format!(
            "no patient with NHS number {nhs}"
        )));
    }
    // FHIR JSON has no empty arrays: no match is a searchset with no entry
    if !entries.is_empty() {
        bundle["entry"] = json!(entries);
    }
    Ok(bundle)
}

/// `$gpc.getstructuredrecord`: the Parameters checked as the contract
/// says, then the example for the first clinical area asked for.
fn structured_record(examples: &Examples, req: &HttpRequest) -> Answer {
    let media = req.header("content-type").unwrap_or("");
    if !media.starts_with("application/fhir+json") {
        return Err(spine_error(
            415,
            "invalid",
            "BAD_REQUEST",
            "Unsupported media type",
            format!("Content-Type '{media}' is not application/fhir+json"),
        ));
    }
    let params: Value = serde_json::from_slice(&req.body)
        .map_err(|e| invalid_resource(format!("the body is not JSON: {e}")))?;
    if params["resourceType"] != "Parameters" {
        return Err(invalid_resource("the body is not a Parameters resource"));
    }
    let list = params["parameter"].as_array().cloned().unwrap_or_default();
    let mut nhs = None;
    let mut first_area = None;
    for p in &list {
        let name = p["name"].as_str().unwrap_or("");
        match name {
            "patientNHSNumber" => {
                let id = &p["valueIdentifier"];
                if id["system"] != NHS_NUMBER_SYSTEM {
                    return Err(invalid_parameter(
                        "patientNHSNumber needs the NHS number system",
                    ));
                }
                nhs = id["value"].as_str().map(str::to_string);
            }
            "includeAllergies" => {
                let has_part = p["part"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|part| part["name"] == "includeResolvedAllergies");
                if !has_part {
                    return Err(invalid_parameter(
                        "includeAllergies needs its includeResolvedAllergies part",
                    ));
                }
                first_area.get_or_insert(name.to_string());
            }
            "includeMedication"
            | "includeConsultations"
            | "includeProblems"
            | "includeImmunisations"
            | "includeUncategorisedData"
            | "includeInvestigations"
            | "includeReferrals"
            | "includeDiaryEntries" => {
                first_area.get_or_insert(name.to_string());
            }
            other => {
                return Err(invalid_parameter(format!("unknown parameter '{other}'")));
            }
        }
    }
    let nhs = nhs.ok_or_else(|| invalid_parameter("patientNHSNumber is required"))?;
    check_nhs_number(&nhs)?;
    if nhs != GpConnectProvider::STRUCTURED_NHS_NUMBER {
        return Err(patient_not_found(format!(
            "no structured record for NHS number {nhs}"
        )));
    }
    let chosen = examples
        .structured
        .iter()
        .find(|(area, _)| *area == first_area.as_deref())
        .or_else(|| examples.structured.iter().find(|(area, _)| area.is_none()))
        .map(|(_, bundle)| bundle.clone())
        .unwrap_or(Value::Null);
    Ok(chosen)
}

/// Ten digits whose last is the modulus 11 check digit of the first nine.
fn check_nhs_number(nhs: &str) -> Result<(), SpineError> {
    let digits: Vec<u32> = nhs.chars().filter_map(|c| c.to_digit(10)).collect();
    let valid = nhs.len() == 10 && digits.len() == 10 && {
        let sum: u32 = digits[..9]
            .iter()
            .zip((2..=10).rev())
            .map(|(d, w)| d * w)
            .sum();
        let check = 11 - sum % 11;
        let check = if check == 11 { 0 } else { check };
        check != 10 && check == digits[9]
    };
    if valid {
        Ok(())
    } else {
        Err(invalid_nhs_number(format!(
            "'{nhs}' is not a valid NHS number"
        )))
    }
}

fn break_patient_profiles(body: &mut Value) {
    let uk_core = json!(["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]);
    if body["resourceType"] == "Patient" {
        body["meta"]["profile"] = uk_core;
        return;
    }
    for entry in body["entry"].as_array_mut().into_iter().flatten() {
        if entry["resource"]["resourceType"] == "Patient" {
            entry["resource"]["meta"]["profile"] = uk_core.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nhs_numbers_are_checked_with_modulus_11() {
        for good in ["9999999999", "9476719931", "9000000009"] {
            assert!(super::check_nhs_number(good).is_ok(), "{good}");
        }
        for bad in ["9999999990", "1234567890", "999999999", "99999999a9"] {
            assert!(super::check_nhs_number(bad).is_err(), "{bad}");
        }
    }
}
