//! A MeasureReport against its Measure: groups and populations matched by
//! code, counts against listed subjects, and the score the Measure's
//! scoring asks for (the reference's MeasureReport check).

mod common;

use serde_json::{json, Value};

const POPULATION: &str = "http://terminology.hl7.org/CodeSystem/measure-population";

fn code(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

/// A Measure with `groups` (each a code and its population codes) and a
/// `scoring`, contained in the report as `#m`.
fn measure(scoring: &str, groups: &[(&str, &[&str])]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|(g, pops)| {
            let pops: Vec<Value> = pops
                .iter()
                .map(|p| json!({"code": code(POPULATION, p), "criteria": {"language": "text/cql", "expression": "x"}}))
                .collect();
            json!({"code": code("http://example.org/groups", g), "population": pops})
        })
        .collect();
    json!({"resourceType": "Measure", "id": "m", "status": "active",
        "scoring": code("http://terminology.hl7.org/CodeSystem/measure-scoring", scoring),
        "group": groups})
}

fn report(kind: &str, measure: Value, groups: Value) -> Value {
    json!({"resourceType": "MeasureReport", "status": "complete", "type": kind,
        "contained": [measure, {"resourceType": "List", "id": "l", "status": "current",
            "mode": "snapshot", "entry": [{"item": {"reference": "Patient/a"}},
                {"item": {"reference": "Patient/b"}}]}],
        "measure": "#m", "period": {"start": "2026-01-01", "end": "2026-03-31"},
        "group": groups})
}

/// `severity rule expression` of each MeasureReport finding.
fn findings(report: &Value) -> Vec<String> {
    common::r4()
        .validate_bytes(report.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("measure-report"))
        .map(|f| format!("{:?} {} {}", f.severity, f.rule, f.expression()))
        .collect()
}

fn population(p: &str, extra: Value) -> Value {
    let mut v = json!({"code": code(POPULATION, p)});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

#[test]
fn populations_count_what_the_report_type_allows() {
    let m = measure("cohort", &[("g1", &["initial-population"])]);
    let group = |extra: Value| json!([{"population": [population("initial-population", extra)]}]);
    assert!(findings(&report("summary", m.clone(), group(json!({"count": 2})))).is_empty());
    assert_eq!(
        findings(&report(
            "summary",
            m.clone(),
            group(json!({"subjectResults": {"reference": "#l"}}))
        )),
        [
            "Error measure-report-group MeasureReport.group[0].population[0]",
            "Warning measure-report-group MeasureReport.group[0].population[0]"
        ]
    );
    // a subject list counts the contained List's entries, or one Patient
    let listed = |count: u32, reference: &str| {
        findings(&report(
            "subject-list",
            m.clone(),
            group(json!({"count": count, "subjectResults": {"reference": reference}})),
        ))
    };
    assert!(listed(2, "#l").is_empty());
    assert!(listed(1, "Patient/a").is_empty());
    assert_eq!(
        listed(3, "#l"),
        ["Error measure-report-group MeasureReport.group[0].population[0]"]
    );
    assert_eq!(
        listed(3, "Group/g"),
        ["Information measure-report-group MeasureReport.group[0].population[0]"]
    );
}

#[test]
fn groups_and_populations_match_the_measures_by_code() {
    let m = measure(
        "cohort",
        &[
            ("g1", &["initial-population"]),
            ("g2", &["initial-population", "denominator"]),
        ],
    );
    let group = |g: &str, pops: &[&str]| {
        let pops: Vec<Value> = pops
            .iter()
            .map(|p| population(p, json!({"count": 1})))
            .collect();
        json!({"code": code("http://example.org/groups", g), "population": pops})
    };
    let both = json!([
        group("g1", &["initial-population"]),
        group("g2", &["initial-population", "denominator"])
    ]);
    assert!(findings(&report("summary", m.clone(), both)).is_empty());
    assert_eq!(
        findings(&report(
            "summary",
            m.clone(),
            json!([
                group("g1", &["initial-population"]),
                group("g9", &["initial-population"])
            ])
        )),
        [
            "Error measure-report-group MeasureReport.group[1]",
            "Error measure-report-group MeasureReport"
        ]
    );
    assert_eq!(
        findings(&report(
            "summary",
            m,
            json!([
                group("g1", &["initial-population"]),
                group("g2", &["numerator"])
            ])
        )),
        [
            "Error measure-report-group MeasureReport.group[1].population[0]",
            "Error measure-report-group MeasureReport.group[1]",
            "Error measure-report-group MeasureReport.group[1]"
        ]
    );
}

#[test]
fn stratifiers_match_the_measures_by_code() {
    let strata = "http://example.org/strata";
    let mut m = measure("cohort", &[("g1", &["initial-population"])]);
    m["group"][0]["stratifier"] = json!([
        {"id": "by-age", "code": code(strata, "age")},
        {"id": "by-sex", "code": code(strata, "sex")},
        {"id": "young", "code": {"text": "ages up to 9"}}]);
    // a report's stratifier code repeats: the first is matched
    let stratifier = |c: Option<&str>| match c {
        // (coded by text alone, they match by text)
        Some(text) if text.contains(' ') => {
            json!({"code": [{"text": text}], "stratum": [{"value": {"text": "x"}}]})
        }
        Some(c) => json!({"code": [code(strata, c)], "stratum": [{"value": {"text": "x"}}]}),
        None => json!({"stratum": [{"value": {"text": "x"}}]}),
    };
    let group = |stratifiers: Vec<Value>| {
        json!([{"code": code("http://example.org/groups", "g1"),
            "population": [population("initial-population", json!({"count": 1}))],
            "stratifier": stratifiers}])
    };
    let both = group(vec![
        stratifier(Some("age")),
        stratifier(Some("sex")),
        stratifier(Some("ages up to 9")),
    ]);
    assert_eq!(
        findings(&report("summary", m.clone(), both)),
        Vec::<String>::new()
    );
    let at =
        |k: usize| format!("Error measure-report-group MeasureReport.group[0].stratifier[{k}]");
    assert_eq!(
        findings(&report(
            "summary",
            m,
            group(vec![
                stratifier(Some("age")),
                stratifier(Some("age")),
                stratifier(Some("postcode")),
                stratifier(None),
                stratifier(Some("ages up to 10"))
            ])
        )),
        [
            at(1),
            at(2),
            at(3),
            at(4),
            // the Measure's `by-sex` and `young` are left out
            "Error measure-report-group MeasureReport.group[0]".to_string(),
            "Error measure-report-group MeasureReport.group[0]".to_string(),
        ]
    );
}

#[test]
fn the_score_is_what_the_scoring_asks_for() {
    let pops = json!([population("initial-population", json!({"count": 4}))]);
    let scored = |scoring: &str, score: Option<Value>| {
        let mut g = json!({"population": pops.clone()});
        if let Some(s) = score {
            g["measureScore"] = s;
        }
        findings(&report(
            "summary",
            measure(scoring, &[("g1", &["initial-population"])]),
            json!([g]),
        ))
    };
    assert!(scored("proportion", Some(json!({"value": 0.5}))).is_empty());
    assert_eq!(
        scored("proportion", Some(json!({"value": 1.5}))),
        ["Error measure-report-score MeasureReport.group[0].measureScore.value"]
    );
    assert_eq!(
        scored("proportion", None),
        ["Error measure-report-score MeasureReport.group[0]"]
    );
    assert_eq!(
        scored("cohort", Some(json!({"value": 1}))),
        ["Error measure-report-score MeasureReport.group[0].measureScore"]
    );
}

#[test]
fn a_measure_that_cannot_be_found_is_a_warning() {
    let mut r = report(
        "summary",
        json!({"resourceType": "Basic", "id": "x", "code": {"text": "x"}}),
        json!([]),
    );
    r["measure"] = json!("http://example.org/fhir/Measure/nowhere");
    assert_eq!(
        findings(&r),
        ["Warning measure-report-measure MeasureReport.measure"]
    );
}
