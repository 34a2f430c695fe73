//! The R4 core package's constraint profiles (vital signs, lipid profile,
//! the genetics profiles, every core extension...) regenerated from their
//! differentials and compared with the published snapshots, as for UK Core.
//! Those snapshots were made by the 2019 build; the known differences are
//! the rules the reference implementation has gained since.

mod common;

use serde_json::Value;

const MIN_AGREEMENT: f64 = 0.98;

#[test]
fn r4_core_constraint_profiles_agree_with_the_published_ones() {
    let defs = common::core();
    let published: Vec<&Value> = defs
        .by_type("StructureDefinition")
        .filter(|sd| sd.get("derivation").and_then(Value::as_str) == Some("constraint"))
        .collect();
    for must in [
        "vitalsigns",
        "bodyweight",
        "bp",
        "lipidprofile",
        "cholesterol",
    ] {
        assert!(
            published
                .iter()
                .any(|sd| sd.get("id").and_then(Value::as_str) == Some(must)),
            "{must} is among the profiles compared"
        );
    }
    let (rate, problems) = common::check_agreement(
        "R4 core constraint profiles",
        &published,
        defs,
        include_str!("data/r4-core-known-differences.toml"),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        rate >= MIN_AGREEMENT,
        "agreement {:.1}% is below {:.0}%",
        rate * 100.0,
        MIN_AGREEMENT * 100.0
    );
}
