//! `--profile gp-connect`: a GP Connect (FHIR STU3) provider checked
//! against the provider contract, as a consumer behind the Spine Secure
//! Proxy would call it. Every request carries the SSP headers and a fresh
//! audit JWT (registered with the redactor, so it never reaches a report);
//! some leave one of them out or break it on purpose, to see that the
//! provider refuses. Errors must come as the documented HTTP status with an
//! OperationOutcome carrying the Spine error code. Response bodies go
//! through the same validator as every probe, loaded with the pack
//! [`crate::GP_CONNECT_PACK`].

use conform_endpoint::gp_connect as token;
use conform_endpoint::gp_connect::Interaction;

use crate::capability::Declared;
use crate::checks::skip_all;
use crate::runner::{Ctx, Def, ProbeError};
use conform_endpoint::{GpConnectSettings, Request, Response};
use conform_outcome::Requirement::Shall;
use serde_json::{json, Value};
use std::time::Duration;

const METADATA: Def = Def {
    id: "gpc.metadata",
    requirement: Shall,
    why: "GP Connect is FHIR STU3: the provider's CapabilityStatement declares fhirVersion 3.0.1, and consumers read it before anything else.",
};
const METADATA_VALID: Def = Def {
    id: "gpc.metadata.valid",
    requirement: Shall,
    why: "The CapabilityStatement must be valid STU3 and conform to the GP Connect profiles.",
};
const SSP_HEADERS: Def = Def {
    id: "gpc.ssp-headers.required",
    requirement: Shall,
    why: "Ssp-TraceID, Ssp-From, Ssp-To and Ssp-InteractionID are how the Spine Secure Proxy and the provider audit and route a call; a request without one must be refused with 400 BAD_REQUEST.",
};
const INTERACTION_ID: Def = Def {
    id: "gpc.interaction-id.enforced",
    requirement: Shall,
    why: "Ssp-InteractionID must match the interaction called (sender and receiver are registered per interaction); a mismatch must be refused with 400 BAD_REQUEST.",
};
const JWT_REQUIRED: Def = Def {
    id: "gpc.jwt.required",
    requirement: Shall,
    why: "Every call carries the audit JWT naming the requesting organisation and practitioner; a call without it must be refused with 400 BAD_REQUEST.",
};
const JWT_LIFETIME: Def = Def {
    id: "gpc.jwt.lifetime",
    requirement: Shall,
    why: "The audit JWT's exp is exactly 300 s after its iat; a provider that accepts other lifetimes accepts tokens minted for other purposes or replayed.",
};
const FIND: Def = Def {
    id: "gpc.patient.find",
    requirement: Shall,
    why: "Find patient by NHS number answers 200 with a searchset Bundle of CareConnect-GPC-Patient-1 Patients; it is how every consumer locates the record.",
};
const FIND_VALID: Def = Def {
    id: "gpc.patient.find.valid",
    requirement: Shall,
    why: "Search results must be valid STU3 and conform to the GP Connect profiles.",
};
const FIND_NO_MATCH: Def = Def {
    id: "gpc.patient.find.no-match",
    requirement: Shall,
    why: "Finding an NHS number nobody matches is not an error: 200 with an empty searchset, so a consumer can tell 'not registered here' from a failed call.",
};
const READ: Def = Def {
    id: "gpc.patient.read",
    requirement: Shall,
    why: "Read patient returns the Patient found, conforming to CareConnect-GPC-Patient-1.",
};
const READ_VALID: Def = Def {
    id: "gpc.patient.read.valid",
    requirement: Shall,
    why: "Resources must be valid STU3 and conform to the GP Connect profiles.",
};
const STRUCTURED: Def = Def {
    id: "structured-record",
    requirement: Shall,
    why: "$gpc.getstructuredrecord answers 200 with a collection Bundle (GPConnect-StructuredRecord-Bundle-1) holding the Patient asked for; a shared care record has no GP data for the area when it does not.",
};
const STRUCTURED_VALID: Def = Def {
    id: "structured-record.valid",
    requirement: Shall,
    why: "Structured records must be valid STU3 and conform to the GP Connect profiles, or consumers cannot import them.",
};
const INVALID_NHS_NUMBER: Def = Def {
    id: "gpc.errors.invalid-nhs-number",
    requirement: Shall,
    why: "An NHS number failing the format or modulus 11 check is refused with 400 and Spine code INVALID_NHS_NUMBER, so a consumer can tell a typing error from a missing record.",
};
const PATIENT_NOT_FOUND: Def = Def {
    id: "gpc.errors.patient-not-found",
    requirement: Shall,
    why: "A patient the provider does not hold (or may not disclose) is 404 with Spine code PATIENT_NOT_FOUND.",
};
const INVALID_PARAMETER: Def = Def {
    id: "gpc.errors.invalid-parameter",
    requirement: Shall,
    why: "Missing or invalid Parameters (here includeAllergies without its mandatory includeResolvedAllergies part) are 422 with Spine code INVALID_PARAMETER.",
};
const CONTENT_TYPE: Def = Def {
    id: "gpc.content-type",
    requirement: Shall,
    why: "GP Connect answers in FHIR STU3 JSON, application/fhir+json (DSTU2's application/json+fhir is another API version).",
};

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const SPINE_CODES: &str = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1";
const PATIENT_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1";
const STRUCTURED_PROFILE: &str =
    "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1";
const FHIR_JSON: &str = "application/fhir+json";
/// Fails the modulus 11 check whatever the provider holds (the check digit
/// of 123456789 would be 10, which no NHS number has).
const INVALID_NHS: &str = "1234567890";

/// One way of departing from a well-formed consumer request.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    Nothing,
    OmitHeader(&'static str),
    /// An `Ssp-TraceID` that is not a UUID.
    MalformedTraceId,
    /// Send the id of another interaction.
    OtherInteractionId(Interaction),
    NoToken,
    TokenLifetime(i64),
}

/// The clinical areas asked for, one request each: (name, the Parameters
/// entry asking for it).
fn areas() -> [(&'static str, Value); 5] {
    [
        (
            "allergies",
            json!({"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": true}]}),
        ),
        ("medications", json!({"name": "includeMedication"})),
        ("problems", json!({"name": "includeProblems"})),
        ("immunisations", json!({"name": "includeImmunisations"})),
        (
            "consultations",
            json!({"name": "includeConsultations", "part": [{"name": "includeNumberOfMostRecent", "valueInteger": 3}]}),
        ),
    ]
}

/// The consumer side of the conversation: builds the requests and notes
/// each response's media type for [`CONTENT_TYPE`].
struct Consumer<'s> {
    settings: &'s GpConnectSettings,
    media_types: Vec<(&'static str, u16, String)>,
}

impl Consumer<'_> {
    fn request(
        &self,
        ctx: &Ctx,
        interaction: Interaction,
        req: Request,
        tamper: Tamper,
    ) -> Request {
        let trace_id = match tamper {
            Tamper::MalformedTraceId => "not-a-uuid".to_string(),
            _ => uuid::Uuid::new_v4().to_string(),
        };
        let interaction_id = match tamper {
            Tamper::OtherInteractionId(other) => other.id(),
            _ => interaction.id(),
        };
        let headers = [
            ("Ssp-TraceID", trace_id.as_str()),
            ("Ssp-From", self.settings.consumer_asid.as_str()),
            ("Ssp-To", self.settings.provider_asid.as_str()),
            ("Ssp-InteractionID", interaction_id),
        ];
        // The region's own auth is not GP Connect's: the token is ours.
        let mut req = req
            .without_auth()
            .header("Accept", "application/fhir+json;charset=utf-8");
        for (name, value) in headers {
            if !matches!(tamper, Tamper::OmitHeader(omitted) if omitted == name) {
                req = req.header(name, value);
            }
        }
        let lifetime = match tamper {
            Tamper::NoToken => return req,
            Tamper::TokenLifetime(secs) => secs,
            _ => token::LIFETIME_SECS,
        };
        let jwt = token::mint(
            self.settings,
            ctx.ep.base_url(),
            interaction.scope(),
            lifetime,
        );
        ctx.ep.redactor().add(&jwt);
        req.header("Authorization", &format!("Bearer {jwt}"))
    }

    fn send(
        &mut self,
        ctx: &mut Ctx,
        interaction: Interaction,
        req: Request,
        tamper: Tamper,
    ) -> Result<(Response, Duration), String> {
        let req = self.request(ctx, interaction, req, tamper);
        let (r, took) = ctx.call(interaction.label(), req)?;
        self.note_media_type(interaction, &r);
        Ok((r, took))
    }

    /// Every response's media type is judged once, at the end.
    fn note_media_type(&mut self, interaction: Interaction, r: &Response) {
        let media = r.media_type().unwrap_or_else(|| "no content type".into());
        self.media_types
            .push((interaction.label(), r.status, media));
    }

    fn find_request(&self, nhs_number: &str) -> Request {
        Request::get("Patient").query("identifier", &format!("{NHS_NUMBER_SYSTEM}|{nhs_number}"))
    }

    /// The Parameters asking for one clinical area of one patient.
    fn structured_request(nhs_number: &str, area: Value) -> Request {
        let parameter = vec![
            json!({
                "name": "patientNHSNumber",
                "valueIdentifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs_number}
            }),
            area,
        ];
        let body = json!({"resourceType": "Parameters", "parameter": parameter});
        Request::new("POST", "Patient/$gpc.getstructuredrecord").json(&body)
    }
}

pub(crate) fn run(ctx: &mut Ctx, settings: &GpConnectSettings) -> Result<(), ProbeError> {
    let mut consumer = Consumer {
        settings,
        media_types: Vec::new(),
    };
    metadata(ctx, &mut consumer)?;
    find_and_read(ctx, &mut consumer);
    structured_records(ctx, &mut consumer);
    refusals(ctx, &mut consumer);
    content_types(ctx, &consumer);
    Ok(())
}

fn metadata(ctx: &mut Ctx, consumer: &mut Consumer) -> Result<(), ProbeError> {
    let req = consumer.request(
        ctx,
        Interaction::Metadata,
        Request::get("metadata"),
        Tamper::Nothing,
    );
    // Sent without Ctx::call, which keeps only the message: a transport
    // failure on the first call means there is nothing to probe (exit 3).
    let resp = ctx.ep.send(&req);
    let r = match resp {
        Ok(r) => r,
        Err(e) if e.is_infrastructure() => return Err(ProbeError::Unreachable(e.to_string())),
        Err(e) => {
            ctx.fail(&METADATA, None, e.to_string(), None);
            ctx.skip(&METADATA_VALID, None, "no CapabilityStatement");
            return Ok(());
        }
    };
    let took = r.elapsed;
    ctx.record(Interaction::Metadata.label(), took);
    consumer.note_media_type(Interaction::Metadata, &r);
    let timed = Some((Interaction::Metadata.label(), took));
    let cs = r
        .json()
        .filter(|b| b["resourceType"] == "CapabilityStatement");
    let Some(cs) = cs.filter(|_| r.status == 200) else {
        ctx.fail(
            &METADATA,
            None,
            format!("GET metadata: status {}, no CapabilityStatement", r.status),
            timed,
        );
        ctx.skip(&METADATA_VALID, None, "no CapabilityStatement");
        return Ok(());
    };
    ctx.declared = Some(Declared::from_capability_statement(&cs));
    let version = cs["fhirVersion"].as_str().unwrap_or("none");
    ctx.outcome(
        &METADATA,
        None,
        version == "3.0.1",
        format!("CapabilityStatement with fhirVersion {version} (GP Connect is STU3, 3.0.1)"),
        timed,
    );
    ctx.validate(&METADATA_VALID, None, &r.body, "the CapabilityStatement");
    Ok(())
}

/// Find patient by the configured NHS number, then read the Patient found.
fn find_and_read(ctx: &mut Ctx, consumer: &mut Consumer) {
    let nhs = consumer.settings.nhs_number.clone();
    let req = consumer.find_request(&nhs);
    let found = match consumer.send(ctx, Interaction::FindPatient, req, Tamper::Nothing) {
        Ok((r, took)) => {
            let timed = Some((Interaction::FindPatient.label(), took));
            let bundle = r
                .json()
                .filter(|b| r.status == 200 && b["resourceType"] == "Bundle");
            match bundle {
                None => {
                    ctx.fail(
                        &FIND,
                        None,
                        format!(
                            "GET Patient?identifier=…|{nhs}: status {}, no Bundle",
                            r.status
                        ),
                        timed,
                    );
                    None
                }
                Some(b) => {
                    let patient = entries(&b)
                        .find(|p| p["resourceType"] == "Patient" && nhs_number_of(p) == Some(&nhs))
                        .cloned();
                    let judged = match (&b["type"], &patient) {
                        (t, _) if t != "searchset" => {
                            Err(format!("a Bundle of type {t}, not searchset"))
                        }
                        (_, None) => {
                            Err(format!("no Patient with NHS number {nhs} in the searchset"))
                        }
                        (_, Some(p)) => patient_problem(p).map_or(Ok(()), Err),
                    };
                    match judged {
                        Ok(()) => ctx.pass(
                            &FIND,
                            None,
                            format!("a searchset with the Patient of NHS number {nhs}"),
                            timed,
                        ),
                        Err(why) => {
                            ctx.fail(&FIND, None, format!("find patient {nhs}: {why}"), timed)
                        }
                    }
                    ctx.validate(&FIND_VALID, None, &r.body, "the searchset");
                    patient
                }
            }
        }
        Err(e) => {
            ctx.fail(&FIND, None, e, None);
            None
        }
    };
    if found.is_none() {
        ctx.skip(&FIND_VALID, None, "no searchset");
    }
    find_no_match(ctx, consumer);
    let Some(id) = found
        .as_ref()
        .and_then(|p| p["id"].as_str())
        .map(str::to_string)
    else {
        skip_all(ctx, &[&READ, &READ_VALID], None, "no Patient found to read");
        return;
    };
    let req = Request::get(&format!("Patient/{id}"));
    match consumer.send(ctx, Interaction::ReadPatient, req, Tamper::Nothing) {
        Ok((r, took)) => {
            let timed = Some((Interaction::ReadPatient.label(), took));
            let patient = r
                .json()
                .filter(|b| r.status == 200 && b["resourceType"] == "Patient");
            let judged = match &patient {
                None => Err(format!("status {}, no Patient", r.status)),
                Some(p) if nhs_number_of(p) != Some(&nhs) => {
                    Err(format!("the Patient read has not NHS number {nhs}"))
                }
                Some(p) => patient_problem(p).map_or(Ok(()), Err),
            };
            match judged {
                Ok(()) => ctx.pass(&READ, None, format!("Patient/{id} read"), timed),
                Err(why) => ctx.fail(&READ, None, format!("GET Patient/{id}: {why}"), timed),
            }
            if patient.is_some() {
                ctx.validate(&READ_VALID, None, &r.body, "the Patient");
            } else {
                ctx.skip(&READ_VALID, None, "no Patient");
            }
        }
        Err(e) => {
            ctx.fail(&READ, None, e, None);
            ctx.skip(&READ_VALID, None, "no response");
        }
    }
}

/// Find patient for a valid NHS number the provider does not hold.
fn find_no_match(ctx: &mut Ctx, consumer: &mut Consumer) {
    let unknown = unknown_nhs_number(&consumer.settings.nhs_number);
    let req = consumer.find_request(&unknown);
    match consumer.send(ctx, Interaction::FindPatient, req, Tamper::Nothing) {
        Ok((r, took)) => {
            let timed = Some((Interaction::FindPatient.label(), took));
            let body = r.json().unwrap_or_default();
            let empty_searchset = r.status == 200
                && body["resourceType"] == "Bundle"
                && body["type"] == "searchset"
                && entries(&body).all(|e| e["resourceType"] != "Patient");
            ctx.outcome(
                &FIND_NO_MATCH,
                None,
                empty_searchset,
                if empty_searchset {
                    "an NHS number nobody matches: 200 with an empty searchset".to_string()
                } else {
                    format!(
                        "an NHS number nobody matches: {}; expected 200 with an empty searchset",
                        what_came(&r)
                    )
                },
                timed,
            );
        }
        Err(e) => ctx.fail(&FIND_NO_MATCH, None, e, None),
    }
}

/// What is wrong with a Patient GP Connect serves, if anything.
fn patient_problem(p: &Value) -> Option<String> {
    let profiles: Vec<&str> = p["meta"]["profile"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    (!profiles.contains(&PATIENT_PROFILE)).then(|| {
        format!(
            "meta.profile is [{}], not {PATIENT_PROFILE}",
            profiles.join(", ")
        )
    })
}

/// `$gpc.getstructuredrecord` once per clinical area.
fn structured_records(ctx: &mut Ctx, consumer: &mut Consumer) {
    let nhs = consumer.settings.nhs_number.clone();
    for (area, asked) in areas() {
        let subject = format!("gpc.{area}");
        let subject = Some(subject.as_str());
        let req = Consumer::structured_request(&nhs, asked);
        let (r, took) =
            match consumer.send(ctx, Interaction::StructuredRecord, req, Tamper::Nothing) {
                Ok(x) => x,
                Err(e) => {
                    ctx.fail(&STRUCTURED, subject, e, None);
                    ctx.skip(&STRUCTURED_VALID, subject, "no response");
                    continue;
                }
            };
        let timed = Some((Interaction::StructuredRecord.label(), took));
        let Some(b) = r
            .json()
            .filter(|b| r.status == 200 && b["resourceType"] == "Bundle")
        else {
            ctx.fail(
                &STRUCTURED,
                subject,
                format!("{area}: status {}, no Bundle", r.status),
                timed,
            );
            ctx.skip(&STRUCTURED_VALID, subject, "no Bundle");
            continue;
        };
        let has_profile = b["meta"]["profile"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p == STRUCTURED_PROFILE);
        let patient = entries(&b).find(|p| p["resourceType"] == "Patient");
        let judged = if b["type"] != "collection" {
            Err(format!("a Bundle of type {}, not collection", b["type"]))
        } else if !has_profile {
            Err(format!(
                "the Bundle's meta.profile is not {STRUCTURED_PROFILE}"
            ))
        } else {
            match patient {
                None => Err("no Patient in the record".to_string()),
                Some(p) if nhs_number_of(p) != Some(&nhs) => {
                    Err(format!("the record's Patient has not NHS number {nhs}"))
                }
                Some(p) => patient_problem(p).map_or(Ok(()), Err),
            }
        };
        match judged {
            Ok(()) => ctx.pass(
                &STRUCTURED,
                subject,
                format!(
                    "{area}: a structured record of {} entries",
                    entries(&b).count()
                ),
                timed,
            ),
            Err(why) => ctx.fail(&STRUCTURED, subject, format!("{area}: {why}"), timed),
        }
        ctx.validate(
            &STRUCTURED_VALID,
            subject,
            &r.body,
            &format!("the {area} record"),
        );
    }
}

/// The requests a provider must refuse, each with the status and Spine
/// code it must refuse them with.
fn refusals(ctx: &mut Ctx, consumer: &mut Consumer) {
    let nhs = consumer.settings.nhs_number.clone();
    let find = consumer.find_request(&nhs);
    let allergies = areas()[0].1.clone();
    let mut headers_accepted = Vec::new();
    let mut headers_timed = None;
    let broken = [
        ("without Ssp-TraceID", Tamper::OmitHeader("Ssp-TraceID")),
        ("without Ssp-From", Tamper::OmitHeader("Ssp-From")),
        ("without Ssp-To", Tamper::OmitHeader("Ssp-To")),
        (
            "without Ssp-InteractionID",
            Tamper::OmitHeader("Ssp-InteractionID"),
        ),
        (
            "with an Ssp-TraceID that is not a UUID",
            Tamper::MalformedTraceId,
        ),
    ];
    for (what, tamper) in broken {
        match consumer.send(ctx, Interaction::FindPatient, find.clone(), tamper) {
            Ok((r, took)) => {
                headers_timed = Some(took);
                if let Err(got) = refused_as(&r, 400, "BAD_REQUEST") {
                    headers_accepted.push(format!("{what}: {got}"));
                }
            }
            Err(e) => headers_accepted.push(format!("{what}: {e}")),
        }
    }
    let timed = headers_timed.map(|t| (Interaction::FindPatient.label(), t));
    if headers_accepted.is_empty() {
        ctx.pass(
            &SSP_HEADERS,
            None,
            "a find patient without each SSP header in turn, and with a malformed Ssp-TraceID, was refused with 400 BAD_REQUEST",
            timed,
        );
    } else {
        ctx.fail(
            &SSP_HEADERS,
            None,
            format!(
                "{}; expected 400 with Spine code BAD_REQUEST",
                headers_accepted.join("; ")
            ),
            timed,
        );
    }
    let unknown = unknown_nhs_number(&nhs);
    let cases: [(&Def, Interaction, Request, Tamper, u16, &str); 6] = [
        (
            &INTERACTION_ID,
            Interaction::FindPatient,
            find.clone(),
            Tamper::OtherInteractionId(Interaction::ReadPatient),
            400,
            "BAD_REQUEST",
        ),
        (
            &JWT_REQUIRED,
            Interaction::FindPatient,
            find.clone(),
            Tamper::NoToken,
            400,
            "BAD_REQUEST",
        ),
        (
            &JWT_LIFETIME,
            Interaction::FindPatient,
            find,
            Tamper::TokenLifetime(2 * token::LIFETIME_SECS),
            400,
            "BAD_REQUEST",
        ),
        (
            &INVALID_NHS_NUMBER,
            Interaction::StructuredRecord,
            Consumer::structured_request(INVALID_NHS, allergies.clone()),
            Tamper::Nothing,
            400,
            "INVALID_NHS_NUMBER",
        ),
        (
            &PATIENT_NOT_FOUND,
            Interaction::StructuredRecord,
            Consumer::structured_request(&unknown, allergies),
            Tamper::Nothing,
            404,
            "PATIENT_NOT_FOUND",
        ),
        (
            &INVALID_PARAMETER,
            Interaction::StructuredRecord,
            Consumer::structured_request(&nhs, json!({"name": "includeAllergies"})),
            Tamper::Nothing,
            422,
            "INVALID_PARAMETER",
        ),
    ];
    for (def, interaction, req, tamper, status, code) in cases {
        match consumer.send(ctx, interaction, req, tamper) {
            Ok((r, took)) => {
                let timed = Some((interaction.label(), took));
                match refused_as(&r, status, code) {
                    Ok(()) => ctx.pass(def, None, format!("refused with {status} {code}"), timed),
                    Err(got) => ctx.fail(
                        def,
                        None,
                        format!("{got}; expected {status} with Spine code {code}"),
                        timed,
                    ),
                }
            }
            Err(e) => ctx.fail(def, None, e, None),
        }
    }
}

/// Whether a response is the documented refusal: the status, and an
/// OperationOutcome whose issue carries the Spine code; if not, what came.
fn refused_as(r: &Response, status: u16, code: &str) -> Result<(), String> {
    if r.status == status && spine_codes(r).iter().any(|c| c == code) {
        Ok(())
    } else {
        Err(what_came(r))
    }
}

/// The Spine error codes of an OperationOutcome body (none for any other body).
fn spine_codes(r: &Response) -> Vec<String> {
    let body = r.json().filter(|b| b["resourceType"] == "OperationOutcome");
    let issues = body.as_ref().and_then(|b| b["issue"].as_array().cloned());
    issues
        .into_iter()
        .flatten()
        .flat_map(|i| {
            i["details"]["coding"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|c| c["system"] == SPINE_CODES)
        .filter_map(|c| c["code"].as_str().map(str::to_string))
        .collect()
}

/// A response in a few words: its status and what the body is.
fn what_came(r: &Response) -> String {
    let body = r.json().unwrap_or_default();
    let codes = spine_codes(r);
    match body["resourceType"].as_str() {
        Some("OperationOutcome") if codes.is_empty() => {
            format!(
                "status {}, an OperationOutcome with no Spine code",
                r.status
            )
        }
        Some("OperationOutcome") => {
            format!("status {} with Spine code {}", r.status, codes.join(", "))
        }
        Some("Bundle") => format!(
            "status {}, a {} Bundle of {} entries",
            r.status,
            body["type"].as_str().unwrap_or("untyped"),
            entries(&body).count()
        ),
        _ => format!("status {}, no OperationOutcome", r.status),
    }
}

/// Every response's media type, judged once at the end.
fn content_types(ctx: &mut Ctx, consumer: &Consumer) {
    if consumer.media_types.is_empty() {
        ctx.skip(&CONTENT_TYPE, None, "no responses");
        return;
    }
    let wrong: Vec<String> = consumer
        .media_types
        .iter()
        .filter(|(_, _, m)| m != FHIR_JSON)
        .map(|(i, s, m)| format!("{i} ({s}): {m}"))
        .collect();
    let n = consumer.media_types.len();
    if wrong.is_empty() {
        ctx.pass(
            &CONTENT_TYPE,
            None,
            format!("all {n} responses were {FHIR_JSON}"),
            None,
        );
    } else {
        let distinct: std::collections::BTreeSet<&String> = wrong.iter().collect();
        let shown: Vec<&str> = distinct.iter().take(3).map(|s| s.as_str()).collect();
        ctx.fail(
            &CONTENT_TYPE,
            None,
            format!(
                "{} of {n} responses not {FHIR_JSON}, e.g. {}",
                wrong.len(),
                shown.join("; ")
            ),
            None,
        );
    }
}

fn entries(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
}

fn nhs_number_of(patient: &Value) -> Option<&String> {
    patient["identifier"]
        .as_array()?
        .iter()
        .find(|i| i["system"] == NHS_NUMBER_SYSTEM)
        .and_then(|i| match &i["value"] {
            Value::String(s) => Some(s),
            _ => None,
        })
}

/// A valid NHS number (modulus 11) in the 999 test range that is not the
/// configured one, for the patient the provider must not find: random, so
/// a provider cannot special-case it.
fn unknown_nhs_number(held: &str) -> String {
    loop {
        let random = uuid::Uuid::new_v4().as_u128();
        let digits: Vec<u32> = format!("999{:06}", random % 1_000_000)
            .chars()
            .filter_map(|c| c.to_digit(10))
            .collect();
        let sum: u32 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        let n: String =
            digits.iter().map(|d| d.to_string()).collect::<String>() + &check.to_string();
        if n != held {
            return n;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_nhs_numbers_are_valid_and_differ_from_the_held_one() {
        for _ in 0..50 {
            let n = super::unknown_nhs_number("9999999999");
            assert_eq!(n.len(), 10);
            assert!(n.starts_with("999") && n != "9999999999", "{n}");
            let d: Vec<u32> = n.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum: u32 = d[..9].iter().zip((2..=10).rev()).map(|(a, w)| a * w).sum();
            assert_eq!((11 - sum % 11) % 11, d[9], "{n}");
        }
    }
}
