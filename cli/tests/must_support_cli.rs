//! `conform validate --must-support`: per profile, how many of the payloads
//! populated each Must-Support element, in JSON and text; the shards of a
//! run merged give the unsharded run's tallies (counts add).

mod common;

use common::{run, stderr, stdout};
use serde_json::Value;

const PAYLOADS: &str = "fixtures/evidence/south-downs/payloads";

fn validate(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["validate", "--pack", "uk-core", "--must-support"];
    args.extend_from_slice(extra);
    run(&args)
}

fn element(profile: &Value, id: &str) -> u64 {
    profile["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {profile}"))["populated"]
        .as_u64()
        .unwrap()
}

#[test]
fn counts_per_profile_on_the_fixture_payloads() {
    let out = validate(&["-f", "json", PAYLOADS]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_follows_schema(&doc, "conform.validate-1.schema.json");
    let profiles = doc["must_support"]["profiles"].as_array().unwrap();
    // Sorted by URL; DocumentReference has no UK Core STU2 profile.
    let names: Vec<&str> = profiles
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["UKCoreEncounter", "UKCoreObservation"]);
    let (enc, obs) = (&profiles[0], &profiles[1]);
    assert_eq!(enc["instances"], 5);
    assert_eq!(enc["elements"].as_array().unwrap().len(), 7);
    assert_eq!(element(enc, "Encounter.status"), 5);
    assert_eq!(element(enc, "Encounter.class"), 5);
    assert_eq!(element(enc, "Encounter.identifier"), 0);
    assert_eq!(element(enc, "Encounter.participant"), 0);
    assert_eq!(obs["instances"], 7);
    assert_eq!(element(obs, "Observation.value[x]"), 7);
    assert_eq!(element(obs, "Observation.component"), 0);

    let text = stdout(&validate(&[PAYLOADS]));
    assert!(
        text.contains("UKCoreEncounter: 3 of 7 Must-Support elements populated (42.9%) in 5 instances; never populated: Encounter.identifier, Encounter.participant, Encounter.reasonCode, Encounter.reasonReference [must-support-population]"),
        "{text}"
    );
    assert!(text.contains("UKCoreObservation: 7 of 8 Must-Support elements populated (87.5%) in 7 instances; never populated: Observation.component"), "{text}");

    // Not asked for: no tally in the document.
    let plain = run(&["validate", "--pack", "uk-core", "-f", "json", PAYLOADS]);
    let plain: Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(plain.get("must_support").is_none());
}

#[test]
fn merged_shards_add_up_to_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let whole: Value = serde_json::from_slice(&validate(&["-f", "json", PAYLOADS]).stdout).unwrap();
    let mut shards = Vec::new();
    for k in 1..=3 {
        let out = dir.path().join(format!("shard-{k}.json"));
        let shard = format!("{k}/3");
        let o = validate(&[
            "--shard",
            &shard,
            "-f",
            "json",
            "-o",
            out.to_str().unwrap(),
            PAYLOADS,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        // Each shard saw part of the instances.
        let seen: u64 = doc["must_support"]["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["instances"].as_u64().unwrap())
            .sum();
        assert!(seen > 0 && seen < 12, "shard {k}: {seen}");
        shards.push(out.display().to_string());
    }
    let mut args = vec!["report", "merge", "-f", "json"];
    args.extend(shards.iter().map(String::as_str));
    let merged = run(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let merged: Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(merged["must_support"], whole["must_support"]);
    assert_eq!(merged["files"], whole["files"]);

    // Rendered as text, the merged report's section is the whole run's.
    args[3] = "text";
    let section = |t: &str| {
        t.lines()
            .skip_while(|l| !l.starts_with("Must-Support population"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let merged_text = stdout(&run(&args));
    let whole_text = stdout(&validate(&[PAYLOADS]));
    assert!(!section(&whole_text).is_empty());
    assert_eq!(section(&merged_text), section(&whole_text));
}

/// `scenario run --must-support`: the bodies `validate:` checked are
/// tallied into the run's results (the same tally type as validate's).
#[test]
fn scenario_results_carry_the_tally_of_the_bodies_validated() {
    let peer = conform_peers::Sekmet::start().expect("SEKMET test peer");
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.yaml");
    std::fs::write(
        &regions,
        format!("regions:\n  - {{name: a, base_url: '{}'}}\n", peer.base_url),
    )
    .unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "id: s\nregions: [a]\nsteps:\n  - {name: read, on: a, request: {path: Patient/uk-core-ics-b-7}, expect: {status: 200, validate: [uk-core]}}\n",
    )
    .unwrap();
    let scenario = |extra: &[&str]| {
        let mut args = vec![
            "--pack",
            "uk-core",
            "scenario",
            "run",
            file.to_str().unwrap(),
            "--regions",
            regions.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = run(&args);
        let doc: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        assert_eq!(doc["summary"]["passed"], 1, "{doc}");
        doc
    };
    let doc = scenario(&["--must-support"]);
    common::assert_follows_schema(&doc, "conform.scenario-2.schema.json");
    let profiles = doc["must_support"]["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1, "{doc}");
    let patient = &profiles[0];
    assert_eq!(patient["name"], "UKCorePatient");
    assert_eq!(patient["instances"], 1);
    assert_eq!(element(patient, "Patient.identifier:nhsNumber.value"), 1);
    assert_eq!(element(patient, "Patient.telecom"), 0);
    assert!(scenario(&[]).get("must_support").is_none());
}

/// `must-support = true` in conform.toml's `[validate]` asks for it too.
#[test]
fn conform_toml_asks_for_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\npack = \"uk-core\"\nmust-support = true\n",
    )
    .unwrap();
    let payloads = common::root().join(PAYLOADS);
    let out = common::conform_in(
        dir.path(),
        &["validate", "-f", "json", payloads.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["must_support"]["profiles"][1]["instances"], 7, "{doc}");
}
