//! The scorecard renderers on a hand-written `conform.scorecard/1` document
//! (read through the same types the scorecard writes), every format pinned:
//! one region at L1 with a Red gating criterion and a trend, one not
//! assessed, and the national roll-up.

use conform_outcome::scorecard::Report;
use conform_writers::scorecard::{render, FORMATS};
use conform_writers::Format;
use serde_json::json;

fn report() -> Report {
    let criterion = |id: &str, score: Option<f64>, rag: &str, findings: Vec<&str>| {
        json!({"id": id, "title": format!("Criterion {id}"), "gating": id == "C1.1",
            "score": score, "rag": rag,
            "evidence": {"source": "probe", "checked": 4.0, "passed": 3.0}, "findings": findings})
    };
    let mut trended = criterion("C1.2", Some(75.0), "amber", vec![]);
    trended["trend"] = json!({"previous": 50.0, "previous_rag": "red", "delta_since_last": 25.0,
        "since": null, "delta_since": null});
    let region = |name: &str, level: &str, score: Option<f64>, rag: &str, gate_failed: bool| {
        json!({"region": name,
            "level": {"id": level, "label": format!("{level} label"), "next": "L2",
                "next_unmet": ["C1.1 at least green"]},
            "overall": {"score": score, "rag": rag, "evidence_coverage": 50.0,
                "reasons": ["gating criterion C1.1 is Red"]},
            "gate": {"failed": gate_failed, "reasons": if gate_failed { vec!["C1.1 is Red <gating>"] } else { vec![] }},
            "dimensions": [{"id": "D1", "title": "Connectivity & APIs", "weight": 1.0, "score": score,
                "rag": rag, "criteria": [
                    criterion("C1.1", Some(40.0), "red", vec!["Patient.read [SHALL]: status 500"]),
                    trended.clone()]}],
            "attestations": [{"id": "delivery-plan", "title": "Delivery plan", "status": "attested",
                "date": "2026-10-01"}],
            "evidence_files": ["north/probe.json"]})
    };
    serde_json::from_value(json!({
        "schema": "conform.scorecard/1",
        "definition": {"id": "mvs", "title": "Minimum Viable Solution", "version": "1.0",
            "levels": [{"id": "L0", "label": "Not started"}, {"id": "L1", "label": "MVS 1.0"}],
            "dimensions": [{"id": "D1", "label": "Connectivity & APIs"}]},
        "generated_at": "2026-11-29T12:00:00Z",
        "regions": [region("north", "L1", Some(57.5), "amber", true),
                    region("south", "L0", None, "not-assessed", false)],
        "rollup": {"regions": 2, "gate_failed": 1,
            "levels": [{"id": "L0", "label": "Not started", "count": 1, "at_or_above": 2},
                       {"id": "L1", "label": "MVS 1.0", "count": 1, "at_or_above": 1}],
            "rows": [{"region": "north", "level": "L1", "score": 57.5, "rag": "amber",
                        "evidence_coverage": 50.0, "dimensions": [{"id": "D1", "score": 57.5, "rag": "amber"}]},
                     {"region": "south", "level": "L0", "score": null, "rag": "not-assessed",
                        "evidence_coverage": 0.0, "dimensions": [{"id": "D1", "score": null, "rag": "not-assessed"}]}],
            "dimension_means": [{"id": "D1", "score": 57.5, "assessed": 1}]},
        "trend": {"since": "2026-11-01T23:59:59Z", "series": {
            "north": [{"at": "2026-11-01T12:00:00Z", "score": 50.0, "level": "L0"},
                      {"at": "2026-11-29T12:00:00Z", "score": 57.5, "level": "L1"}],
            "south": [{"at": "2026-11-29T12:00:00Z", "score": null, "level": "L0"}]}}
    }))
    .expect("a scorecard document")
}

#[test]
fn every_format_is_pinned() {
    let report = report();
    for &format in FORMATS {
        insta::assert_snapshot!(format.name(), render(&report, format));
    }
}

#[test]
fn json_round_trips_through_the_document_type() {
    let report = report();
    let text = render(&report, Format::Json);
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(render(&back, Format::Json), text);
}

#[test]
fn markdown_keeps_angle_brackets_as_text() {
    let md = render(&report(), Format::Markdown);
    assert!(
        md.contains("gate FAIL (C1.1 is Red &lt;gating&gt;)"),
        "{md}"
    );
    assert!(!md.contains("<gating>"));
}

#[test]
fn html_escapes_what_the_document_says() {
    let html = render(&report(), Format::Html);
    assert!(html.contains("C1.1 is Red &lt;gating&gt;"), "{html}");
    assert!(!html.contains("<gating>"));
}
