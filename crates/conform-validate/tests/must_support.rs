//! Must-Support population (`--must-support`): per instance and profile,
//! which elements the profile's snapshot marks mustSupport were populated,
//! on UK Core Patient (mustSupport on the `identifier:nhsNumber` slice's
//! `system` and `value`, on `name.family`, and under the optional
//! `telecom` and `address`).

mod common;

use conform_outcome::validate::{MustSupportReport, ProfilePopulation};
use conform_packages::PackageSpec;
use conform_validate::{Options, ProfileSelection, Validator};
use serde_json::json;

const PATIENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient";

fn validator(must_support: bool) -> Validator {
    let spec = PackageSpec::parse("fhir.r4.ukcore.stu2#2.0.2").unwrap();
    let (v, _) = common::load(&[spec]);
    let options = Options {
        must_support,
        ..Options::default()
    };
    v.with_profiles(ProfileSelection {
        explicit: vec![PATIENT.into()],
        ..Default::default()
    })
    .with_options(options)
}

fn population(v: &Validator, resource: serde_json::Value) -> Vec<ProfilePopulation> {
    let bytes = serde_json::to_vec(&resource).unwrap();
    v.validate_bytes(&bytes, 0).must_support
}

fn count(p: &ProfilePopulation, id: &str) -> usize {
    p.elements
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id} is not a Must-Support element: {p:?}"))
        .populated
}

#[test]
fn each_must_support_element_populated_or_not() {
    let v = validator(true);
    let with_nhs_number = json!({
        "resourceType": "Patient",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9449305552"}],
        "name": [{"family": "Smith"}],
        "gender": "female",
        "birthDate": "1970-01-01"
    });
    let found = population(&v, with_nhs_number.clone());
    assert_eq!(found.len(), 1, "one profile applied: {found:?}");
    let p = &found[0];
    assert_eq!((p.profile.as_str(), p.instances), (PATIENT, 1));
    // Every mustSupport element of the snapshot is listed, in its order.
    let ids: Vec<&str> = p.elements.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Patient.identifier",
            "Patient.identifier:nhsNumber.system",
            "Patient.identifier:nhsNumber.value",
            "Patient.active",
            "Patient.name",
            "Patient.name.family",
            "Patient.name.given",
            "Patient.telecom",
            "Patient.telecom.system",
            "Patient.telecom.value",
            "Patient.gender",
            "Patient.birthDate",
            "Patient.address",
            "Patient.address.line",
            "Patient.address.city",
            "Patient.address.postalCode",
        ]
    );
    for (id, populated) in [
        ("Patient.identifier", 1),
        // parts of a slice: populated through the value that matched it
        ("Patient.identifier:nhsNumber.system", 1),
        ("Patient.identifier:nhsNumber.value", 1),
        ("Patient.active", 0),
        ("Patient.name", 1),
        ("Patient.name.family", 1),
        ("Patient.name.given", 0),
        // under an absent optional parent: not seen, so not populated
        ("Patient.telecom", 0),
        ("Patient.telecom.system", 0),
        ("Patient.address.line", 0),
        ("Patient.gender", 1),
        ("Patient.birthDate", 1),
    ] {
        assert_eq!(count(p, id), populated, "{id}");
    }

    // An identifier that is not an NHS number populates identifier, not
    // the slice's parts.
    let local_id = json!({
        "resourceType": "Patient",
        "identifier": [{"system": "https://example.org/mrn", "value": "123"}],
        "telecom": [{"system": "phone", "value": "0113 496 0000"}],
        "active": true
    });
    let other = population(&v, local_id);
    assert_eq!(count(&other[0], "Patient.identifier"), 1);
    assert_eq!(count(&other[0], "Patient.identifier:nhsNumber.system"), 0);
    assert_eq!(count(&other[0], "Patient.telecom.value"), 1);

    // Over both: counts add per element; 11 of 16 populated at least once.
    let mut report = MustSupportReport::default();
    for p in found.iter().chain(&other) {
        report.add_profile(p);
    }
    let p = &report.profiles[0];
    assert_eq!(p.instances, 2);
    assert_eq!(count(p, "Patient.identifier"), 2);
    assert_eq!(count(p, "Patient.identifier:nhsNumber.system"), 1);
    assert_eq!(report.totals(), (11, 16));
    assert_eq!(
        p.missing().collect::<Vec<_>>(),
        [
            "Patient.name.given",
            "Patient.address",
            "Patient.address.line",
            "Patient.address.city",
            "Patient.address.postalCode"
        ]
    );

    // Not asked for: nothing recorded.
    assert!(population(&validator(false), with_nhs_number).is_empty());
}
