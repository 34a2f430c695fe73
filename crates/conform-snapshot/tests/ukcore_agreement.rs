//! UK Core STU2 ships each profile with both its differential and its
//! snapshot: regenerating every snapshot from the differential and
//! comparing element by element (ids and order, cardinality, types and
//! profiles, fixed and pattern values, bindings, slicing) measures how
//! closely this generator follows the published one. Run with
//! `-- --nocapture` for the per-profile table.

mod common;

use serde_json::Value;

/// Below this the generator has regressed.
const MIN_AGREEMENT: f64 = 0.95;

#[test]
fn uk_core_snapshots_agree_with_the_published_ones() {
    let defs = common::defs();
    let published: Vec<&Value> = defs
        .resources_of_type("StructureDefinition")
        .filter(|r| r.entry().package.name == "fhir.r4.ukcore.stu2")
        .filter_map(|r| r.json())
        .collect();
    assert!(
        published.len() >= 70,
        "UK Core profiles and extensions loaded"
    );
    let (rate, problems) = common::check_agreement(
        "UK Core STU2 2.0.2",
        &published,
        defs,
        include_str!("data/ukcore-known-differences.toml"),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        rate >= MIN_AGREEMENT,
        "agreement {:.1}% is below {:.0}%",
        rate * 100.0,
        MIN_AGREEMENT * 100.0
    );
}
