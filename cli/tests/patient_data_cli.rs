//! Patient data out of evidence (docs/patient-data.md) and the transport
//! rule (docs/regions.md). The end-to-end check: the cross-ICS kit run
//! with writes, every region probed, and a scorecard over that evidence,
//! every format of each, against SEKMET peers seeded from fixtures/seed;
//! then every file written, and every standard output and error, is
//! searched for the seeded patients' NHS numbers, names and birth dates.
//! A control run with `--keep-patient-data` shows the search finds them
//! when they are there.

mod common;

use common::scenario::{seed_file, Peers, KIT, REGIONS};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

/// A name that must never be looked up (nor can be: `.invalid`).
const NEVER: &str = "conform-must-never-be-looked-up.invalid";

/// The seeded patients' NHS numbers, family and given names and birth
/// dates, read from fixtures/seed.
fn seeded_values() -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(o) => {
                if o.get("resourceType").and_then(Value::as_str) == Some("Patient") {
                    for id in o["identifier"].as_array().into_iter().flatten() {
                        if id["system"] == "https://fhir.nhs.uk/Id/nhs-number" {
                            out.insert(id["value"].as_str().unwrap().to_string());
                        }
                    }
                    for n in o["name"].as_array().into_iter().flatten() {
                        out.extend(n["family"].as_str().map(str::to_string));
                        for g in n["given"].as_array().into_iter().flatten() {
                            out.insert(g.as_str().unwrap().to_string());
                        }
                    }
                    out.extend(o["birthDate"].as_str().map(str::to_string));
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for dir in std::fs::read_dir(common::root().join("fixtures/seed")).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            walk(&serde_json::from_str(&text).unwrap(), &mut out);
        }
    }
    // The restricted patient's placeholder family name is also a word the
    // kit and the MVS scorecard use of the case itself ("Restricted,
    // superseded and invalidated records"); its element is replaced in
    // every body all the same (the unit tests of conform_outcome::privacy).
    out.remove("Restricted");
    assert!(out.contains("9990010005") && out.contains("Shaw") && out.contains("1968-04-12"));
    out
}

/// Where `value` stands on its own in `text` (a name inside a longer word
/// is not that name), in the case written or in capitals; an NHS number
/// also spaced `3 3 4`.
fn occurrences(text: &str, value: &str) -> usize {
    let mut forms = vec![value.to_string(), value.to_uppercase()];
    if value.len() == 10 && value.bytes().all(|b| b.is_ascii_digit()) {
        forms.push(format!("{} {} {}", &value[..3], &value[3..6], &value[6..]));
    }
    forms.dedup();
    let joins = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    forms
        .iter()
        .map(|f| {
            text.match_indices(f.as_str())
                .filter(|(i, _)| {
                    !joins(text[..*i].chars().next_back())
                        && !joins(text[i + f.len()..].chars().next())
                })
                .count()
        })
        .sum()
}

/// Every seeded value found in `text`, with where it was found.
fn leaks(values: &BTreeSet<String>, place: &str, text: &str) -> Vec<String> {
    values
        .iter()
        .filter(|v| occurrences(text, v) > 0)
        .map(|v| format!("{v} in {place}"))
        .collect()
}

/// Every file under `dir`, as text.
fn files(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            out.push((p.display().to_string(), text));
        }
    }
}

fn streams(name: &str, o: &Output) -> [(String, String); 2] {
    [
        (format!("{name}: stdout"), common::stdout(o)),
        (format!("{name}: stderr"), common::stderr(o)),
    ]
}

#[test]
fn no_seeded_patient_data_in_any_artefact_of_a_scenario_probe_and_scorecard_run() {
    let values = seeded_values();
    let peers = Peers::start();
    peers.seed_all();
    // Demographics answers with another seeded patient's NHS number, so the
    // failure paths (messages, reasons, replay lines) are searched too.
    let mut wrong = seed_file("demographics/patient-9990010005.json");
    wrong["identifier"][0]["value"] = json!("9990010013");
    peers.put("demographics", &wrong);

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = |rel: &str| dir.join(rel).display().to_string();
    let mut outputs: Vec<(String, String)> = Vec::new();
    let check = |name: &str, o: Output, codes: &[i32]| {
        assert!(
            o.status.code().is_some_and(|c| codes.contains(&c)),
            "{name}: {:?}\n{}\n{}",
            o.status.code(),
            common::stdout(&o),
            common::stderr(&o)
        );
        streams(name, &o)
    };

    // The scenarios: every format into --out, text on standard output.
    let scenarios = path("scenario");
    let o = peers.run_kit(&[KIT], &["--allow-writes", "--out", &scenarios]);
    outputs.extend(check("scenario run", o, &[1]));
    let results = std::fs::read_to_string(dir.join("scenario/results.json")).unwrap();
    // The run talked about those patients: their bodies are there, rewritten.
    let doc: Value = serde_json::from_str(&results).unwrap();
    let patients: Vec<Value> = doc["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .filter_map(|st| st["exchange"]["response"]["body"].as_str())
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .filter(|b| b["resourceType"] == "Patient")
        .collect();
    assert!(!patients.is_empty(), "no Patient read in the run");
    for p in &patients {
        let nhs = p["identifier"][0]["value"].as_str().unwrap();
        assert!(nhs.starts_with("nhs-number:"), "{p}");
    }

    let mut run = |name: &str, args: &[&str], codes: &[i32]| {
        outputs.extend(check(name, peers.conform(args), codes));
    };
    // Every region probed at once, each format; two regions on their own,
    // into the evidence folder the scorecard reads.
    for format in ["text", "json", "junit", "sarif"] {
        let out = path(&format!("probe-all.{format}"));
        let args = [
            "probe",
            "--regions",
            REGIONS,
            "--all",
            "--format",
            format,
            "-o",
            &out,
        ];
        run(&format!("probe --all --format {format}"), &args, &[0, 1]);
    }
    for region in ["region-a", "region-b", "demographics"] {
        std::fs::create_dir_all(dir.join("evidence").join(region)).unwrap();
        let out = path(&format!("evidence/{region}/probe.json"));
        let args = [
            "probe",
            "--regions",
            REGIONS,
            "--region",
            region,
            "--format",
            "json",
            "-o",
            &out,
        ];
        run(&format!("probe {region}"), &args, &[0, 1]);
        std::fs::write(
            dir.join("evidence").join(region).join("scenarios.json"),
            &results,
        )
        .unwrap();
    }
    let demographics_probe =
        std::fs::read_to_string(dir.join("evidence/demographics/probe.json")).unwrap();
    assert!(
        demographics_probe.contains("nhs-number:"),
        "the probe quoted a patient: pseudonymised"
    );
    for format in ["table", "json", "markdown", "html", "junit"] {
        let out = path(&format!("scorecard.{format}"));
        let args = [
            "scorecard",
            "--evidence",
            &path("evidence"),
            "--regions",
            REGIONS,
            "--at",
            "2026-11-29T12:00:00Z",
            "--format",
            format,
            "-o",
            &out,
        ];
        run(&format!("scorecard --format {format}"), &args, &[0, 1]);
    }

    files(dir, &mut outputs);
    assert!(outputs.len() > 20, "{} outputs", outputs.len());
    let found: Vec<String> = outputs
        .iter()
        .flat_map(|(place, text)| leaks(&values, place, text))
        .collect();
    assert!(found.is_empty(), "patient data in the evidence: {found:#?}");

    // Control: kept on request (CI or not, with the second flag), the same
    // search finds them, in the results and in the probe's report.
    let kept = path("kept");
    let o = peers.run_kit(
        &[KIT],
        &[
            "--tag",
            "s1",
            "--allow-writes",
            "--keep-patient-data",
            "--i-understand-patient-data-is-kept",
            "--out",
            &kept,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let text = std::fs::read_to_string(dir.join("kept/results.json")).unwrap();
    for v in ["9990010005", "9990010013", "Shaw", "Amelia", "1968-04-12"] {
        assert!(occurrences(&text, v) > 0, "{v} not kept");
    }
    let o = peers.conform(&[
        "probe",
        "--regions",
        REGIONS,
        "--region",
        "demographics",
        "--no-validate",
        "--format",
        "json",
        "--keep-patient-data",
        "--i-understand-patient-data-is-kept",
    ]);
    assert!(
        values
            .iter()
            .any(|v| occurrences(&common::stdout(&o), v) > 0),
        "{}",
        common::stdout(&o)
    );
}

/// `conform ARGS` with `CI=true`, as CI runs it.
fn in_ci(args: &[&str]) -> Output {
    common::command_in(&common::root(), args)
        .env("CI", "true")
        .output()
        .unwrap()
}

#[test]
fn keeping_patient_data_is_refused_in_ci_before_anything_is_sent() {
    let regions = tempfile::tempdir().unwrap();
    let file = regions.path().join("regions.yaml");
    // Port 9 on loopback: were anything sent, it would not be answered.
    std::fs::write(
        &file,
        "regions:\n- {name: a, base_url: 'http://127.0.0.1:9/fhir'}\n",
    )
    .unwrap();
    let file = file.display().to_string();
    for args in [
        vec!["probe", "http://127.0.0.1:9/fhir", "--keep-patient-data"],
        vec![
            "scenario",
            "run",
            "testkits/cross-ics/s9-neighbour-query.yaml",
            "--regions",
            &file,
            "--keep-patient-data",
        ],
    ] {
        let o = in_ci(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", common::stderr(&o));
        assert!(
            common::stderr(&o).contains("--i-understand-patient-data-is-kept"),
            "{}",
            common::stderr(&o)
        );
    }
    // The second flag means nothing without the first.
    let o = common::run(&[
        "probe",
        "http://127.0.0.1:9/fhir",
        "--i-understand-patient-data-is-kept",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn plain_http_to_a_host_not_listed_is_refused_with_the_reason_and_nothing_sent() {
    let never = format!("http://{NEVER}/fhir");
    let o = common::run(&["probe", &never, "--no-validate"]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    let err = common::stderr(&o);
    assert!(
        err.contains(&format!("refusing plain http:// to {NEVER}")) && err.contains("test_hosts"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("regions.yaml");
    std::fs::write(
        &file,
        format!("regions:\n- {{name: region-a, base_url: '{never}'}}\n"),
    )
    .unwrap();
    let o = common::run(&[
        "scenario",
        "run",
        "testkits/cross-ics/s9-neighbour-query.yaml",
        "--regions",
        &file.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    assert!(
        common::stderr(&o).contains(&format!("refusing plain http:// to {NEVER}")),
        "{}",
        common::stderr(&o)
    );
}
