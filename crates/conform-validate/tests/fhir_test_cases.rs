//! Agreement with the HL7 Java validator on HL7's own test cases
//! (`fhir-test-cases`): each case's run, plus its run against a profile
//! where the case has one (named `case#profile`), with the options the
//! case's manifest entry gives.
//!
//! - `base` tier: prints a table of every case, then checks valid/invalid
//!   agreement of at least 98% and equal error counts on at least 92% of
//!   the runs (issue 13's bar), and that every disagreement is in the
//!   committed list of known differences (each with a reason), which may
//!   only shrink: a listed case that now agrees fails the test until it is
//!   removed from the list.
//! - `terminology` tier: the cases that need code systems or a server.
//!   Those whose systems are all in the loaded packages (R4 core and HL7
//!   Terminology) and whose expected outcome holds no server messages are
//!   decided offline and measured; the rest are listed with the reason.

mod common;

use common::test_cases::{self, CaseRun, Input};
use conform_packages::PackageSpec;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct KnownList {
    #[serde(default)]
    case: Vec<KnownCase>,
}

#[derive(Deserialize)]
struct KnownCase {
    name: String,
    reason: String,
}

fn r4_core() -> PackageSpec {
    PackageSpec::parse("hl7.fhir.r4.core#4.0.1").expect("spec")
}

#[test]
fn agrees_with_the_reference_validator_on_base_cases() {
    base_tier(
        Input::Json,
        include_str!("data/fhir-test-cases-known-differences.toml"),
        98.0,
        92.0,
    );
}

/// The XML cases: the same runs on the XML input, against the reference's
/// outcomes for XML. Every disagreement must be one the same resource read
/// into JSON has too (or be listed): the XML reading adds none.
#[test]
fn agrees_with_the_reference_validator_on_base_xml_cases() {
    base_tier(
        Input::Xml,
        include_str!("data/fhir-test-cases-xml-known-differences.toml"),
        XML_AGREEMENT_FLOOR,
        XML_EQUAL_FLOOR,
    );
}

/// On the base XML cases, as last measured (91.5% valid/invalid, 76.0%
/// equal error counts of 129 runs); they may only rise.
const XML_AGREEMENT_FLOOR: f64 = 96.5;
const XML_EQUAL_FLOOR: f64 = 86.5;

/// Runs every base case of one manifest, prints the table, and checks the
/// floors and the list of known differences (`known`, TOML).
fn base_tier(input: Input, known: &str, agreement_floor: f64, equal_floor: f64) {
    let known: KnownList = toml::from_str(known).expect("known list parses");
    let known: BTreeMap<String, String> =
        known.case.into_iter().map(|k| (k.name, k.reason)).collect();

    let runs: Vec<CaseRun> = test_cases::cases(input, "base")
        .iter()
        .flat_map(|case| test_cases::run(case, common::r4(), &[r4_core()]))
        .collect();
    let (pct, equal) = test_cases::print(&format!("base cases ({input:?} input)"), &runs);

    let mut problems = Vec::new();
    for o in &runs {
        // An XML case may only disagree where its JSON form does too (a
        // gap of the JSON walk, which the JSON cases' list and floors
        // track), unless listed.
        let counts = o.json_form_errors.is_none() || o.xml_specific();
        match (o.agrees() || !counts, known.get(&o.name)) {
            (false, None) => problems.push(format!("{}: expected {} errors, found {} ({}) and it is not a known difference", o.name, o.expected_errors, o.errors, o.first)),
            (true, Some(reason)) => problems.push(format!("{}: listed as a known difference ({reason}) but now agrees: remove it from the list", o.name)),
            _ => {}
        }
    }
    for name in known.keys() {
        if !runs.iter().any(|o| &o.name == name) {
            problems.push(format!(
                "{name}: listed as a known difference but is not a base case"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        pct >= agreement_floor,
        "valid/invalid agreement {pct:.1}% is below the {agreement_floor}% floor"
    );
    assert!(
        equal >= equal_floor,
        "equal error counts {equal:.1}% are below the {equal_floor}% floor"
    );
}

#[test]
fn terminology_cases_decided_offline() {
    let specs = [
        r4_core(),
        PackageSpec::parse("hl7.terminology.r4#7.0.1").expect("spec"),
    ];
    let (base, _) = common::load(&specs);
    let held = held_code_systems(&base);

    let mut runs = Vec::new();
    let mut undecided: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let cases = test_cases::cases(Input::Json, "terminology");
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default().to_string();
        let terminology = &case["terminology"];
        // The case's own supporting files may define some of them.
        let own = test_cases::supporting(case)
            .into_iter()
            .filter(|r| r["resourceType"] == "CodeSystem")
            .filter_map(|r| r["url"].as_str().map(str::to_string))
            .collect::<BTreeSet<_>>();
        let missing: Vec<String> = terminology["externalSystems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .filter(|s| !held.contains(*s) && !own.contains(*s))
            .map(str::to_string)
            .collect();
        let server = terminology["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x == "server-issues-in-expected"));
        let why = if !missing.is_empty() {
            Some(format!("needs {}", missing.join(", ")))
        } else if server {
            Some("the expected outcome holds a terminology server's messages".into())
        } else {
            None
        };
        match why {
            Some(why) => undecided.entry(why).or_default().push(name),
            None => runs.extend(test_cases::run(case, &base, &specs)),
        }
    }
    let (pct, _) = test_cases::print("terminology cases decided offline", &runs);
    let left = print_undecided(
        "terminology cases not decided offline",
        &undecided,
        cases.len(),
    );
    assert_eq!(
        left + runs
            .iter()
            .filter(|r| !r.name.ends_with("#profile"))
            .count(),
        cases.len(),
        "every terminology case is either decided or listed"
    );
    assert!(
        !runs.is_empty(),
        "no terminology case could be decided offline"
    );
    assert!(
        pct >= TERMINOLOGY_FLOOR,
        "offline agreement on terminology cases {pct:.1}% fell below {TERMINOLOGY_FLOOR}%"
    );
}

/// The terminology tier again, with a terminology server: the stand-in
/// (`conform_peers::TxServer`) serving R4 core and HL7 Terminology, as the
/// reference's set-up loads them, and our SNOMED CT test subset. A case is
/// run when every code system it needs is held by the packages or by the
/// server, and every SNOMED CT concept it uses is in the subset (the
/// server cannot answer for others: it would call them invalid); the rest
/// are listed with the reason. Printed beside the same runs offline.
#[test]
fn terminology_cases_with_the_test_terminology_server() {
    let specs = [
        r4_core(),
        PackageSpec::parse("hl7.terminology.r4#7.0.1").expect("spec"),
    ];
    let packages = conform_testdata::packages_dir();
    let server = conform_peers::TxServer::start(
        conform_peers::TxServerOptions::default()
            .package(packages.join("hl7.fhir.r4.core-4.0.1.tgz"))
            .package(packages.join("hl7.terminology.r4-7.0.1.tgz")),
    )
    .expect("terminology server");
    let cache = tempfile::tempdir().expect("temp dir");
    let checker = std::sync::Arc::new(
        conform_terminology::Terminology::new(
            conform_terminology::TxConfig {
                url: Some(server.base_url()),
                ..Default::default()
            },
            Some(cache.path()),
        )
        .expect("terminology client"),
    );
    let server_systems: BTreeSet<String> = checker
        .server_info()
        .expect("the server describes itself")
        .code_systems
        .keys()
        .cloned()
        .collect();
    let subset: BTreeSet<String> = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(
            conform_testdata::workspace_root().join("fixtures/terminology/snomed-ct-test.json"),
        )
        .expect("SNOMED CT test subset"),
    )
    .expect("JSON")["concept"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str().map(str::to_string))
        .collect();
    let (base, _) = common::load(&specs);
    let held = held_code_systems(&base);
    let (mut online, mut offline) = (Vec::new(), Vec::new());
    let mut undecided: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let cases = test_cases::cases(Input::Json, "terminology");
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default().to_string();
        let own: BTreeSet<String> = test_cases::supporting(case)
            .into_iter()
            .filter(|r| r["resourceType"] == "CodeSystem")
            .filter_map(|r| r["url"].as_str().map(str::to_string))
            .collect();
        let missing: Vec<String> = case["terminology"]["externalSystems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .filter(|s| !held.contains(*s) && !own.contains(*s) && !server_systems.contains(*s))
            .map(str::to_string)
            .collect();
        let mut concepts = BTreeSet::new();
        let file = conform_testdata::path("fhir-test-cases")
            .join(case["file"].as_str().unwrap_or_default());
        if let Some(v) = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            snomed_codes(&v, &mut concepts);
        }
        let unknown: Vec<&String> = concepts.iter().filter(|c| !subset.contains(*c)).collect();
        let why = if !missing.is_empty() {
            Some(format!(
                "needs {} (held by neither the packages nor the test server)",
                missing.join(", ")
            ))
        } else if !unknown.is_empty() {
            Some("uses SNOMED CT concepts the test server does not hold".to_string())
        } else {
            None
        };
        match why {
            Some(why) => undecided.entry(why).or_default().push(name),
            None => {
                let checker: std::sync::Arc<dyn conform_validate::CodeChecker> = checker.clone();
                online.extend(test_cases::run_with(case, &base, &specs, Some(checker)));
                offline.extend(test_cases::run(case, &base, &specs));
            }
        }
    }
    let (pct, _) = test_cases::print(
        "terminology cases with the test terminology server",
        &online,
    );
    let (offline_pct, _) = test_cases::print("the same terminology cases offline", &offline);
    print_undecided(
        "terminology cases not run with the server",
        &undecided,
        cases.len(),
    );
    println!(
        "terminology tier: {pct:.1}% with the test server, {offline_pct:.1}% offline, on {} runs; questions: {:?}",
        online.len(),
        checker.stats()
    );
    assert!(checker.stats().asked > 0, "no question reached the server");
    assert!(
        pct >= TERMINOLOGY_SERVER_FLOOR,
        "agreement on terminology cases with the server {pct:.1}% fell below {TERMINOLOGY_SERVER_FLOOR}%"
    );
}

/// The code systems the loaded packages hold.
fn held_code_systems(base: &conform_validate::Validator) -> BTreeSet<String> {
    base.plans()
        .context
        .iter()
        .filter(|r| r.resource_type == "CodeSystem")
        .map(|r| r.url.clone())
        .collect()
}

/// Prints the cases left out, by reason; how many.
fn print_undecided(title: &str, undecided: &BTreeMap<String, Vec<String>>, total: usize) -> usize {
    let left: usize = undecided.values().map(Vec::len).sum();
    println!("{title}: {left} of {total}");
    for (why, names) in undecided {
        println!("  {} ({}): {}", why, names.len(), names.join(", "));
    }
    left
}

/// Every SNOMED CT code of a resource.
fn snomed_codes(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("system").and_then(|s| s.as_str()) == Some("http://snomed.info/sct") {
                if let Some(c) = m.get("code").and_then(|c| c.as_str()) {
                    out.insert(c.to_string());
                }
            }
            m.values().for_each(|x| snomed_codes(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| snomed_codes(x, out)),
        _ => {}
    }
}

/// Agreement with the test terminology server, as last measured (78.6%,
/// 22 of 28 runs; the same runs offline: 75.0%); it may only rise. Most
/// misses are SNOMED CT codes the stand-in does not hold and ValueSet
/// expansion parameters.
const TERMINOLOGY_SERVER_FLOOR: f64 = 92.5;

/// Offline valid/invalid agreement on the decidable terminology cases, as
/// last measured (74.2%, 23 of 31; it may only rise). Most misses are
/// codes of systems no package holds (SNOMED CT) and ValueSet expansion
/// parameters.
const TERMINOLOGY_FLOOR: f64 = 93.0;
