//! The 146 UK Core STU2 examples validate against the UK Core profile for
//! their resource type with no errors, except a committed list of examples
//! with genuine defects, each with its reason.

mod common;

use conform_packages::{DefinitionSet, PackageSpec};
use conform_validate::ProfileSelection;
use std::collections::BTreeMap;

#[test]
fn uk_core_examples_validate_against_their_profiles() {
    let spec = PackageSpec::parse("fhir.r4.ukcore.stu2#2.0.2").unwrap();
    let (validator, resolved) = common::load(&[spec]);
    let defs = DefinitionSet::load(&resolved).unwrap();

    // The pack's choice: the UK Core profile of each resource type.
    let pack = conform_validate::pack::Pack::builtin("uk-core")
        .expect("uk-core pack is built in")
        .expect("uk-core pack parses");
    let per_type: BTreeMap<String, String> = pack.profiles.clone();
    assert!(per_type.contains_key("Patient"));
    let validator = validator
        .with_profiles(ProfileSelection {
            per_type,
            ..Default::default()
        })
        .with_rules(pack.rule_set());

    let known =
        common::known::KnownInvalid::parse(include_str!("data/uk-core-examples-invalid.toml"));
    let ukcore = resolved
        .iter()
        .find(|p| p.id.name == "fhir.r4.ukcore.stu2")
        .unwrap();
    let examples = defs.examples(&ukcore.id);
    assert_eq!(examples.len(), 146, "UK Core STU2 2.0.2 ships 146 examples");

    let results: Vec<(String, conform_validate::ResourceResult)> = examples
        .iter()
        .map(|ex| {
            let name = ex.filename().rsplit('/').next().unwrap().to_string();
            (name, validator.validate_bytes(ex.bytes(), 0))
        })
        .collect();
    known.assert_corpus("UK Core examples", &results);
}
