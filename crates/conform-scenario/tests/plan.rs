//! Compiling scenarios: includes with typed parameters, matrix expansion,
//! checks spelled out, and the mistakes caught before anything is sent.

use conform_scenario::load::Bindings;
use conform_scenario::plan::{Body, Capture, CheckKind, Selector};
use conform_scenario::{load_plan, Plan};
use std::path::PathBuf;

fn root() -> PathBuf {
    conform_testdata::workspace_root()
}

fn kit() -> Plan {
    load_plan(&[root().join("testkits/cross-ics")], &Bindings::new()).expect("kit loads")
}

fn load_text(yaml: &str) -> Result<Plan, String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.yaml");
    std::fs::write(&f, yaml).unwrap();
    load_plan(&[f], &Bindings::new()).map_err(|e| e.message)
}

#[test]
fn the_kit_compiles_with_includes_and_a_matrix() {
    let plan = kit();
    let ids: Vec<&str> = plan
        .scenarios
        .iter()
        .map(|s| s.identity.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "s1-out-of-area-ae",
            "s2-pointer-lifecycle",
            "s3-gp-record-out-of-area",
            "s4-care-plan-retrieval",
            "s5-identity-edge-cases",
            "s6-bars-referral",
            "s7-in-context-launch",
            "s8-next-step-settings",
            "s9-neighbour-query[home=region-a]",
            "s9-neighbour-query[home=region-b]"
        ]
    );
    // A fragment's parameters inside a run-time variable's name: S8 reads
    // the register's organisations of each setting.
    let s8 = plan
        .scenarios
        .iter()
        .find(|s| s.identity.id == "s8-next-step-settings")
        .unwrap();
    let ods = s8.steps.iter().find(|s| s.id == "s8-hospice-ods").unwrap();
    assert_eq!(
        ods.params,
        [(
            "identifier".to_string(),
            "${register.region-b.hospice}".to_string()
        )]
    );
    // S6's target header: JSON with a variable, sent base64-encoded.
    let s6 = &plan.scenarios[5];
    let metadata = s6
        .steps
        .iter()
        .find(|s| s.id == "s6-receiver-metadata")
        .unwrap();
    assert!(matches!(
        &metadata.headers[..],
        [(name, conform_scenario::plan::HeaderValue::Base64(v))]
            if name == "NHSD-Target-Identifier" && v["value"] == "${dos_service_id}"
    ));
    // The fragment's steps, with the include's parameters (typed: a count).
    let s1 = &plan.scenarios[0];
    assert_eq!(s1.steps[0].id, "s1-trace");
    assert_eq!(s1.steps[0].path, "Patient/${nhs}");
    let locate = &s1.steps[1];
    assert_eq!(locate.id, "s1-locate");
    let count = locate
        .checks
        .iter()
        .find(|c| c.id == "pointer-count")
        .unwrap();
    assert!(
        matches!(
            count.kind,
            CheckKind::Count {
                min: Some(1),
                max: Some(1),
                ..
            }
        ),
        "{count:?}"
    );
    let s2 = &plan.scenarios[1];
    let count = s2.steps[1]
        .checks
        .iter()
        .find(|c| c.id == "pointer-count")
        .unwrap();
    assert!(matches!(
        count.kind,
        CheckKind::Count {
            min: Some(0),
            max: Some(0),
            ..
        }
    ));
    assert!(
        matches!(&s2.steps[2].body, Some(Body::Fixture { name, set }) if name == "pointer" && set.len() == 5)
    );
    let by_id = |id: &str| plan.scenarios.iter().find(|s| s.identity.id == id).unwrap();
    assert!(s2.writes() && !by_id("s5-identity-edge-cases").writes());
    // S3: its GP Connect calls carry their interaction; reading the
    // structured record is a POST that writes nothing, and only the audit
    // step writes.
    let s3 = &plan.scenarios[2];
    let record = s3.steps.iter().find(|s| s.id == "s3-record").unwrap();
    assert_eq!(
        record.gp_connect.as_ref().map(|c| c.interaction.as_str()),
        Some("urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1")
    );
    assert!(!record.writes);
    let writing: Vec<&str> = s3
        .steps
        .iter()
        .filter(|s| s.writes)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(writing, ["s3-audit"]);
    // The matrix binds the region each instance talks to.
    let s9 = plan
        .scenarios
        .iter()
        .filter(|s| s.identity.id.starts_with("s9-"));
    for (s, region) in s9.zip(["region-a", "region-b"]) {
        assert_eq!(s.identity.regions, [region]);
        assert!(s.steps.iter().all(|st| st.on == region));
        assert_eq!(s.identity.matrix["home"]["region"], region);
    }
    // S4 checks the PDF's bytes; S7 calls the launch as a stranger would.
    let retrieve = by_id("s4-care-plan-retrieval")
        .steps
        .iter()
        .find(|s| s.id == "s4-retrieve")
        .unwrap();
    let rules: Vec<&str> = retrieve.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        rules,
        ["status", "body.content_type", "body.size", "body.sha1"]
    );
    assert!(!retrieve.anonymous && !retrieve.stop_at_redirects);
    let launch = by_id("s7-in-context-launch")
        .steps
        .iter()
        .find(|s| s.id == "s7-launch-unauthenticated")
        .unwrap();
    assert!(launch.anonymous && launch.stop_at_redirects);
    // Retry with until, parsed.
    let none_left = s2.steps.iter().find(|s| s.id == "s2-none-left").unwrap();
    let retry = none_left.retry.unwrap();
    assert_eq!((retry.every.as_millis(), retry.limit.as_secs()), (200, 5));
}

#[test]
fn mistakes_are_caught_before_running() {
    let step = "  - {name: one, on: a, request: {path: p}}\n";
    let cases = [
        (format!("regions: [a]\nsteps:\n{step}"), "a scenario needs an 'id'"),
        ("id: x\nread_only: true\nregions: [a]\nsteps:\n  - {name: one, on: a, writes: true, request: {method: POST, path: p}}\n".to_string(), "step 'one' writes, but the scenario is read_only"),
        (format!("id: x\nregions: [a]\nsteps:\n{step}{step}"), "step id 'one' is used twice"),
        ("id: x\nregions: [a]\nsteps:\n  - {name: one, on: a, request: {path: p}, until: 'true'}\n".into(), "step 'one': 'until' needs a 'retry'"),
        ("id: x\nregions: [a]\nsteps:\n  - {name: one, on: a, request: {method: DELETE, path: p}}\n".into(), "step 'one' sends DELETE, which changes data: mark it 'writes: true' (it then runs only with --allow-writes)"),
        ("id: x\nregions: [a]\nsteps:\n  - {name: one, on: a, request: {path: p}, retry: {for: soon}}\n".into(), "bad retry.for 'soon' (use e.g. 500ms, 2s, 1m)"),
        ("id: x\nregions: [a]\nsteps:\n  - {name: one, on: a, request: {path: p, body: {fixture: nope}}}\n".into(), "step 'one' uses fixture 'nope', which 'fixtures' does not define"),
        ("id: x\nregions: [a]\nsteps:\n  - {name: one, on: a, request: {path: p}, expect: {count: [{expr: x}]}}\n".into(), "step 'one': count 'x' needs equals, min or max"),
    ];
    for (yaml, want) in cases {
        assert_eq!(load_text(&yaml).unwrap_err(), want, "{yaml}");
    }
}

#[test]
fn includes_check_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("frag.yaml"), "params: [who]\nsteps:\n  - {name: 'read ${who}', on: a, request: {path: 'Patient/${who}'}}\n").unwrap();
    let main = dir.path().join("main.yaml");
    std::fs::write(
        &main,
        "id: m\nregions: [a]\nsteps:\n  - include: frag.yaml\n    with: {who: '42'}\n",
    )
    .unwrap();
    let plan = load_plan(std::slice::from_ref(&main), &Bindings::new()).unwrap();
    assert_eq!(plan.scenarios[0].steps[0].path, "Patient/42");
    assert_eq!(plan.scenarios[0].steps[0].id, "read-42");
    std::fs::write(
        &main,
        "id: m\nregions: [a]\nsteps:\n  - include: frag.yaml\n    with: {whom: '42'}\n",
    )
    .unwrap();
    let err = load_plan(&[main], &Bindings::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(
            "frag.yaml: the include passes 'whom', which the fragment's 'params' does not list"
        ),
        "{err}"
    );
}

/// `encodeRequestUrl: false` sends the query as the script wrote it; by
/// default its pairs are sent encoded.
#[test]
fn a_testscript_query_is_encoded_unless_encode_request_url_is_false() {
    let dir = tempfile::tempdir().unwrap();
    let search = |encode: Option<bool>| {
        let mut op = serde_json::json!({"type": {"code": "search"}, "resource": "Patient",
            "params": "?birthdate=ge2020-01-01T00:00:00+01:00&name=a%20b"});
        if let Some(e) = encode {
            op["encodeRequestUrl"] = e.into();
        }
        let ts = serde_json::json!({"resourceType": "TestScript", "id": "q", "name": "q",
            "status": "active", "test": [{"action": [{"operation": op}]}]});
        let file = dir.path().join("q.json");
        std::fs::write(&file, ts.to_string()).unwrap();
        let bindings: Bindings = [(1, "region-a".to_string())].into();
        let plan = load_plan(&[file], &bindings).unwrap();
        let step = &plan.scenarios[0].steps[0];
        (step.path.clone(), step.params.clone())
    };
    let encoded = (
        "Patient".to_string(),
        vec![
            (
                "birthdate".to_string(),
                "ge2020-01-01T00:00:00+01:00".to_string(),
            ),
            ("name".to_string(), "a b".to_string()),
        ],
    );
    assert_eq!(search(None), encoded);
    assert_eq!(search(Some(true)), encoded);
    assert_eq!(
        search(Some(false)),
        (
            "Patient?birthdate=ge2020-01-01T00:00:00+01:00&name=a%20b".to_string(),
            vec![]
        )
    );
}

#[test]
fn testscripts_compile_with_bindings_and_nothing_in_them_is_unsupported() {
    let ts = root().join("testkits/testscript/read-search.json");
    let err = load_plan(std::slice::from_ref(&ts), &Bindings::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("TestScript destination 1 is not bound to a region: use --bind 1=REGION"),
        "{err}"
    );
    let bindings: Bindings = [(1, "region-a".to_string())].into();
    let plan = load_plan(&[ts], &bindings).unwrap();
    let s = &plan.scenarios[0];
    assert_eq!(s.identity.regions, ["region-a"]);
    assert_eq!(s.setup[0].method, "PUT");
    assert_eq!(s.setup[0].path, "Patient/ts-patient-1");
    assert!(s.setup[0].writes);
    // The fixture variable is read from the fixture when the run starts.
    assert!(
        matches!(&s.fixture_vars[0], (name, fixture, Capture::FhirPath(e)) if name == "nhs" && fixture == "patient" && e.contains("identifier")),
        "{:?}",
        s.fixture_vars
    );
    // The query is sent encoded (encodeRequestUrl defaults to true).
    assert_eq!(s.steps[1].path, "Patient");
    assert_eq!(
        s.steps[1].params,
        [(
            "identifier".to_string(),
            "https://fhir.nhs.uk/Id/nhs-number|${nhs}".to_string()
        )]
    );
    assert!(s.unsupported.is_empty(), "{:?}", s.unsupported);
    let read = &s.steps[0];
    assert!(
        matches!(&read.checks[4].kind, CheckKind::Validate(u) if u == "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient")
    );
    // compareToSource: the same expression on the fixture and on the response.
    assert!(
        matches!(&read.checks[5].kind, CheckKind::CompareToSource { source, source_selector: Selector::FhirPath(e), .. } if source == "patient" && e == "Patient.birthDate"),
        "{:?}",
        read.checks[5]
    );
    // The search's navigation links are checked.
    assert!(matches!(
        &s.steps[1].checks[1].kind,
        CheckKind::NavigationLinks
    ));
}

#[test]
fn the_loader_holds_files_to_the_published_schema() {
    let err = load_text(
        "id: x\nregions: [a]\nsteps:\n  - {name: one, on: a, request: {method: FETCH, path: p}}\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("does not follow the scenario schema: at /steps/0/request/method: "),
        "{err}"
    );
}

#[test]
fn testscript_autocreate_and_autodelete_become_setup_and_teardown_steps() {
    let dir = tempfile::tempdir().unwrap();
    let ts = dir.path().join("ts.json");
    let script = serde_json::json!({
        "resourceType": "TestScript", "id": "auto", "name": "Auto", "status": "active",
        "fixture": [
            {"id": "with-id", "autocreate": true, "autodelete": true, "resource": {"reference": "#p1"}},
            {"id": "no-id", "autocreate": true, "autodelete": true, "resource": {"reference": "obs.json"}}
        ],
        "contained": [
            {"resourceType": "Patient", "id": "p1", "gender": "male"}
        ],
        "test": [{"name": "read", "action": [
            {"operation": {"type": {"code": "read"}, "resource": "Observation", "targetId": "no-id"}},
            {"assert": {"response": "okay"}}
        ]}]
    });
    std::fs::write(&ts, script.to_string()).unwrap();
    std::fs::write(
        dir.path().join("obs.json"),
        r#"{"resourceType": "Observation", "status": "final", "code": {"text": "x"}}"#,
    )
    .unwrap();
    let bindings: Bindings = [(1, "a".to_string())].into();
    let plan = load_plan(&[ts], &bindings).unwrap();
    let s = &plan.scenarios[0];
    assert!(s.unsupported.is_empty(), "{:?}", s.unsupported);
    let setup: Vec<(&str, &str)> = s
        .setup
        .iter()
        .map(|x| (x.method.as_str(), x.path.as_str()))
        .collect();
    assert_eq!(setup, [("PUT", "Patient/p1"), ("POST", "Observation")]);
    assert!(s.setup.iter().all(|x| x.writes));
    assert_eq!(s.steps[0].path, "Observation/${__id.no-id}");
    let teardown: Vec<(&str, &str)> = s
        .teardown
        .iter()
        .map(|x| (x.method.as_str(), x.path.as_str()))
        .collect();
    assert_eq!(
        teardown,
        [
            ("DELETE", "Patient/p1"),
            ("DELETE", "Observation/${__id.no-id}")
        ]
    );
}

/// A scenario over one region with `steps` (YAML list items) and `extra`
/// top-level YAML.
fn scenario(steps: &str, extra: &str) -> String {
    format!("id: s\nregions: [a]\n{extra}steps:\n{steps}")
}

fn get_step(id: &str, retry: &str) -> String {
    format!("- id: {id}\n  name: step {id}\n  on: a\n  request: {{path: Patient}}\n{retry}")
}

#[test]
fn a_matrix_over_the_limit_is_refused_before_expanding() {
    use conform_scenario::compile::MAX_MATRIX_COMBINATIONS;
    let values = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    // 10 x 10 is the limit: it compiles.
    let ten = format!("matrix:\n  x: [{}]\n  y: [{}]\n", values(10), values(10));
    assert_eq!(MAX_MATRIX_COMBINATIONS, 100);
    let plan = load_text(&scenario(&get_step("one", ""), &ten)).expect("100 combinations");
    assert_eq!(plan.scenarios.len(), 100);
    // 10^12 would never finish (or fit in memory) if it were expanded.
    let huge: String = (0..12)
        .map(|k| format!("  k{k}: [{}]\n", values(10)))
        .collect();
    let e = load_text(&scenario(&get_step("one", ""), &format!("matrix:\n{huge}"))).unwrap_err();
    assert!(e.contains("more than 100 combinations"), "{e}");
}

#[test]
fn steps_over_the_limit_are_refused() {
    use conform_scenario::compile::MAX_STEPS;
    let steps = |n: usize| {
        (0..n)
            .map(|i| get_step(&format!("s{i}"), ""))
            .collect::<String>()
    };
    assert!(load_text(&scenario(&steps(MAX_STEPS), "")).is_ok());
    let Err(e) = load_text(&scenario(&steps(MAX_STEPS + 1), "")) else {
        panic!("{} steps compiled", MAX_STEPS + 1)
    };
    assert!(e.contains("more than 1000 steps"), "{e}");
}

#[test]
fn retries_over_the_limits_are_refused() {
    let with_retry = |r: &str| load_text(&scenario(&get_step("r", &format!("  retry: {r}\n")), ""));
    assert!(with_retry("{every: 1s, for: 99s}").is_ok());
    let e = with_retry("{every: 10ms, for: 60s}").unwrap_err();
    assert!(
        e.contains("up to 6001 attempts, over the limit of 100"),
        "{e}"
    );
    let e = with_retry("{every: 0s, for: 1s}").unwrap_err();
    assert!(e.contains("over the limit of 100"), "{e}");
    let e = with_retry("{every: 10s, for: 11m}").unwrap_err();
    assert!(
        e.contains("retry.for 660s is over the limit of 600s"),
        "{e}"
    );
}

#[test]
fn a_scenario_file_over_the_size_limit_is_refused_unread() {
    use conform_scenario::compile::MAX_SCENARIO_FILE_BYTES;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.yaml");
    std::fs::write(&f, scenario(&get_step("one", ""), "")).unwrap();
    assert!(load_plan(std::slice::from_ref(&f), &Bindings::new()).is_ok());
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(MAX_SCENARIO_FILE_BYTES + 1)
        .unwrap();
    let e = load_plan(&[f], &Bindings::new()).unwrap_err();
    assert!(e.message.contains("over the limit of 4194304"), "{e}");
}

#[test]
fn includes_that_include_themselves_stop_at_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loop.yaml"),
        "params: []\nsteps:\n  - include: loop.yaml\n",
    )
    .unwrap();
    let f = dir.path().join("s.yaml");
    std::fs::write(&f, scenario("- include: loop.yaml\n", "")).unwrap();
    let e = load_plan(&[f], &Bindings::new()).unwrap_err();
    assert!(e.message.contains("includes nest too deep"), "{e}");
}

#[test]
fn yaml_aliases_that_expand_without_bound_are_an_error() {
    // "Billion laughs": each level repeats the one before nine times.
    let mut yaml = String::from(
        "id: s\nregions: [a]\nvars:\n  x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let prev = format!("*x{}", i - 1);
        yaml += &format!("  x{i}: &x{i} [{}]\n", [prev.as_str(); 9].join(", "));
    }
    yaml += "steps: []\n";
    let start = std::time::Instant::now();
    let e = load_text(&yaml).unwrap_err();
    assert!(e.contains("repetition limit"), "{e}");
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}
