//! An Observation of a vital sign is held to that sign's core profile
//! whether or not it claims it (FHIR R4, observation-vitalsigns.html), as
//! the HL7 validator does from R4 on; `vital-signs-profiles` turns it off.

mod common;

use conform_validate::{Options, Validator};
use serde_json::{json, Value};

/// A complete body temperature, coded by `system`#`code` alone.
fn temperature(system: &str, code: &str) -> Value {
    json!({"resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs"}]}],
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/example"},
        "effectiveDateTime": "2026-12-06T09:50:00Z",
        "valueQuantity": {"value": 36.5, "unit": "Cel", "system": "http://unitsofmeasure.org", "code": "Cel"}})
}

/// Rule, severity and message of each finding that is not about a code's
/// membership of a value set (conform holds no LOINC or SNOMED CT here).
fn findings(v: &Validator, resource: &Value) -> Vec<(String, String, String)> {
    v.validate_bytes(resource.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| !f.rule.starts_with("binding-") && f.rule != "dom-6")
        .map(|f| {
            (
                f.rule.clone(),
                format!("{:?}", f.severity),
                f.message.clone(),
            )
        })
        .collect()
}

#[test]
fn a_snomed_coded_temperature_needs_the_loinc_code_bodytemp_requires() {
    let got = findings(
        common::r4(),
        &temperature("http://snomed.info/sct", "276885007"),
    );
    assert_eq!(
        got,
        [
            (
                "profile-vital-signs".to_string(),
                "Information".to_string(),
                "Validated against the Body temperature profile (http://hl7.org/fhir/StructureDefinition/bodytemp), which FHIR requires of an Observation with the SNOMED CT code 276885007".to_string()
            ),
            (
                "profile-slice-cardinality".to_string(),
                "Error".to_string(),
                "Observation.code.coding:BodyTempCode: minimum required = 1, but only found 0 (profile observation-bodytemp)".to_string()
            ),
        ]
    );
}

#[test]
fn a_loinc_coded_temperature_is_held_to_the_whole_profile() {
    let mut without_time = temperature("http://loinc.org", "8310-5");
    without_time
        .as_object_mut()
        .unwrap()
        .remove("effectiveDateTime");
    let got = findings(common::r4(), &without_time);
    let errors: Vec<&str> = got
        .iter()
        .filter(|f| f.1 == "Error")
        .map(|f| f.2.as_str())
        .collect();
    assert_eq!(
        errors,
        ["Observation.effective[x]: minimum required = 1, but only found 0 (profile observation-bodytemp)"]
    );
    // Complete, it conforms.
    let complete = findings(common::r4(), &temperature("http://loinc.org", "8310-5"));
    assert_eq!(
        complete.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["profile-vital-signs"]
    );
}

#[test]
fn other_observations_are_held_to_no_vital_signs_profile() {
    let got = findings(common::r4(), &temperature("http://loinc.org", "2339-0"));
    assert_eq!(got, []);
}

#[test]
fn the_option_turns_it_off() {
    let off = common::r4().with_options(Options {
        vital_signs_profiles: false,
        ..Options::default()
    });
    assert_eq!(
        findings(&off, &temperature("http://snomed.info/sct", "276885007")),
        []
    );
}

#[test]
fn a_blood_pressure_is_told_by_its_component_codes() {
    // bp's component slices are discriminated by `code.coding.code` and
    // `code.coding.system`, values its `coding:SBPCode` and `coding:DBPCode`
    // slices fix: a component with other codings besides is still one.
    let component = |loinc: &str, value: f64| {
        json!({"code": {"coding": [
                {"system": "http://snomed.info/sct", "code": "271649006"},
                {"system": "http://loinc.org", "code": loinc}]},
            "valueQuantity": {"value": value, "unit": "mmHg",
                "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}})
    };
    let mut bp = temperature("http://loinc.org", "85354-9");
    bp.as_object_mut().unwrap().remove("valueQuantity");
    bp["component"] = json!([component("8480-6", 120.0), component("8462-4", 80.0)]);
    let errors = |bp: &Value| -> Vec<String> {
        findings(common::r4(), bp)
            .into_iter()
            .filter(|f| f.1 == "Error")
            .map(|f| f.2)
            .collect()
    };
    assert_eq!(errors(&bp), Vec::<String>::new());
    bp["component"] = json!([component("8480-6", 120.0)]);
    assert_eq!(
        errors(&bp),
        [
            "Observation.component: minimum required = 2, but only found 1 (profile observation-bp)",
            "Observation.component:DiastolicBP: minimum required = 1, but only found 0 (profile observation-bp)"
        ]
    );
}

#[test]
fn stu3_observations_are_not_held_to_them() {
    // The reference implies these profiles from R4 on; STU3's core has
    // bodytemp too, and GP Connect's temperatures are not held to it.
    let mut stu3 = temperature("http://snomed.info/sct", "276885007");
    stu3.as_object_mut().unwrap().remove("category");
    let got = findings(common::stu3(), &stu3);
    assert!(got.iter().all(|f| !f.0.starts_with("profile-")), "{got:?}");
}
