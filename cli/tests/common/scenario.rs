//! Helpers of the scenario CLI tests: the cross-ICS kit, reading a run's
//! JSON results, and sending a request outside conform.

use conform_endpoint::{Endpoint, Region, Request};
use serde_json::Value;
use std::process::Output;

/// The kit the national scenarios live in.
pub const KIT: &str = "testkits/cross-ics";

/// Sends one request outside conform (to break or repair the seed).
pub fn send(base: &str, req: Request) -> u16 {
    Endpoint::new(&Region::from_url(base))
        .unwrap()
        .send(&req)
        .unwrap()
        .status
}

/// A run's JSON results, or a panic showing what it printed instead.
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON results ({e}):\n{}\n{}",
            super::stdout(out),
            super::stderr(out)
        )
    })
}

/// The scenario of a run's results with this id.
pub fn scenario<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no scenario {id}"))
}

/// What SDS holds for the GP Connect stand-in's practice (ODS B82617): its
/// structured-record endpoint, with the address the stand-in listens on and
/// the provider's ASID. Written at run time, since the address is.
pub fn sds_endpoint(provider_url: &str) -> Value {
    serde_json::json!({
        "resourceType": "Endpoint",
        "id": "gpc-b82617-structured",
        "status": "active",
        "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "code": "hl7-fhir-rest"},
        "payloadType": [{"text": "GP Connect Access Record Structured"}],
        "address": provider_url,
        "managingOrganization": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "B82617"}},
        "identifier": [
            {"system": "https://fhir.nhs.uk/Id/nhsServiceInteractionId", "value": "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"},
            {"system": "https://fhir.nhs.uk/Id/nhsSpineASID", "value": "918999198993"}
        ]
    })
}
