//! What `conform probe` checks a region for, and what a GP Connect consumer
//! says about itself on every request (the SSP headers' ASIDs and the
//! audit JWT's claims). None of it is secret: GP Connect's JWT is unsigned
//! and exists for audit, and ASIDs and ODS codes are public directory data.

use serde::Deserialize;

/// Which set of checks a probe runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeProfile {
    /// A FHIR R4 server: CapabilityStatement, declared vs actual, writes.
    #[default]
    Fhir,
    /// A GP Connect (STU3) provider behind the Spine Secure Proxy.
    GpConnect,
}

impl ProbeProfile {
    pub const NAMES: [&'static str; 2] = ["fhir", "gp-connect"];

    pub fn parse(name: &str) -> Option<ProbeProfile> {
        match name {
            "fhir" => Some(ProbeProfile::Fhir),
            "gp-connect" => Some(ProbeProfile::GpConnect),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProbeProfile::Fhir => "fhir",
            ProbeProfile::GpConnect => "gp-connect",
        }
    }
}

/// The consumer's side of a GP Connect call. Every field has a default, so
/// `probe_profile: gp-connect` alone is a usable region; the defaults are
/// the GP Connect demonstrator's ASIDs and the patient of NHS England's
/// published examples, which a real provider's test environment will not
/// hold: set `nhs_number` to one it does.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct GpConnectSettings {
    /// `Ssp-From`: the ASID of the originating (consumer) organisation.
    pub consumer_asid: String,
    /// `Ssp-To`: the provider's ASID from SDS.
    pub provider_asid: String,
    /// A patient the provider holds, for find, read and the structured record.
    pub nhs_number: String,
    /// The JWT's `iss`: the consumer system's URL.
    pub consumer_url: String,
    /// `requesting_organization`: ODS code and name of the originating organisation.
    pub requesting_ods: String,
    pub requesting_organisation_name: String,
    /// `requesting_practitioner` (and `sub`): local id, SDS user id, SDS
    /// role profile id (`UNK` without a smartcard) and name.
    pub practitioner_id: String,
    pub sds_user_id: String,
    pub sds_role_profile_id: String,
    pub practitioner_family: String,
    pub practitioner_given: String,
}

impl Default for GpConnectSettings {
    fn default() -> Self {
        GpConnectSettings {
            consumer_asid: "200000000359".into(),
            provider_asid: "918999198993".into(),
            nhs_number: "9999999999".into(),
            consumer_url: "https://conform.invalid/gp-connect-consumer".into(),
            requesting_ods: "X99999".into(),
            requesting_organisation_name: "conform conformance probe".into(),
            practitioner_id: "conform-probe-user".into(),
            sds_user_id: "UNK".into(),
            sds_role_profile_id: "UNK".into(),
            practitioner_family: "Probe".into(),
            practitioner_given: "Conform".into(),
        }
    }
}

impl GpConnectSettings {
    /// Why these settings cannot be sent, if they cannot.
    pub fn problem(&self) -> Option<String> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.consumer_asid) || !digits(&self.provider_asid) {
            return Some("gp_connect: consumer_asid and provider_asid are ASIDs (digits)".into());
        }
        if self.nhs_number.len() != 10 || !digits(&self.nhs_number) {
            return Some(format!(
                "gp_connect: nhs_number '{}' is not ten digits",
                self.nhs_number
            ));
        }
        None
    }
}
