//! A BaRS (Booking and Referral Standard, FHIR R4) receiver **stand-in**.
//! No real BaRS proxy or receiving system can run here, so this peer plays
//! both for one Directory of Services service (an emergency department):
//! the national proxy's routing by `NHSD-Target-Identifier` and the
//! receiver's `$process-message` and `ServiceRequest` search. It enforces
//! the published contract as the shared domain notes give it (§2.6 and S6
//! of `domain-uk.md`, from NHS England's `booking-and-referral.yaml`):
//!
//! * `NHSD-Target-Identifier` is base64 of a JSON Identifier naming the
//!   target in the Endpoint Catalogue (`https://fhir.nhs.uk/Id/dos-service-id`);
//!   `GET /metadata` without it is the proxy's own CapabilityStatement,
//!   with it the receiver's (which supports `$process-message`); any other
//!   call without it, or with a target the catalogue lacks, is refused;
//! * `$process-message` also needs `NHSD-Requesting-Software` (base64 JSON
//!   Device), `NHSD-End-User-Organisation` (base64 JSON Organization) and
//!   `NHSD-End-User-Organisation-ODS`; its body is a Bundle of type
//!   `message` whose first entry is a MessageHeader, whose
//!   `destination.endpoint` is the target identifier, whose `focus`
//!   resolves inside the Bundle to a ServiceRequest, and whose Patient's
//!   NHS number is the one ServiceRequest and Encounter are about;
//! * an accepted referral answers 200 with an OperationOutcome and is found
//!   by `GET /ServiceRequest?patient:identifier=<system>|<NHS number>`.
//!
//! A refused request gets an OperationOutcome naming the rule (400 for a
//! bad header or body, 404 for an unknown target, 422 for a message that
//! breaks a business rule). `X-Request-ID` and `X-Correlation-ID` are
//! echoed. Each [`BarsFault`] breaks one rule, so a scenario can show that
//! it notices.

use crate::httpd::{decode, respond, HttpRequest, Server};
use crate::PeerResult;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// One broken rule of the receiver contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarsFault {
    /// The receiver's CapabilityStatement does not list `$process-message`.
    NoProcessMessage,
    /// Any target identifier is accepted (and `destination.endpoint` is
    /// not compared with it).
    IgnoreTargetIdentifier,
    /// A Bundle of any type is accepted as a message.
    AcceptAnyBundleType,
    /// The first entry need not be a MessageHeader.
    AcceptHeaderNotFirst,
    /// `MessageHeader.focus` need not resolve to a ServiceRequest.
    AcceptUnresolvedFocus,
    /// ServiceRequest and Encounter may be about another NHS number.
    AcceptNhsNumberMismatch,
    /// Accepted referrals are not kept: the search never finds them.
    LoseReferrals,
}

impl BarsFault {
    pub const ALL: [BarsFault; 7] = [
        BarsFault::NoProcessMessage,
        BarsFault::IgnoreTargetIdentifier,
        BarsFault::AcceptAnyBundleType,
        BarsFault::AcceptHeaderNotFirst,
        BarsFault::AcceptUnresolvedFocus,
        BarsFault::AcceptNhsNumberMismatch,
        BarsFault::LoseReferrals,
    ];
}

const DOS_SERVICE_ID: &str = "https://fhir.nhs.uk/Id/dos-service-id";
const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// The base path of the BaRS API (as on the national proxy).
const ROOT: &str = "/booking-and-referral/FHIR/R4";
const FHIR_JSON: &str = "application/fhir+json";

/// The proxy and the receiver of one DoS service; stops on drop.
pub struct BarsReceiver {
    pub server: Server,
    /// The DoS service id the Endpoint Catalogue routes here.
    pub service_id: String,
}

struct State {
    service_id: String,
    fault: Option<BarsFault>,
    /// Accepted ServiceRequests, in arrival order (a resent id replaces).
    referrals: Mutex<Vec<Value>>,
}

/// A refusal: HTTP status, FHIR issue type, what was wrong.
struct Refusal {
    status: u16,
    issue: &'static str,
    diagnostics: String,
}

fn refuse(status: u16, issue: &'static str, why: impl Into<String>) -> Refusal {
    Refusal {
        status,
        issue,
        diagnostics: why.into(),
    }
}

impl BarsReceiver {
    /// A receiver for DoS service `service_id` that keeps the whole contract.
    pub fn start(service_id: &str) -> PeerResult<BarsReceiver> {
        Self::start_with(service_id, None)
    }

    /// A receiver that breaks the rule `fault` names (or none).
    pub fn start_with(service_id: &str, fault: Option<BarsFault>) -> PeerResult<BarsReceiver> {
        let state = Arc::new(State {
            service_id: service_id.to_string(),
            fault,
            referrals: Mutex::new(Vec::new()),
        });
        let server = Server::start(move |req, conn| {
            let (status, body) = match serve(&state, req) {
                Ok((status, body)) => (status, body),
                Err(r) => (r.status, outcome("error", r.issue, &r.diagnostics)),
            };
            let mut headers = vec![("Content-Type", FHIR_JSON)];
            for name in ["X-Request-ID", "X-Correlation-ID"] {
                if let Some(v) = req.header(name) {
                    headers.push((name, v));
                }
            }
            respond(conn, status, &headers, body.to_string().as_bytes());
        });
        Ok(BarsReceiver {
            server,
            service_id: service_id.to_string(),
        })
    }

    /// The BaRS API's base URL.
    pub fn base_url(&self) -> String {
        format!("{}{ROOT}", self.server.url())
    }
}

fn outcome(severity: &str, code: &str, diagnostics: &str) -> Value {
    json!({"resourceType": "OperationOutcome",
           "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]})
}

fn serve(state: &State, req: &HttpRequest) -> Result<(u16, Value), Refusal> {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let Some(route) = path.strip_prefix(ROOT) else {
        return Err(refuse(404, "not-found", format!("no BaRS API at {path}")));
    };
    let target = req.header("NHSD-Target-Identifier");
    match (req.method.as_str(), route.trim_end_matches('/')) {
        ("GET", "/metadata") if target.is_none() => Ok((200, proxy_capabilities())),
        ("GET", "/metadata") => {
            check_target(state, target)?;
            Ok((200, receiver_capabilities(state.fault)))
        }
        ("POST", "/$process-message") => {
            let target = check_target(state, target)?;
            process_message(state, req, &target)
        }
        ("GET", "/ServiceRequest") => {
            check_target(state, target)?;
            let base = format!("http://{}{ROOT}", req.header("Host").unwrap_or("127.0.0.1"));
            search(state, query, &base)
        }
        (m, r) => Err(refuse(
            405,
            "not-supported",
            format!("{m} {r} is not an interaction of this receiver"),
        )),
    }
}

/// A base64 header holding JSON (the `NHSD-*` headers), decoded.
fn base64_json(name: &str, value: Option<&str>) -> Result<Value, Refusal> {
    let value = value.ok_or_else(|| refuse(400, "required", format!("{name} is missing")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|e| refuse(400, "invalid", format!("{name} is not base64: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| refuse(400, "invalid", format!("{name} is not base64 of JSON: {e}")))
}

/// The target identifier's value, when it names the service routed here.
fn check_target(state: &State, header: Option<&str>) -> Result<String, Refusal> {
    let id = base64_json("NHSD-Target-Identifier", header)?;
    let (system, value) = (id["system"].as_str(), id["value"].as_str());
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Err(refuse(
            400,
            "invalid",
            "NHSD-Target-Identifier has no value",
        ));
    };
    if state.fault == Some(BarsFault::IgnoreTargetIdentifier) {
        return Ok(value.to_string());
    }
    if system != Some(DOS_SERVICE_ID) {
        return Err(refuse(
            400,
            "invalid",
            format!("NHSD-Target-Identifier's system is not {DOS_SERVICE_ID}"),
        ));
    }
    if value != state.service_id {
        return Err(refuse(
            404,
            "not-found",
            format!("no Endpoint Catalogue entry for target {value}"),
        ));
    }
    Ok(value.to_string())
}

fn proxy_capabilities() -> Value {
    json!({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01",
           "kind": "instance", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
           "implementation": {"description": "BaRS proxy (stand-in): add NHSD-Target-Identifier for a receiver's statement"},
           "rest": [{"mode": "server"}]})
}

fn receiver_capabilities(fault: Option<BarsFault>) -> Value {
    let mut rest = json!({"mode": "server",
        "resource": [{"type": "ServiceRequest", "interaction": [{"code": "search-type"}],
                      "searchParam": [{"name": "patient", "type": "reference"}]}]});
    if fault != Some(BarsFault::NoProcessMessage) {
        rest["operation"] = json!([{"name": "process-message",
            "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"}]);
    }
    let mut cs = json!({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01",
           "kind": "instance", "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
           "implementation": {"description": "BaRS receiver (stand-in): an emergency department"},
           "rest": [rest]});
    if fault != Some(BarsFault::NoProcessMessage) {
        cs["messaging"] = json!([{"supportedMessage": [{"mode": "receiver",
            "definition": "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral"}]}]);
    }
    cs
}

fn process_message(
    state: &State,
    req: &HttpRequest,
    target: &str,
) -> Result<(u16, Value), Refusal> {
    base64_json(
        "NHSD-Requesting-Software",
        req.header("NHSD-Requesting-Software"),
    )?;
    base64_json(
        "NHSD-End-User-Organisation",
        req.header("NHSD-End-User-Organisation"),
    )?;
    if req
        .header("NHSD-End-User-Organisation-ODS")
        .is_none_or(|v| v.trim().is_empty())
    {
        return Err(refuse(
            400,
            "required",
            "NHSD-End-User-Organisation-ODS is missing",
        ));
    }
    let bundle: Value = serde_json::from_slice(&req.body)
        .map_err(|e| refuse(400, "invalid", format!("the body is not JSON: {e}")))?;
    if bundle["resourceType"] != "Bundle" {
        return Err(refuse(400, "invalid", "the body is not a Bundle"));
    }
    let fault = state.fault;
    let rule = |broken: bool, skip: BarsFault, why: &str| -> Result<(), Refusal> {
        if broken && fault != Some(skip) {
            Err(refuse(422, "business-rule", why))
        } else {
            Ok(())
        }
    };
    rule(
        bundle["type"] != "message",
        BarsFault::AcceptAnyBundleType,
        "the Bundle's type is not 'message'",
    )?;
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    let header = entries.first().map(|e| &e["resource"]);
    let header_first = header.is_some_and(|h| h["resourceType"] == "MessageHeader");
    rule(
        !header_first,
        BarsFault::AcceptHeaderNotFirst,
        "the first entry is not a MessageHeader",
    )?;
    let header = entries
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "MessageHeader")
        .cloned()
        .unwrap_or(Value::Null);
    let destination_is_target = header["destination"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|d| d["endpoint"].as_str() == Some(target));
    rule(
        !destination_is_target,
        BarsFault::IgnoreTargetIdentifier,
        "MessageHeader.destination.endpoint is not the NHSD-Target-Identifier",
    )?;
    let resolve = |reference: &Value| -> Option<Value> {
        let r = reference.as_str()?;
        entries
            .iter()
            .find(|e| {
                e["fullUrl"].as_str() == Some(r)
                    || format!(
                        "{}/{}",
                        e["resource"]["resourceType"].as_str().unwrap_or(""),
                        e["resource"]["id"].as_str().unwrap_or("")
                    ) == r
            })
            .map(|e| e["resource"].clone())
    };
    let focus = header["focus"]
        .as_array()
        .and_then(|f| f.first())
        .and_then(|f| resolve(&f["reference"]))
        .filter(|r| r["resourceType"] == "ServiceRequest");
    rule(
        focus.is_none(),
        BarsFault::AcceptUnresolvedFocus,
        "MessageHeader.focus does not resolve to a ServiceRequest in the Bundle",
    )?;
    // The NHS numbers the message names: each Patient's, and each subject's
    // of ServiceRequest and Encounter (its identifier, or its Patient's).
    let nhs_of = |r: &Value| -> Vec<String> {
        r["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["system"] == NHS_NUMBER)
            .filter_map(|i| i["value"].as_str().map(str::to_string))
            .collect()
    };
    let mut numbers: Vec<String> = Vec::new();
    let mut unresolved = false;
    for r in entries.iter().map(|e| &e["resource"]) {
        match r["resourceType"].as_str() {
            Some("Patient") => numbers.extend(nhs_of(r)),
            Some("ServiceRequest") | Some("Encounter") => {
                let subject = &r["subject"];
                if subject["identifier"]["system"] == NHS_NUMBER {
                    numbers.extend(subject["identifier"]["value"].as_str().map(str::to_string));
                }
                match resolve(&subject["reference"]) {
                    Some(p) if p["resourceType"] == "Patient" => numbers.extend(nhs_of(&p)),
                    _ => unresolved = true,
                }
            }
            _ => {}
        }
    }
    numbers.sort();
    numbers.dedup();
    rule(
        unresolved || numbers.len() != 1,
        BarsFault::AcceptNhsNumberMismatch,
        &format!(
            "the message is not about one patient: NHS numbers {numbers:?} across Patient, ServiceRequest and Encounter{}",
            if unresolved { " (a subject does not resolve to its Patient)" } else { "" }
        ),
    )?;
    if let (Some(mut referral), Some(nhs)) = (focus, numbers.first()) {
        // Kept with its subject as the receiver knows it: by NHS number.
        referral["subject"]["identifier"] = json!({"system": NHS_NUMBER, "value": nhs});
        if let Some(r) = referral["subject"].as_object_mut() {
            r.remove("reference");
        }
        if fault != Some(BarsFault::LoseReferrals) {
            let mut kept = state.referrals.lock().unwrap_or_else(|e| e.into_inner());
            kept.retain(|k| k["id"] != referral["id"]);
            kept.push(referral);
        }
    }
    Ok((
        200,
        outcome("information", "informational", "referral accepted"),
    ))
}

fn search(state: &State, query: &str, base: &str) -> Result<(u16, Value), Refusal> {
    let mut wanted = None;
    for (k, v) in query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
    {
        match decode(k).as_str() {
            "patient:identifier" => wanted = Some(decode(v)),
            other => {
                return Err(refuse(
                    400,
                    "not-supported",
                    format!("search parameter {other} is not supported"),
                ))
            }
        }
    }
    let wanted = wanted.ok_or_else(|| {
        refuse(
            400,
            "required",
            "search by patient:identifier=<system>|<value>",
        )
    })?;
    let (system, value) = wanted.split_once('|').unwrap_or(("", wanted.as_str()));
    let kept = state.referrals.lock().unwrap_or_else(|e| e.into_inner());
    let entry: Vec<Value> = kept
        .iter()
        .filter(|r| {
            let i = &r["subject"]["identifier"];
            i["value"] == value && (system.is_empty() || i["system"] == system)
        })
        .map(|r| {
            json!({"fullUrl": format!("{base}/ServiceRequest/{}", r["id"].as_str().unwrap_or("")),
                         "resource": r, "search": {"mode": "match"}})
        })
        .collect();
    Ok((
        200,
        json!({"resourceType": "Bundle", "type": "searchset", "total": entry.len(), "entry": entry}),
    ))
}
