//! Whatever the differential, generation returns a snapshot or an error,
//! never a panic: real profiles with their differential elements dropped,
//! shuffled, duplicated and corrupted (paths, types, slicing, cardinality,
//! values of the wrong JSON type).

mod common;

use conform_snapshot::{generate_with, Options};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};

/// Profiles that exercise every kind of step: slices, extension profiles,
/// datatype expansion, type slicing, complex extensions, sliced bases.
const PROFILES: &[&str] = &[
    "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient",
    "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab",
    "https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest",
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.triggeredBy",
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey",
    "http://hl7.org/fhir/StructureDefinition/bp",
    "http://hl7.org/fhir/StructureDefinition/bodyweight",
    "http://hl7.org/fhir/StructureDefinition/familymemberhistory-genetic",
    "http://hl7.org/fhir/StructureDefinition/elementdefinition-de",
];

fn source(i: &Index) -> Value {
    let url = PROFILES[i.index(PROFILES.len())];
    let sd = common::defs()
        .get(url)
        .unwrap_or_else(|| panic!("{url} loaded"));
    common::strip_snapshot(sd)
}

fn diff_mut(sd: &mut Value) -> &mut Vec<Value> {
    sd.pointer_mut("/differential/element")
        .and_then(Value::as_array_mut)
        .expect("differential")
}

/// One corruption of the differential.
#[derive(Debug, Clone)]
enum Op {
    Drop(Index),
    Swap(Index, Index),
    Duplicate(Index),
    Set(Index, &'static str, Value),
    Remove(Index, &'static str),
    TruncatePath(Index),
    RenameSegment(Index, &'static str),
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(-1)),
        Just(json!("0")),
        Just(json!("*")),
        Just(json!("")),
        Just(json!("Patient..x")),
        Just(json!("value[x]")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"code": "Quantity"}])),
        Just(json!([{"code": "Extension", "profile": ["http://example.org/none"]}])),
        Just(
            json!([{"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Patient"]}])
        ),
        Just(json!([{"code": "string"}, {"code": "CodeableConcept"}])),
        Just(json!({"discriminator": [{"type": "value", "path": "url"}], "rules": "closed"})),
        Just(json!({"discriminator": [{"type": "type", "path": "$this"}], "ordered": true})),
        Just(json!("#Patient.contact")),
        Just(json!("a/b")),
        "[a-zA-Z.\\[\\]:/]{0,20}".prop_map(Value::String),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let field = prop::sample::select(vec![
        "path",
        "min",
        "max",
        "type",
        "slicing",
        "sliceName",
        "id",
        "contentReference",
        "fixedUri",
        "binding",
    ]);
    prop_oneof![
        any::<Index>().prop_map(Op::Drop),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Op::Swap(a, b)),
        any::<Index>().prop_map(Op::Duplicate),
        (any::<Index>(), field.clone(), value()).prop_map(|(i, f, v)| Op::Set(i, f, v)),
        (any::<Index>(), field).prop_map(|(i, f)| Op::Remove(i, f)),
        any::<Index>().prop_map(Op::TruncatePath),
        (
            any::<Index>(),
            prop::sample::select(vec![
                "valueQuantity",
                "value[x]",
                "extension",
                "identifier",
                "foo",
                "item"
            ])
        )
            .prop_map(|(i, s)| Op::RenameSegment(i, s)),
    ]
}

fn apply(sd: &mut Value, ops: &[Op]) {
    let list = diff_mut(sd);
    for op in ops {
        if list.is_empty() {
            return;
        }
        let n = list.len();
        match op {
            Op::Drop(i) => {
                list.remove(i.index(n));
            }
            Op::Swap(a, b) => list.swap(a.index(n), b.index(n)),
            Op::Duplicate(i) => {
                let e = list[i.index(n)].clone();
                list.insert(i.index(n), e);
            }
            Op::Set(i, f, v) => {
                if let Some(o) = list[i.index(n)].as_object_mut() {
                    o.insert((*f).to_string(), v.clone());
                }
            }
            Op::Remove(i, f) => {
                if let Some(o) = list[i.index(n)].as_object_mut() {
                    o.remove(*f);
                }
            }
            Op::TruncatePath(i) => {
                let e = &mut list[i.index(n)];
                if let Some(p) = e["path"].as_str() {
                    let short = p.rsplit_once('.').map_or(p, |(h, _)| h).to_string();
                    e["path"] = json!(short);
                }
            }
            Op::RenameSegment(i, s) => {
                let e = &mut list[i.index(n)];
                if let Some(p) = e["path"].as_str() {
                    let renamed = match p.rsplit_once('.') {
                        Some((h, _)) => format!("{h}.{s}"),
                        None => p.to_string(),
                    };
                    e["path"] = json!(renamed);
                }
            }
        }
    }
}

fn run(sd: &Value) {
    for lenient in [false, true] {
        let _ = generate_with(sd, common::defs(), Options { lenient });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn dropped_and_shuffled_differentials(which in any::<Index>(), keep in prop::collection::vec(any::<bool>(), 0..200), seed in any::<u64>()) {
        let mut sd = source(&which);
        let list = diff_mut(&mut sd);
        let mut kept: Vec<Value> = list.iter().zip(keep.iter().chain(std::iter::repeat(&true))).filter(|(_, k)| **k).map(|(e, _)| e.clone()).collect();
        // A cheap deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..kept.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            kept.swap(i, (s % (i as u64 + 1)) as usize);
        }
        *list = kept;
        run(&sd);
    }

    #[test]
    fn corrupted_differentials(which in any::<Index>(), ops in prop::collection::vec(op(), 1..12)) {
        let mut sd = source(&which);
        apply(&mut sd, &ops);
        run(&sd);
    }
}

#[test]
fn hostile_structure_definitions() {
    let cases = [
        json!(null),
        json!({"resourceType": "StructureDefinition"}),
        json!({"resourceType": "StructureDefinition", "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint", "differential": {"element": "x"}}),
        json!({"resourceType": "StructureDefinition", "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint", "differential": {"element": [1, "a", null]}}),
        json!({"resourceType": "StructureDefinition", "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "specialization", "differential": {"element": [{"path": "Patient.x.y.z"}]}}),
        json!({"resourceType": "StructureDefinition", "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
               "differential": {"element": [{"path": format!("Patient{}", ".a".repeat(5000))}]}}),
        json!({"resourceType": "StructureDefinition", "type": "Ünïcode", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
               "differential": {"element": [{"path": "Ünïcode.ß[x]", "sliceName": "é"}]}}),
    ];
    for sd in &cases {
        run(sd);
    }
}
