//! The GP Connect 1.x audit JWT a consumer mints for every request:
//! unsigned (`alg` `none`, so the compact form ends in `.`), claims naming
//! the consumer, the requesting organisation and practitioner, and a
//! lifetime of exactly 300 s. `lifetime` is a parameter so the probe can
//! also send a token a provider must refuse. Shared by the probe and the
//! scenario runner, so both send the same token.

use base64::Engine;
use conform_regions::GpConnectSettings;
use serde_json::json;

const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const SDS_USER: &str = "https://fhir.nhs.uk/Id/sds-user-id";
const SDS_ROLE: &str = "https://fhir.nhs.uk/Id/sds-role-profile-id";
/// Where our own identifiers live: not an NHS namespace, so never mistaken
/// for real directory data.
const LOCAL: &str = "https://conform.invalid/Id";

/// The lifetime GP Connect requires.
pub const LIFETIME_SECS: i64 = 300;

pub fn mint(
    settings: &GpConnectSettings,
    audience: &str,
    scope: &str,
    lifetime_secs: i64,
) -> String {
    let iat = jiff::Timestamp::now().as_second();
    let header = json!({"alg": "none", "typ": "JWT"});
    let claims = json!({
        "iss": settings.consumer_url,
        "sub": settings.practitioner_id,
        "aud": audience,
        "exp": iat + lifetime_secs,
        "iat": iat,
        "reason_for_request": "directcare",
        "requested_scope": scope,
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [{"system": format!("{LOCAL}/device"), "value": "conform"}],
            "model": "conform",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "requesting_organization": {
            "resourceType": "Organization",
            "identifier": [{"system": ODS, "value": settings.requesting_ods}],
            "name": settings.requesting_organisation_name,
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner",
            "id": settings.practitioner_id,
            "identifier": [
                {"system": SDS_USER, "value": settings.sds_user_id},
                {"system": SDS_ROLE, "value": settings.sds_role_profile_id},
                {"system": format!("{LOCAL}/user"), "value": settings.practitioner_id},
            ],
            "name": [{"family": settings.practitioner_family, "given": [settings.practitioner_given]}],
        },
    });
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    format!("{}.{}.", b64(&header), b64(&claims))
}

/// The GP Connect interactions conform calls, with their
/// `Ssp-InteractionID` and JWT scope (shared by the probe and scenarios).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interaction {
    Metadata,
    FindPatient,
    ReadPatient,
    StructuredRecord,
}

impl Interaction {
    pub fn id(self) -> &'static str {
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
    /// Metadata is an organisation-level read; the rest read patient data.
    pub fn scope(self) -> &'static str {
        match self {
            Interaction::Metadata => "organization/*.read",
            _ => "patient/*.read",
        }
    }
    /// The name latencies are reported under.
    pub fn label(self) -> &'static str {
        match self {
            Interaction::Metadata => "gpc.metadata",
            Interaction::FindPatient => "gpc.find-patient",
            Interaction::ReadPatient => "gpc.read-patient",
            Interaction::StructuredRecord => "gpc.getstructuredrecord",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsigned_token_with_every_claim_and_a_300s_lifetime() {
        let token = mint(
            &GpConnectSettings::default(),
            "https://provider/B82617/STU3/1/gpconnect",
            "patient/*.read",
            LIFETIME_SECS,
        );
        assert!(token.ends_with('.'), "no signature");
        let parts: Vec<&str> = token.split('.').collect();
        let decode = |p: &str| -> serde_json::Value {
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(decode(parts[0])["alg"], "none");
        let c = decode(parts[1]);
        assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
        assert_eq!(c["sub"], c["requesting_practitioner"]["id"]);
        assert_eq!(c["requested_scope"], "patient/*.read");
        assert_eq!(c["requesting_organization"]["resourceType"], "Organization");
    }
}
