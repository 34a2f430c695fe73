//! The runner against a real server: order is the plan's whatever the
//! parallelism, teardown runs after a failure, writes are refused unless
//! allowed, retry/until gives up at its time limit with a clear message.

use conform_endpoint::RegionsFile;
use conform_peers::Sekmet;
use conform_scenario::load::Bindings;
use conform_scenario::result::{Phase, Status};
use conform_scenario::run::NoSink;
use conform_scenario::{load_plan, run_plan, RunOptions};
use std::time::Instant;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn order_teardown_writes_and_retry_limits() {
    let s = Sekmet::builder().no_seed().start().expect("sekmet");
    let regions = RegionsFile::parse(&format!(
        "regions:\n  - {{name: a, base_url: '{}'}}\n",
        s.base_url
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 0..6 {
        // Each scenario creates a Patient, fails a check when i is odd, and
        // deletes the Patient in teardown whatever happened.
        let want = if i % 2 == 1 { 418 } else { 200 };
        files.push(write(dir.path(), &format!("s{i}.yaml"), &format!(
            "id: s{i}\nregions: [a]\nsteps:\n  - name: create\n    on: a\n    writes: true\n    request: {{method: POST, path: Patient, body: {{resourceType: Patient, gender: other}}}}\n    expect: {{status: 201}}\n    capture: {{pid: Patient.id}}\n  - name: read\n    on: a\n    request: {{path: 'Patient/${{pid}}'}}\n    expect: {{status: {want}}}\n  - name: after\n    on: a\n    request: {{path: metadata}}\nteardown:\n  - name: delete\n    on: a\n    writes: true\n    request: {{method: DELETE, path: 'Patient/${{pid}}'}}\n    expect: {{status: [200, 204]}}\n"
        )));
    }
    let plan = load_plan(&files, &Bindings::new()).unwrap();
    let opts = RunOptions {
        allow_writes: true,
        jobs: 3,
        ..RunOptions::default()
    };
    let r = run_plan(&plan, &regions, &opts, None, &NoSink);
    let ids: Vec<&str> = r.scenarios.iter().map(|s| s.identity.id.as_str()).collect();
    assert_eq!(ids, ["s0", "s1", "s2", "s3", "s4", "s5"]);
    for (i, sc) in r.scenarios.iter().enumerate() {
        let st: Vec<(&str, Status)> = sc.steps.iter().map(|x| (x.id.as_str(), x.status)).collect();
        if i % 2 == 1 {
            assert_eq!(sc.status, Status::Fail);
            assert_eq!(
                sc.reason.as_deref(),
                Some("test step 'read': status: expected status 418, got 200")
            );
            assert_eq!(
                st,
                [
                    ("create", Status::Pass),
                    ("read", Status::Fail),
                    ("after", Status::Skip),
                    ("delete", Status::Pass)
                ]
            );
        } else {
            assert_eq!(sc.status, Status::Pass);
        }
        assert_eq!(sc.steps[3].phase, Phase::Teardown);
    }
    assert_eq!((r.summary.passed, r.summary.failed), (3, 3));

    // Without --allow-writes the scenario is skipped, saying why.
    let r = run_plan(&plan, &regions, &RunOptions::default(), None, &NoSink);
    assert!(r.scenarios.iter().all(|s| s.status == Status::Skip
        && s.reason.as_deref() == Some("step 'create' writes data: run with --allow-writes")));

    // until that never holds: retried within the limit, then a clear failure.
    let f = write(dir.path(), "wait.yaml", "id: wait\nregions: [a]\nsteps:\n  - name: wait\n    on: a\n    request: {path: Patient, params: {family: Nobody}}\n    retry: {every: 100ms, for: 600ms}\n    until: Bundle.entry.exists()\n");
    let plan = load_plan(&[f], &Bindings::new()).unwrap();
    let t = Instant::now();
    let r = run_plan(&plan, &regions, &RunOptions::default(), None, &NoSink);
    let step = &r.scenarios[0].steps[0];
    assert!(t.elapsed().as_millis() < 3000);
    assert!(step.attempts >= 3, "{}", step.attempts);
    assert_eq!(step.status, Status::Fail);
    assert!(
        step.reason
            .as_deref()
            .unwrap()
            .starts_with("until: still not true after"),
        "{:?}",
        step.reason
    );

    // An absolute URL on another host (say, from a server's answer) is
    // refused: the region's credentials stay with the region.
    let f = write(dir.path(), "away.yaml", "id: away\nregions: [a]\nvars: {link: 'http://127.0.0.1:9/fhir/Patient'}\nsteps:\n  - {name: follow, on: a, request: {path: '${link}'}}\n");
    let plan = load_plan(&[f], &Bindings::new()).unwrap();
    let r = run_plan(&plan, &regions, &RunOptions::default(), None, &NoSink);
    let step = &r.scenarios[0].steps[0];
    assert_eq!(step.status, Status::Fail);
    assert_eq!(step.attempts, 0, "nothing sent");
    assert_eq!(
        step.reason.as_deref(),
        Some("refusing to send region 'a''s request to http://127.0.0.1:9/fhir/Patient (not the region's host): use a step on the region that serves it")
    );

    // A region the regions file lacks: skipped with the reason.
    let f = write(
        dir.path(),
        "elsewhere.yaml",
        "id: elsewhere\nregions: [z]\nsteps:\n  - {name: one, on: z, request: {path: metadata}}\n",
    );
    let plan = load_plan(&[f], &Bindings::new()).unwrap();
    let r = run_plan(&plan, &regions, &RunOptions::default(), None, &NoSink);
    assert_eq!(r.scenarios[0].status, Status::Skip);
    assert_eq!(
        r.scenarios[0].reason.as_deref(),
        Some("region 'z' is not in the regions file")
    );
}
