//! Profiles for a Bundle's entries chosen by type and place
//! (`--bundle-profile`, the HL7 validator's `-bundle RULE PROFILE`): `Type`
//! takes every entry of that type, `Type:n` the n-th of them (from 0), `n`
//! the n-th entry.

mod common;

use conform_validate::{BundleRule, ProfileSelection, Validator};
use serde_json::{json, Value};

const IDENTIFIED: &str = "http://example.org/fhir/StructureDefinition/identified-patient";

fn definitions() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let identified = common::constraint(
            IDENTIFIED,
            "Patient",
            json!([{"id": "Patient.identifier", "path": "Patient.identifier", "min": 1}]),
        );
        common::r4_with_definitions(&[identified])
    })
}

/// An unidentified Patient, an Observation, an identified Patient.
fn bundle() -> Value {
    json!({"resourceType": "Bundle", "type": "collection", "entry": [
        common::entry(json!({"resourceType": "Patient", "id": "a"})),
        common::entry(json!({"resourceType": "Observation", "id": "o", "status": "final",
            "code": {"text": "x"}})),
        common::entry(json!({"resourceType": "Patient", "id": "b",
            "identifier": [{"system": "urn:example", "value": "b"}]})),
    ]})
}

/// `rule expression` of each error under these rules.
fn errors(rules: &[&str], resource: &Value) -> Vec<String> {
    let v = definitions().with_profiles(ProfileSelection {
        bundle_rules: rules
            .iter()
            .map(|r| BundleRule::parse(r, IDENTIFIED).expect("rule"))
            .collect(),
        ..Default::default()
    });
    v.validate_bytes(resource.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.severity.is_error())
        .map(|f| format!("{} {}", f.rule, f.expression()))
        .collect()
}

#[test]
fn rules_read_as_the_reference_reads_them() {
    let parsed = |r: &str| BundleRule::parse(r, IDENTIFIED).map(|b| (b.resource_type, b.index));
    assert_eq!(parsed("Patient"), Ok((Some("Patient".into()), None)));
    assert_eq!(
        parsed("Composition:0"),
        Ok((Some("Composition".into()), Some(0)))
    );
    assert_eq!(parsed("2"), Ok((None, Some(2))));
    assert_eq!(parsed(":3"), Ok((None, Some(3))));
    assert_eq!(parsed("Patient:"), Ok((Some("Patient".into()), None)));
    for bad in ["", ":", "Patient:first", "Patient:-1"] {
        assert!(parsed(bad).is_err(), "{bad}");
    }
}

#[test]
fn each_rule_takes_its_entries() {
    let b = bundle();
    let first = "cardinality-min Bundle.entry[0].resource.identifier";
    assert_eq!(errors(&[], &b), Vec::<String>::new());
    assert_eq!(errors(&["Patient:0"], &b), vec![first]);
    assert_eq!(errors(&["Patient:1"], &b), Vec::<String>::new());
    assert_eq!(errors(&["Patient:2"], &b), Vec::<String>::new());
    assert_eq!(errors(&["Patient"], &b), vec![first]);
    assert_eq!(errors(&["0"], &b), vec![first]);
    assert_eq!(errors(&["2"], &b), Vec::<String>::new());
    // the profile is for Patients: an Observation taken by place fails it
    assert_eq!(
        errors(&["1"], &b),
        vec!["profile-unknown Bundle.entry[1].resource"]
    );
    // the top-level resource is no entry
    let alone = json!({"resourceType": "Patient", "id": "a"});
    assert_eq!(errors(&["Patient", "0"], &alone), Vec::<String>::new());
}
