//! The scenario renderers on a hand-made run: text is stable and says why,
//! JUnit and HTML escape what servers and authors write, the TestReport
//! places setup, tests and teardown, JSON carries the schema name, SARIF
//! places each assertion at its scenario and step; and every format is
//! pinned by a snapshot.

use conform_outcome::scenario::{
    ExchangeRecord, HttpRecord, Phase, RunResult, ScenarioIdentity, ScenarioResult, StepResult,
    Tool, SCHEMA,
};
use conform_outcome::{Location, Outcome, Requirement, Status};
use conform_writers::scenario::{render, FORMATS};
use conform_writers::Format;
use std::collections::BTreeMap;

/// A step whose assertions are located as the runner locates them.
fn step(id: &str, phase: Phase, status: Status, mut assertions: Vec<Outcome>) -> StepResult {
    for a in &mut assertions {
        a.location = Location {
            scenario: Some("x<1>".into()),
            step: Some(id.into()),
            region: Some("region-a".into()),
            ..Location::default()
        };
    }
    StepResult {
        id: id.into(),
        name: format!("{id} <b>&"),
        phase,
        group: None,
        region: "region-a".into(),
        writes: false,
        status,
        reason: (status != Status::Pass).then(|| format!("{id} went wrong <here>")),
        duration_ms: 3,
        attempts: 1,
        assertions,
        captures: BTreeMap::new(),
        exchange: Some(ExchangeRecord {
            request: HttpRecord {
                method: Some("GET".into()),
                url: Some("http://h/fhir/Patient?a=1&b=<2>".into()),
                status: None,
                headers: vec![],
                body: None,
            },
            response: Some(HttpRecord {
                method: None,
                url: None,
                status: Some(404),
                headers: vec![],
                body: Some("<script>alert(1)</script>".into()),
            }),
            curl: "curl -sS 'http://h/fhir/Patient?a=1&b=<2>'".into(),
        }),
    }
}

fn assertion(id: &str, status: Status, requirement: Requirement) -> Outcome {
    Outcome::check(id, requirement, status, format!("{id} said <no> & \"why\""))
        .with_verifies(vec!["REQ-1".into()])
}

fn run() -> RunResult {
    let steps = vec![
        step(
            "seed",
            Phase::Setup,
            Status::Pass,
            vec![assertion("status", Status::Pass, Requirement::Shall)],
        ),
        step(
            "read",
            Phase::Test,
            Status::Fail,
            vec![
                assertion("status", Status::Fail, Requirement::Shall),
                assertion("etag", Status::Warn, Requirement::Should),
            ],
        ),
        step("after", Phase::Test, Status::Skip, vec![]),
        step("clean", Phase::Teardown, Status::Pass, vec![]),
    ];
    let sc = ScenarioResult {
        identity: ScenarioIdentity {
            id: "x<1>".into(),
            title: "Title <script>".into(),
            source: "x.yaml".into(),
            requirements: vec!["S1".into()],
            regions: vec!["region-a".into()],
            ..ScenarioIdentity::default()
        },
        status: Status::Fail,
        reason: Some("test step 'read': status: expected 200, got 404".into()),
        duration_ms: 10,
        unsupported: vec![],
        steps,
    };
    let scenarios = vec![sc];
    RunResult {
        schema: SCHEMA.into(),
        tool: Tool {
            name: "conform".into(),
            version: "0".into(),
        },
        started: "2026-11-29T10:00:00Z".parse().unwrap(),
        duration_ms: 12,
        allow_writes: false,
        regions: vec![],
        summary: RunResult::summarise(&scenarios),
        scenarios,
        must_support: None,
    }
}

#[test]
fn every_format_renders_and_escapes() {
    let r = run();
    assert_eq!(
        (
            r.summary.failed,
            r.summary.failed_assertions,
            r.summary.warnings
        ),
        (1, 1, 1)
    );
    let text = render(&r, Format::Text);
    assert!(text.starts_with("conform scenario run: 1 scenario: 0 passed, 1 failed, 0 skipped (4 steps, 3 assertions: 1 failed, 1 warnings)\n"), "{text}");
    assert!(
        text.contains("          FAIL SHALL status: status said <no> & \"why\" [REQ-1]\n"),
        "{text}"
    );
    assert!(text.contains("          WARN SHOULD etag:"), "{text}");
    assert!(
        text.contains("          after went wrong <here>\n"),
        "{text}"
    );
    assert!(text.contains("          replay: curl -sS"), "{text}");

    let junit = render(&r, Format::Junit);
    let doc = junit_counts(&junit);
    assert_eq!(doc.0, 4, "one testcase per step");
    assert_eq!(doc.1, 1, "one failure");
    assert_eq!(doc.2, 1, "one skipped");

    let html = render(&r, Format::Html);
    assert!(
        !html.contains("<script>"),
        "HTML escapes server bodies and titles"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "nothing fetched"
    );

    let tr: serde_json::Value = serde_json::from_str(&render(&r, Format::TestReport)).unwrap();
    let t = &tr["entry"][0]["resource"];
    assert_eq!(t["resourceType"], "TestReport");
    assert_eq!(t["result"], "fail");
    assert_eq!(
        t["setup"]["action"].as_array().unwrap().len(),
        2,
        "operation + assert"
    );
    assert_eq!(t["test"].as_array().unwrap().len(), 2, "one test per step");
    assert_eq!(t["test"][0]["action"][1]["assert"]["result"], "fail");
    assert_eq!(t["test"][0]["action"][2]["assert"]["result"], "warning");
    assert_eq!(t["test"][1]["action"][0]["operation"]["result"], "skip");
    assert!(t["teardown"]["action"][0].get("assert").is_none());

    let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
    assert_eq!(json["schema"], "conform.scenario/2");
    assert_eq!(json["started"], "2026-11-29T10:00:00Z");
    assert_eq!(
        json["scenarios"][0]["steps"][1]["assertions"][1]["status"],
        "warn"
    );
    let back: RunResult = serde_json::from_value(json).unwrap();
    assert_eq!(back, r, "the document reads back as written");
}

#[test]
fn a_step_with_no_response_is_an_error_and_only_that_makes_a_run_unreachable() {
    let mut r = run();
    assert!(!r.only_unreachable(), "an assertion failed");
    let unanswered = Outcome::check(
        "request",
        Requirement::Shall,
        Status::Error,
        "no response from region-a: connection refused",
    );
    r.scenarios[0].steps[1] = step("read", Phase::Test, Status::Error, vec![unanswered]);
    r.summary = RunResult::summarise(&r.scenarios);
    assert_eq!((r.summary.failed, r.summary.failed_assertions), (1, 1));
    assert!(r.only_unreachable());
    let junit = render(&r, Format::Junit);
    assert_eq!(junit.matches("<error ").count(), 1, "{junit}");
    let text = render(&r, Format::Text);
    assert!(text.contains("ERROR SHALL request: no response"), "{text}");
}

/// Each format of the run as written, so a change to a renderer is a diff
/// to review. Only the TestReport's entry ids (random UUIDs) and the
/// version in SARIF are masked.
#[test]
fn each_format_as_written() {
    let r = run();
    for &format in FORMATS {
        let written =
            mask_uuids(&render(&r, format)).replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(format.name(), written);
    }
}

#[test]
fn sarif_places_each_failed_assertion_at_its_scenario_and_step() {
    let sarif: serde_json::Value = serde_json::from_str(&render(&run(), Format::Sarif)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let placed: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        placed,
        vec![
            ("status", "error", "x<1>/read"),
            ("etag", "warning", "x<1>/read")
        ],
        "passes are not results"
    );
    assert_eq!(results[0]["properties"]["requirement"], "SHALL");
    assert_eq!(results[0]["properties"]["region"], "region-a");
}

/// `urn:uuid:` followed by a UUID, as `urn:uuid:[UUID]`.
fn mask_uuids(text: &str) -> String {
    const PREFIX: &str = "urn:uuid:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        let after = i + PREFIX.len();
        out.push_str(&rest[..after]);
        out.push_str("[UUID]");
        rest = &rest[(after + 36).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// (testcases, failures, skipped) of a JUnit document, which must parse.
fn junit_counts(xml: &str) -> (usize, usize, usize) {
    let count = |tag: &str| xml.matches(&format!("<{tag}")).count();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(count("testsuite "), 1);
    assert!(
        !xml.contains("<2>") && !xml.contains("<no>"),
        "escaped: {xml}"
    );
    (count("testcase "), count("failure "), count("skipped "))
}
