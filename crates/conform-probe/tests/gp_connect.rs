//! `--profile gp-connect` against the GP Connect provider stand-in: green
//! when it keeps the contract, and each rule it breaks (one fault switch
//! at a time) caught by the check for that rule, and by no unrelated one.

use conform_endpoint::{Endpoint, Region};
use conform_outcome::Status;
use conform_peers::{GpConnectProvider, GpcFault};
use conform_probe::{
    run_probe, BodyValidator, GpConnectSettings, ProbeOptions, ProbeProfile, ProbeReport,
};

fn probe(provider: &GpConnectProvider) -> ProbeReport {
    probe_validating(provider, None)
}

fn probe_validating(
    provider: &GpConnectProvider,
    validator: Option<&dyn BodyValidator>,
) -> ProbeReport {
    let ep = Endpoint::new(&Region::from_url(&provider.base_url())).unwrap();
    let options = ProbeOptions {
        profile: ProbeProfile::GpConnect,
        gp_connect: GpConnectSettings {
            nhs_number: GpConnectProvider::STRUCTURED_NHS_NUMBER.into(),
            ..GpConnectSettings::default()
        },
        ..ProbeOptions::default()
    };
    run_probe(&ep, validator, &options).expect("the provider answers")
}

/// The checks that did not pass or skip: (id, message).
fn failures(r: &ProbeReport) -> Vec<(String, String)> {
    r.checks
        .iter()
        .filter(|c| !matches!(c.outcome.status, Status::Pass | Status::Skip))
        .map(|c| (c.outcome.rule.clone(), c.outcome.message.clone()))
        .collect()
}

#[test]
fn a_provider_keeping_the_contract_passes_every_contract_check() {
    let provider = GpConnectProvider::start().unwrap();
    let r = probe(&provider);
    assert_eq!(failures(&r), Vec::<(String, String)>::new());
    assert!(r.passed());
    assert_eq!(r.target.fhir_version.as_deref(), Some("3.0.1"));
    assert_eq!(r.target.auth, "gp-connect-jwt");
    let passed = |id: &str| {
        r.checks
            .iter()
            .any(|c| c.outcome.rule == id && c.outcome.status == Status::Pass)
    };
    for id in [
        "gpc.metadata",
        "gpc.ssp-headers.required",
        "gpc.interaction-id.enforced",
        "gpc.jwt.required",
        "gpc.jwt.lifetime",
        "gpc.patient.find",
        "gpc.patient.find.no-match",
        "gpc.patient.read",
        "gpc.allergies.structured-record",
        "gpc.medications.structured-record",
        "gpc.problems.structured-record",
        "gpc.immunisations.structured-record",
        "gpc.consultations.structured-record",
        "gpc.errors.invalid-nhs-number",
        "gpc.errors.patient-not-found",
        "gpc.errors.invalid-parameter",
        "gpc.content-type",
    ] {
        assert!(passed(id), "{id} did not pass");
    }
    // validation runs through the validator the caller loads; none here
    let valid = r
        .checks
        .iter()
        .find(|c| c.outcome.rule == "gpc.allergies.structured-record.valid")
        .unwrap();
    assert_eq!(valid.outcome.message, "no validator loaded");
    assert!(r
        .latency
        .iter()
        .any(|l| l.interaction == "gpc.getstructuredrecord"));
}

/// Finds an error in every body holding a MedicationRequest (only the
/// medications record has them), to see which check each body reaches.
struct NoMedicationRequests;
impl BodyValidator for NoMedicationRequests {
    fn errors(&self, body: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(body);
        let n = text
            .matches("\"resourceType\":\"MedicationRequest\"")
            .count();
        (n > 0)
            .then(|| format!("Bundle: {n} MedicationRequest(s) not allowed here [test]"))
            .into_iter()
            .collect()
    }
}

#[test]
fn each_response_body_goes_through_the_validator_under_its_own_check() {
    let provider = GpConnectProvider::start().unwrap();
    let r = probe_validating(&provider, Some(&NoMedicationRequests));
    let check = |id: &str| {
        let c = r.checks.iter().find(|c| c.outcome.rule == id).unwrap();
        (c.outcome.status, c.outcome.message.clone())
    };
    assert_eq!(
        check("gpc.medications.structured-record.valid"),
        (
            Status::Fail,
            "the medications record: 1 validation error(s): Bundle: 6 MedicationRequest(s) not allowed here [test]".into()
        )
    );
    for id in [
        "gpc.metadata.valid",
        "gpc.patient.find.valid",
        "gpc.patient.read.valid",
        "gpc.allergies.structured-record.valid",
        "gpc.problems.structured-record.valid",
        "gpc.immunisations.structured-record.valid",
        "gpc.consultations.structured-record.valid",
    ] {
        assert_eq!(check(id).0, Status::Pass, "{id}: {}", check(id).1);
    }
    assert_eq!(r.summary.failed_shall, 1, "only the planted finding");
}

#[test]
fn each_broken_rule_is_caught_by_its_check() {
    const ERRORS: &[&str] = &[
        "gpc.ssp-headers.required",
        "gpc.interaction-id.enforced",
        "gpc.jwt.required",
        "gpc.jwt.lifetime",
        "gpc.errors.invalid-nhs-number",
        "gpc.errors.patient-not-found",
        "gpc.errors.invalid-parameter",
    ];
    const PATIENTS: &[&str] = &[
        "gpc.patient.find",
        "gpc.patient.read",
        "gpc.allergies.structured-record",
        "gpc.medications.structured-record",
        "gpc.problems.structured-record",
        "gpc.immunisations.structured-record",
        "gpc.consultations.structured-record",
    ];
    // fault, the check that must catch it, what its message must say, and
    // every check allowed to fail with it
    let table: [(GpcFault, &str, &str, &[&str]); 9] = [
        (
            GpcFault::AcceptMissingHeaders,
            "gpc.ssp-headers.required",
            "with an Ssp-TraceID that is not a UUID: status 200, a searchset Bundle of 1 entries; expected 400 with Spine code BAD_REQUEST",
            &["gpc.ssp-headers.required"],
        ),
        (
            GpcFault::IgnoreInteractionId,
            "gpc.interaction-id.enforced",
            "status 200, a searchset Bundle of 1 entries; expected 400 with Spine code BAD_REQUEST",
            &["gpc.interaction-id.enforced"],
        ),
        (
            GpcFault::SkipJwtChecks,
            "gpc.jwt.required",
            "status 200, a searchset Bundle of 1 entries; expected 400 with Spine code BAD_REQUEST",
            &["gpc.jwt.required", "gpc.jwt.lifetime"],
        ),
        (
            GpcFault::WrongSpineCode,
            "gpc.errors.patient-not-found",
            "status 404 with Spine code INTERNAL_SERVER_ERROR; expected 404 with Spine code PATIENT_NOT_FOUND",
            ERRORS,
        ),
        (
            GpcFault::WrongErrorStatus,
            "gpc.errors.invalid-parameter",
            "status 400 with Spine code INVALID_PARAMETER; expected 422 with Spine code INVALID_PARAMETER",
            &["gpc.errors.patient-not-found", "gpc.errors.invalid-parameter"],
        ),
        (
            GpcFault::Dstu2ContentType,
            "gpc.content-type",
            "responses not application/fhir+json, e.g. gpc.find-patient (200): application/json+fhir",
            &["gpc.content-type"],
        ),
        (
            GpcFault::R4Metadata,
            "gpc.metadata",
            "CapabilityStatement with fhirVersion 4.0.1 (GP Connect is STU3, 3.0.1)",
            &["gpc.metadata"],
        ),
        (
            GpcFault::WrongPatientProfile,
            "gpc.patient.read",
            "meta.profile is [https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient], not https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1",
            PATIENTS,
        ),
        (
            GpcFault::NoMatchAsError,
            "gpc.patient.find.no-match",
            "an NHS number nobody matches: status 404 with Spine code PATIENT_NOT_FOUND; expected 200 with an empty searchset",
            &["gpc.patient.find.no-match"],
        ),
    ];
    // PublishedDefects breaks the payloads, not the contract: only a real
    // validator sees it (cli/tests/probe_gp_connect_cli.rs).
    assert_eq!(
        table.len(),
        GpcFault::ALL.len() - 1,
        "every contract fault is in the table"
    );
    for (fault, check, says, allowed) in table {
        let provider = GpConnectProvider::start_with(Some(fault)).unwrap();
        let r = probe(&provider);
        let failed = failures(&r);
        let caught = failed.iter().find(|(id, _)| id == check);
        let (_, message) =
            caught.unwrap_or_else(|| panic!("{fault:?} not caught by {check}: {failed:?}"));
        assert!(
            message.contains(says),
            "{fault:?}: {check} says {message:?}"
        );
        for (id, message) in &failed {
            assert!(
                allowed.contains(&id.as_str()),
                "{fault:?} also failed {id}: {message}"
            );
        }
        assert!(!r.passed(), "{fault:?}: a SHALL failed");
    }
}
