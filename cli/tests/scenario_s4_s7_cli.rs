//! S4 (care plan retrieval through the SSP) and S7 (in-context launch) of
//! the cross-ICS kit against the peers: SEKMET seeded with `conform seed`,
//! the SSP document relay stand-in in front of region A's documents and the
//! launch endpoint stand-in over TLS. Each runs green; then each SHALL check
//! meets a broken seed or stand-in and fails at its step, saying why.

mod common;

use common::scenario::{
    first_failure, json_of, launch_endpoint, scenario, seed_file, step, Peers, REGIONS,
    REGION_A_ASID,
};
use conform_peers::{LaunchBehaviour, SspDocuments, SspFault};
use serde_json::{json, Value};

const S4: &str = "testkits/cross-ics/s4-care-plan-retrieval.yaml";
const S7: &str = "testkits/cross-ics/s7-in-context-launch.yaml";
const CRISIS_PLAN: &str = "record-locator/pointer-careplan-mhcp-9990010005.json";
const RESPECT: &str = "record-locator/pointer-careplan-respect-9990010005.json";

fn run(peers: &Peers, file: &str) -> Value {
    let out = peers.conform(&[
        "scenario",
        "run",
        file,
        "--regions",
        REGIONS,
        "--allow-writes",
        "--no-validate",
        "--format",
        "json",
    ]);
    json_of(&out)
}

/// Runs `file`; its scenario `id` fails first at `at`, on `rule`, with a
/// message starting `message`.
fn fails_at(peers: &Peers, file: &str, id: &str, at: &str, rule: &str, message: &str) {
    let r = run(peers, file);
    let s = scenario(&r, id);
    assert_eq!(s["status"], "fail", "{rule}: {s}");
    let (got_at, failed) = first_failure(s);
    assert_eq!(got_at, at, "{rule}: {failed:?}");
    let m = failed
        .iter()
        .find(|(r, _)| r == rule)
        .unwrap_or_else(|| panic!("{rule} did not fail at {at}: {failed:?}"));
    assert!(m.1.starts_with(message), "{rule}: {:?}", m.1);
    // Fail safe: nothing after the failed step ran.
    let later = s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .skip_while(|x| x["id"] != at)
        .skip(1)
        .filter(|x| x["phase"] == "test");
    for x in later {
        assert_eq!(x["status"], "skip", "{x}");
    }
}

/// A change that breaks a seeded pointer.
type Breakage = fn(&mut Value);

fn pointer_with(rel: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut p = seed_file(rel);
    edit(&mut p);
    p
}

#[test]
fn s4_and_s7_run_green_and_each_broken_rule_fails_at_its_step() {
    let mut peers = Peers::start();
    peers.seed_all();

    // Green: S4 read the PDF twice through the SSP, the bytes as promised.
    let r = run(&peers, S4);
    let s4 = scenario(&r, "s4-care-plan-retrieval");
    assert_eq!(s4["status"], "pass", "{s4}");
    assert_eq!(r["summary"]["warnings"], 0, "{s4}");
    let retrieve = step(s4, "s4-retrieve");
    let rules: Vec<(&str, &str)> = retrieve["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["rule"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("status", "pass"),
            ("body.content_type", "pass"),
            ("body.size", "pass"),
            ("body.sha1", "pass")
        ]
    );
    // The PDF is not in the evidence: its length and hash are.
    let body = retrieve["exchange"]["response"]["body"].as_str().unwrap();
    assert!(
        body.starts_with("[binary body not recorded: ") && body.contains("application/pdf"),
        "{body}"
    );
    assert!(!r.to_string().contains("%PDF"), "a PDF in the results");
    assert!(peers.ssp.hits() >= 2);
    assert_eq!(step(s4, "s4-audit-readback")["status"], "pass");
    // S7: the launch endpoint asked for sign-in, showing nothing.
    let r = run(&peers, S7);
    let s7 = scenario(&r, "s7-in-context-launch");
    assert_eq!(s7["status"], "pass", "{s7}");
    let launch = step(s7, "s7-launch-unauthenticated");
    assert_eq!(launch["exchange"]["response"]["status"], 401);
    // A redirect to sign-in is as good (and is not followed).
    peers.launch = launch_endpoint(LaunchBehaviour::RedirectToLogin);
    peers.put("record-locator", &peers.launch_pointer());
    let r = run(&peers, S7);
    let s7 = scenario(&r, "s7-in-context-launch");
    assert_eq!(s7["status"], "pass", "{s7}");
    assert_eq!(
        step(s7, "s7-launch-unauthenticated")["exchange"]["response"]["status"],
        302
    );

    s4_broken(&mut peers);
    s7_broken(&mut peers);
}

fn s4_broken(peers: &mut Peers) {
    let id = "s4-care-plan-retrieval";
    let fails = |peers: &Peers, at: &str, rule: &str, message: &str| {
        fails_at(peers, S4, id, at, rule, message)
    };
    // Each broken pointer, then the seed put back.
    let cases: [(&str, Breakage, &str, &str, &str); 6] = [
        (
            RESPECT,
            |p| p["type"]["coding"][0]["code"] = json!("824321000000109"),
            "s4-locate",
            "care-plan-types",
            "a pointer found under Care plan is not of an agreed care plan type",
        ),
        (
            RESPECT,
            |p| p["content"][0]["attachment"]["contentType"] = json!("text/html"),
            "s4-locate",
            "pdf-content",
            "a care plan pointer does not offer a PDF",
        ),
        (
            CRISIS_PLAN,
            |p| p["content"][0]["format"]["code"] = json!("urn:nhs-ic:structured"),
            "s4-locate",
            "unstructured-format",
            "a PDF is not marked urn:nhs-ic:unstructured",
        ),
        (
            CRISIS_PLAN,
            |p| {
                p["content"][0].as_object_mut().unwrap().remove("extension");
            },
            "s4-locate",
            "content-stability-given",
            "a pointer's content lacks the content-stability extension",
        ),
        (
            RESPECT,
            |p| p["status"] = json!("superseded"),
            "s4-locate",
            "pointers-for-this-patient",
            "not true:",
        ),
        (
            CRISIS_PLAN,
            |p| {
                p["context"].as_object_mut().unwrap().remove("related");
            },
            "s4-pointer",
            "retrieved-via-ssp",
            "the pointer gives no ASID (context.related) for the SSP's Ssp-To",
        ),
    ];
    for (file, edit, at, rule, message) in cases {
        peers.put("record-locator", &pointer_with(file, edit));
        fails(peers, at, rule, message);
        peers.put("record-locator", &seed_file(file));
    }
    // No care plan at all.
    for f in [CRISIS_PLAN, RESPECT] {
        let id = seed_file(f)["id"].as_str().unwrap().to_string();
        peers.delete("record-locator", &format!("DocumentReference/{id}"));
    }
    fails(
        peers,
        "s4-locate",
        "care-plans",
        "Bundle.entry: expected at least 1 item(s), got 0",
    );
    for f in [CRISIS_PLAN, RESPECT] {
        peers.put("record-locator", &seed_file(f));
    }
    // The pointer promises other bytes than the custodian holds.
    let size = seed_file(CRISIS_PLAN)["content"][0]["attachment"]["size"]
        .as_u64()
        .unwrap();
    peers.put(
        "record-locator",
        &pointer_with(CRISIS_PLAN, |p| {
            p["content"][0]["attachment"]["size"] = json!(size + 1)
        }),
    );
    fails(
        peers,
        "s4-retrieve",
        "body.size",
        &format!("the body's size in bytes is {size}, expected {}", size + 1),
    );
    // The pointer names another system's ASID: the SSP refuses the route.
    peers.put(
        "record-locator",
        &pointer_with(CRISIS_PLAN, |p| {
            p["context"]["related"][0]["identifier"]["value"] = json!("200000000999")
        }),
    );
    fails(
        peers,
        "s4-retrieve",
        "status",
        "expected status 200, got 403 (OperationOutcome: Ssp-To is not the custodian's ASID)",
    );
    peers.put("record-locator", &seed_file(CRISIS_PLAN));
    // Without size and hash the byte checks are skipped, never passed.
    peers.put(
        "record-locator",
        &pointer_with(CRISIS_PLAN, |p| {
            let a = p["content"][0]["attachment"].as_object_mut().unwrap();
            a.remove("size");
            a.remove("hash");
        }),
    );
    let r = run(peers, S4);
    let s4 = scenario(&r, id);
    assert_eq!(s4["status"], "pass", "{s4}");
    let skipped: Vec<&str> = step(s4, "s4-retrieve")["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "skip")
        .map(|a| a["rule"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["body.size", "body.sha1"]);
    let warned: Vec<&str> = step(s4, "s4-pointer")["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "fail" || a["status"] == "warn")
        .map(|a| a["rule"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["size-and-hash-given"], "{s4}");
    peers.put("record-locator", &seed_file(CRISIS_PLAN));

    // The SSP breaking one promise at a time.
    let custodian = peers.a.base_url.clone();
    let relay = |fault| SspDocuments::start_with(&custodian, REGION_A_ASID, Some(fault)).unwrap();
    peers.ssp = relay(SspFault::AlteredBytes);
    fails(
        peers,
        "s4-retrieve",
        "body.sha1",
        "the body's SHA-1 (base64) is ",
    );
    peers.ssp = relay(SspFault::WrongContentType);
    fails(
        peers,
        "s4-retrieve",
        "body.content_type",
        "expected Content-Type application/pdf, got application/octet-stream",
    );
    // A static document that reads differently the second time: a warning
    // (SHOULD), the scenario passes.
    peers.ssp = relay(SspFault::ChangingBytes);
    let r = run(peers, S4);
    let s4 = scenario(&r, id);
    assert_eq!(s4["status"], "pass", "{s4}");
    let again = step(s4, "s4-retrieve-again");
    let sha = again["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "body.sha1")
        .unwrap();
    assert_eq!(sha["requirement"], "SHOULD");
    assert_ne!(sha["status"], "pass", "{sha}");
    assert!(
        sha["message"]
            .as_str()
            .unwrap()
            .starts_with("the body's SHA-1"),
        "{sha}"
    );
    peers.ssp = SspDocuments::start(&custodian, REGION_A_ASID).unwrap();
}

fn s7_broken(peers: &mut Peers) {
    let id = "s7-in-context-launch";
    peers.launch = launch_endpoint(LaunchBehaviour::Challenge);
    let launch = peers.launch_pointer();
    let cases: [(Breakage, &str, &str); 4] = [
        (
            |p| {
                let url = p["content"][0]["attachment"]["url"].as_str().unwrap();
                p["content"][0]["attachment"]["url"] = json!(url.replace("https://", "http://"))
            },
            "url-https",
            "the launch URL is not https",
        ),
        (
            |p| p["custodian"]["identifier"]["value"] = json!("RV9"),
            "custodian-is-home-shcr",
            "the launch pointer's custodian is not the home ShCR's organisation",
        ),
        (
            |p| p["content"][0]["attachment"]["contentType"] = json!("application/pdf"),
            "launch-content-type",
            "the launch pointer does not point to a web page",
        ),
        (
            |p| {
                p["content"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] =
                    json!("static")
            },
            "stability-dynamic",
            "a launched record is live, but the pointer does not say content stability dynamic",
        ),
    ];
    for (edit, rule, message) in cases {
        let mut p = launch.clone();
        edit(&mut p);
        peers.put("record-locator", &p);
        fails_at(peers, S7, id, "s7-pointer", rule, message);
    }
    peers.delete(
        "record-locator",
        "DocumentReference/RWA-ptr-launch-9990010005",
    );
    fails_at(
        peers,
        S7,
        id,
        "s7-pointer",
        "launch-pointer",
        "Bundle.entry: expected at least 1 item(s), got 0",
    );
    peers.put("record-locator", &launch);

    // Gating: patient data to a caller without credentials.
    peers.launch = launch_endpoint(LaunchBehaviour::OpenToAnyone);
    peers.put("record-locator", &peers.launch_pointer());
    fails_at(
        peers,
        S7,
        id,
        "s7-launch-unauthenticated",
        "status",
        "expected status 401 or 302 or 303 or 307, got 200",
    );
    fails_at(
        peers,
        S7,
        id,
        "s7-launch-unauthenticated",
        "body.not_contains",
        "the body holds what it must not: ",
    );
    // A 401 is not enough when its page shows the patient.
    peers.launch = launch_endpoint(LaunchBehaviour::LeakyChallenge);
    peers.put("record-locator", &peers.launch_pointer());
    let r = run(peers, S7);
    let (at, failed) = first_failure(scenario(&r, id));
    assert_eq!(at, "s7-launch-unauthenticated");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "body.not_contains");
    peers.launch = launch_endpoint(LaunchBehaviour::Challenge);
    peers.put("record-locator", &peers.launch_pointer());
}
