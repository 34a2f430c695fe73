//! S6 (NHS 111 to ED referral through BaRS) and S8 (next-step care
//! settings) of the cross-ICS kit against real peers: SEKMET instances
//! seeded with `conform seed` play PDS, NRL, DoS and the ODS API (the
//! directory) and the regions' ShCRs; the BaRS stand-in of conform-peers
//! plays the national proxy and the ED's receiver. Each scenario runs
//! green; then each broken seed, or each receiver breaking one rule, fails
//! the step that checks that rule, with a message saying why.

mod common;

use common::scenario::{
    first_failure, json_of, scenario, seed_file, step, Peers, ED_DOS_SERVICE_ID,
};
use conform_peers::{BarsFault, BarsReceiver};
use serde_json::{json, Value};

const S6: &str = "testkits/cross-ics/s6-bars-referral.yaml";
const S8: &str = "testkits/cross-ics/s8-next-step-settings.yaml";

/// One scenario file with writes allowed: its exit code and JSON results.
fn run(peers: &Peers, file: &str) -> (Option<i32>, Value) {
    let out = peers.run_kit(&[file], &["--allow-writes", "--format", "json"]);
    (out.status.code(), json_of(&out))
}

/// The first failed step of the one scenario in a failed run, and the
/// failed checks there.
fn failure(peers: &Peers, file: &str, id: &str) -> (String, Vec<(String, String)>) {
    let (code, r) = run(peers, file);
    assert_eq!(code, Some(1), "{r}");
    first_failure(scenario(&r, id))
}

/// Runs scenario `id` of `file`, which must fail first at step `at`, its check `check`
/// saying something that starts with `said`.
fn fails_at(peers: &Peers, (file, id): (&str, &str), at: &str, check: &str, said: &str) {
    let (step, failed) = failure(peers, file, id);
    assert_eq!(step, at, "{failed:?}");
    assert!(message(&failed, check).starts_with(said), "{failed:?}");
}

/// The failed check `rule` of a failure, by id; its message.
fn message<'a>(failed: &'a [(String, String)], rule: &str) -> &'a str {
    failed
        .iter()
        .find(|(id, _)| id == rule)
        .map(|(_, m)| m.as_str())
        .unwrap_or_else(|| panic!("no failed check {rule} in {failed:?}"))
}

/// The value of a recorded request header.
fn sent_header(step: &Value, name: &str) -> String {
    let headers = &step["exchange"]["request"]["headers"];
    let found = headers.as_array().unwrap().iter().find_map(|h| match h {
        Value::Array(kv) if kv[0] == name => kv[1].as_str(),
        Value::Object(o) if o.get("name") == Some(&json!(name)) => o["value"].as_str(),
        _ => None,
    });
    found
        .unwrap_or_else(|| panic!("no {name} in {headers}"))
        .to_string()
}

#[test]
fn s6_and_s8_run_green_and_each_broken_rule_fails_at_its_step() {
    let mut peers = Peers::start();
    peers.seed_all();
    s6_green_then_each_broken_rule(&mut peers);
    s8_green_then_each_broken_seed(&peers);
}

fn s6_green_then_each_broken_rule(peers: &mut Peers) {
    const ID: &str = "s6-bars-referral";
    let (code, r) = run(peers, S6);
    assert_eq!(code, Some(0), "{r}");
    let s6 = scenario(&r, ID);
    assert_eq!(s6["status"], "pass");
    // The DoS service id came from the directory and named the target:
    // base64 of the JSON identifier, as BaRS's proxy reads it.
    assert_eq!(
        step(s6, "s6-service-lookup")["captures"]["dos_service_id"],
        ED_DOS_SERVICE_ID
    );
    use base64::Engine;
    let target = sent_header(step(s6, "s6-receiver-metadata"), "NHSD-Target-Identifier");
    let decoded: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(target)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        decoded,
        json!({"system": "https://fhir.nhs.uk/Id/dos-service-id", "value": ED_DOS_SERVICE_ID})
    );
    // Every refusal was the receiver's, not a request it could not read.
    for id in [
        "s6-refuse-not-a-message",
        "s6-refuse-header-not-first",
        "s6-refuse-unresolved-focus",
        "s6-refuse-nhs-number-mismatch",
    ] {
        assert_eq!(
            step(s6, id)["exchange"]["response"]["status"],
            422,
            "{id}: {}",
            step(s6, id)["exchange"]["response"]
        );
    }
    assert_eq!(
        step(s6, "s6-refuse-unknown-target")["exchange"]["response"]["status"],
        404
    );

    // DoS has no BaRS endpoint for the ED.
    peers.delete("directory", "Endpoint/dos-rr8-bars");
    fails_at(
        peers,
        (S6, ID),
        "s6-service-lookup",
        "primary-recipient",
        "the ED has no active primary-recipient Endpoint with a DoS service id",
    );
    peers.put(
        "directory",
        &seed_file("directory/dos-endpoint-rr8-bars.json"),
    );

    // A receiver breaking one rule at a time.
    let cases = [
        (
            BarsFault::NoProcessMessage,
            "s6-receiver-metadata",
            "process-message",
            "the receiver's CapabilityStatement does not support $process-message",
        ),
        (
            BarsFault::LoseReferrals,
            "s6-receiver-search",
            "referral-found",
            "the receiver does not find the referral it accepted",
        ),
        (
            BarsFault::AcceptAnyBundleType,
            "s6-refuse-not-a-message",
            "error-outcome",
            "the receiver did not refuse the message",
        ),
        (
            BarsFault::AcceptHeaderNotFirst,
            "s6-refuse-header-not-first",
            "error-outcome",
            "the receiver did not refuse the message",
        ),
        (
            BarsFault::AcceptUnresolvedFocus,
            "s6-refuse-unresolved-focus",
            "error-outcome",
            "the receiver did not refuse the message",
        ),
        (
            BarsFault::AcceptNhsNumberMismatch,
            "s6-refuse-nhs-number-mismatch",
            "error-outcome",
            "the receiver did not refuse the message",
        ),
        (
            BarsFault::IgnoreTargetIdentifier,
            "s6-refuse-unknown-target",
            "error-outcome",
            "the proxy did not refuse the unknown target",
        ),
    ];
    assert_eq!(cases.len(), BarsFault::ALL.len(), "every fault is tried");
    for (fault, step_id, check, said) in cases {
        peers.bars = BarsReceiver::start_with(ED_DOS_SERVICE_ID, Some(fault)).unwrap();
        let (at, failed) = failure(peers, S6, ID);
        assert_eq!(at, step_id, "{fault:?}: {failed:?}");
        assert!(
            message(&failed, check).starts_with(said),
            "{fault:?}: {failed:?}"
        );
        if check == "error-outcome" {
            // The status said it first: accepted where a refusal was due.
            assert!(
                message(&failed, "status").contains("200"),
                "{fault:?}: {failed:?}"
            );
        }
    }
    peers.bars = BarsReceiver::start(ED_DOS_SERVICE_ID).unwrap();
}

fn s8_green_then_each_broken_seed(peers: &Peers) {
    const ID: &str = "s8-next-step-settings";
    let (code, r) = run(peers, S8);
    assert_eq!(code, Some(0), "{r}");
    let s8 = scenario(&r, ID);
    assert_eq!(s8["status"], "pass");
    // Every next-step setting of the register was resolved and fetched,
    // and its data validated for real.
    for setting in ["ambulance", "hospice", "social-care", "pharmacy"] {
        assert_eq!(step(s8, &format!("s8-{setting}-ods"))["status"], "pass");
        let data = step(s8, &format!("s8-{setting}-data"));
        let validate = data["assertions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == "validate.uk-core")
            .unwrap();
        assert_eq!(validate["message"], "valid against uk-core", "{setting}");
    }
    // The register's codes went into the ODS search, as an OR list.
    let ods_url = step(s8, "s8-hospice-ods")["exchange"]["request"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        ods_url.ends_with("Organization?identifier=HB001"),
        "{ods_url}"
    );
    // The ambulance consumer ran S1 and its audit record names it.
    assert_eq!(step(s8, "s8-consumer-retrieve")["status"], "pass");
    assert_eq!(step(s8, "s8-consumer-audit-readback")["status"], "pass");
    assert_eq!(step(s8, "s8-remove-audit")["status"], "pass");

    // A register organisation closed in ODS.
    let mut closed = seed_file("directory/ods-hb001.json");
    closed["active"] = json!(false);
    peers.put("directory", &closed);
    fails_at(
        peers,
        (S8, ID),
        "s8-hospice-ods",
        "all-active",
        "an organisation the register lists as hospice is closed (not active in ODS)",
    );
    peers.put("directory", &seed_file("directory/ods-hb001.json"));

    // A register organisation ODS does not know.
    peers.delete("directory", "Organization/ods-fb001");
    fails_at(
        peers,
        (S8, ID),
        "s8-pharmacy-ods",
        "all-known",
        "an organisation the register lists as pharmacy is unknown to ODS",
    );
    peers.put("directory", &seed_file("directory/ods-fb001.json"));

    // The hospice's plan recorded as written by the acute trust.
    let mut author = seed_file("region-b/b5-respect-hospice.json");
    author["author"]["identifier"]["value"] = json!("RR8");
    peers.put("region-b", &author);
    fails_at(
        peers,
        (S8, ID),
        "s8-hospice-data",
        "author-in-setting",
        "a resource's recorded author is not an organisation the register lists as hospice",
    );
    peers.put("region-b", &seed_file("region-b/b5-respect-hospice.json"));

    // The pharmacy contributes nothing.
    peers.delete("region-b", "MedicationDispense/b5-dispense-pharmacy");
    fails_at(peers, (S8, ID), "s8-pharmacy-data", "setting-contributes", "no MedicationDispense from the register's pharmacy organisations (provenance tag) for the patient");
    peers.put("region-b", &seed_file("region-b/b5-dispense-pharmacy.json"));

    // The ambulance's NEWS2 score is not valid FHIR.
    let mut invalid = seed_file("region-b/b5-news2-ambulance.json");
    invalid["status"] = json!("almost-final");
    peers.put("region-b", &invalid);
    let (at, failed) = failure(peers, S8, ID);
    assert_eq!(at, "s8-ambulance-data");
    assert!(
        message(&failed, "validate.uk-core").contains("almost-final"),
        "{failed:?}"
    );
    peers.put("region-b", &seed_file("region-b/b5-news2-ambulance.json"));

    // The consumer finds no summary pointer for the patient it attends.
    peers.delete("record-locator", "DocumentReference/RWA-ptr-9990010005");
    let (at, failed) = failure(peers, S8, ID);
    assert_eq!(at, "s8-consumer-locate");
    assert_eq!(
        message(&failed, "pointer-count"),
        "Bundle.entry: expected 1 item(s), got 0"
    );
    peers.put(
        "record-locator",
        &seed_file("record-locator/pointer-9990010005.json"),
    );

    // Restored: green again.
    let (code, r) = run(peers, S8);
    assert_eq!(code, Some(0), "{r}");
}
