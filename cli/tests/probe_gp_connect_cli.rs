//! `conform probe --profile gp-connect` (and a region's `probe_profile:
//! gp-connect`) against the GP Connect provider stand-in: green when it
//! keeps the contract, a broken rule reported in every format, and the
//! audit JWT never in any output. Which check catches which broken rule is
//! conform-probe's tests/gp_connect.rs.

mod common;

use common::probe::{check, probe, probe_json, status, write_regions};
use conform_peers::{GpConnectProvider, GpcFault};

/// The start of every token the probe mints: base64url of
/// `{"alg":"none","typ":"JWT"}`.
const JWT_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

#[test]
fn a_region_with_the_gp_connect_profile_passes_against_the_stand_in() {
    let provider = GpConnectProvider::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let regions = write_regions(
        dir.path(),
        &format!(
            "regions:\n- name: gp-practice\n  base_url: {}\n  probe_profile: gp-connect\n  gp_connect:\n    nhs_number: '{}'\n    consumer_asid: '200000000359'\n    provider_asid: '918999198993'\n",
            provider.base_url(),
            GpConnectProvider::STRUCTURED_NHS_NUMBER
        ),
    );
    let (r, out) = probe_json(&[
        "--regions",
        &regions,
        "--region",
        "gp-practice",
        "--no-validate",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
    assert_eq!(r["target"]["fhir_version"], "3.0.1");
    assert_eq!(r["target"]["region"], "gp-practice");
    assert_eq!(r["target"]["auth"], "gp-connect-jwt");
    for id in [
        "gpc.metadata",
        "gpc.ssp-headers.required",
        "gpc.jwt.required",
        "gpc.patient.find",
        "gpc.patient.read",
        "gpc.allergies.structured-record",
        "gpc.errors.patient-not-found",
        "gpc.content-type",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", check(&r, id));
    }
    assert_eq!(
        check(&r, "gpc.metadata")["why"].as_str().unwrap(),
        "GP Connect is FHIR STU3: the provider's CapabilityStatement declares fhirVersion 3.0.1, and consumers read it before anything else."
    );
    assert!(!common::stdout(&out).contains(JWT_HEADER));
}

#[test]
fn a_broken_rule_is_reported_in_every_format_and_the_token_never_appears() {
    let provider = GpConnectProvider::start_with(Some(GpcFault::WrongErrorStatus)).unwrap();
    let url = provider.base_url();
    let base = [
        url.as_str(),
        "--profile",
        "gp-connect",
        "--nhs-number",
        GpConnectProvider::STRUCTURED_NHS_NUMBER,
        "--no-validate",
    ];
    let (r, out) = probe_json(&base);
    assert_eq!(out.status.code(), Some(1), "a SHALL failed: findings");
    assert_eq!(
        check(&r, "gpc.errors.patient-not-found")["message"],
        "status 400 with Spine code PATIENT_NOT_FOUND; expected 404 with Spine code PATIENT_NOT_FOUND"
    );
    for format in ["text", "junit", "sarif"] {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let out = probe(&args);
        let text = common::stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            text.contains("gpc.errors.patient-not-found"),
            "{format}: {text}"
        );
        assert!(!text.contains(JWT_HEADER), "{format} shows the token");
        assert!(!common::stderr(&out).contains(JWT_HEADER));
    }
}

#[test]
fn every_body_is_validated_with_the_gp_connect_pack() {
    let provider = GpConnectProvider::start().unwrap();
    let url = provider.base_url();
    let nhs = GpConnectProvider::STRUCTURED_NHS_NUMBER;
    let (r, out) = probe_json(&[&url, "--profile", "gp-connect", "--nhs-number", nhs]);
    assert!(
        !common::stderr(&out).contains("not validated"),
        "{}",
        common::stderr(&out)
    );
    // Each body was validated, under its own check. The stand-in corrects
    // the published examples' defects, so every body is valid except the
    // immunisation record, whose profile requires two Care Connect
    // extensions no test package defines.
    for (id, what) in [
        ("gpc.metadata.valid", "the CapabilityStatement"),
        ("gpc.patient.find.valid", "the searchset"),
        ("gpc.patient.read.valid", "the Patient"),
        (
            "gpc.allergies.structured-record.valid",
            "the allergies record",
        ),
        (
            "gpc.medications.structured-record.valid",
            "the medications record",
        ),
        (
            "gpc.problems.structured-record.valid",
            "the problems record",
        ),
        (
            "gpc.consultations.structured-record.valid",
            "the consultations record",
        ),
    ] {
        let c = check(&r, id);
        assert_eq!(c["status"], "pass", "{id}: {c}");
        assert!(
            c["message"].as_str().unwrap().starts_with(what),
            "{id}: {c}"
        );
    }
    let immunisations = check(&r, "gpc.immunisations.structured-record.valid");
    assert_eq!(immunisations["status"], "fail");
    let message = immunisations["message"].as_str().unwrap();
    assert!(
        message.starts_with("the immunisations record")
            && message.contains("Extension-CareConnect-VaccinationProcedure-1"),
        "{message}"
    );
}

#[test]
fn the_published_examples_defects_fail_validation() {
    let provider = GpConnectProvider::start_with(Some(GpcFault::PublishedDefects)).unwrap();
    let url = provider.base_url();
    let nhs = GpConnectProvider::STRUCTURED_NHS_NUMBER;
    let (r, _) = probe_json(&[&url, "--profile", "gp-connect", "--nhs-number", nhs]);
    // The contract holds; the payloads do not.
    assert_eq!(status(&r, "gpc.patient.read"), "pass");
    let read = check(&r, "gpc.patient.read.valid");
    assert_eq!(read["status"], "fail", "{read}");
    assert!(
        read["message"]
            .as_str()
            .unwrap()
            .contains("CareConnect-NHSNumberVerificationStatus-1 required for"),
        "{read}"
    );
    let find = check(&r, "gpc.patient.find.valid");
    assert!(
        find["message"]
            .as_str()
            .unwrap()
            .contains("[bundle-fullurl]"),
        "{find}"
    );
}

#[test]
fn a_bad_nhs_number_is_a_usage_error() {
    let out = probe(&[
        "http://127.0.0.1:9/B82617/STU3/1/gpconnect",
        "--profile",
        "gp-connect",
        "--nhs-number",
        "12345",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("'12345' is not ten digits"));
}

#[test]
fn an_unreachable_provider_is_an_infrastructure_failure() {
    let out = probe(&[
        "http://127.0.0.1:9/B82617/STU3/1/gpconnect",
        "--profile",
        "gp-connect",
        "--timeout",
        "2s",
        "--no-validate",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    assert!(common::stdout(&out).is_empty());
    assert!(!common::stderr(&out).contains(JWT_HEADER));
}
