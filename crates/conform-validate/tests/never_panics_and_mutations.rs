//! Property tests: the validator never panics, whatever it is given; and a
//! single defect planted in a valid official example is reported exactly
//! where it was planted.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

/// Clean official examples (not in the known-invalid list), as JSON.
fn examples() -> &'static Vec<Value> {
    static E: OnceLock<Vec<Value>> = OnceLock::new();
    E.get_or_init(|| {
        let known = include_str!("data/r4-examples-invalid.toml");
        let dir = conform_testdata::path("r4/examples");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        files
            .iter()
            .filter(|p| !known.contains(&*p.file_name().unwrap().to_string_lossy()))
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    })
}

/// Every object node (as a JSON pointer) and every string leaf that is an
/// element value (not `resourceType`, not narrative XHTML).
fn places(v: &Value, ptr: String, objects: &mut Vec<String>, strings: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            objects.push(ptr.clone());
            for (k, child) in m {
                if k == "resourceType" || k == "div" || k.starts_with('_') {
                    continue;
                }
                places(child, format!("{ptr}/{k}"), objects, strings);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                places(child, format!("{ptr}/{i}"), objects, strings);
            }
        }
        Value::String(_) => strings.push(ptr),
        _ => {}
    }
}

/// 1-based line and column of the first occurrence of `needle`.
fn position(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).expect("marker present");
    let before = &text[..at];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() as u32 + 1;
    (line, col)
}

fn errors_of(text: &str) -> Vec<conform_validate::Outcome> {
    let r = common::r4().validate_bytes(text.as_bytes(), 0);
    r.findings
        .into_iter()
        .filter(|f| f.severity.is_error())
        .collect()
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 #/:.-]{0,12}".prop_map(Value::String),
        Just(Value::String("Patient".into())),
    ];
    let keys = prop_oneof![
        Just("resourceType".to_string()),
        Just("id".to_string()),
        Just("name".to_string()),
        Just("extension".to_string()),
        Just("contained".to_string()),
        Just("entry".to_string()),
        Just("resource".to_string()),
        Just("valueString".to_string()),
        Just("_given".to_string()),
        Just("reference".to_string()),
        "[a-z]{1,6}",
    ];
    leaf.prop_recursive(6, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(body in arb_json(), rt in prop_oneof![Just("Patient"), Just("Bundle"), Just("Observation"), Just("Questionnaire"), Just("Nope")]) {
        let mut v = body;
        if let Value::Object(m) = &mut v {
            m.insert("resourceType".into(), Value::String(rt.into()));
        }
        let text = serde_json::to_string(&v).unwrap();
        let _ = common::r4().validate_bytes(text.as_bytes(), 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let r = common::r4().validate_bytes(&bytes, 3);
        prop_assert!(r.line >= 1);
    }

    #[test]
    fn unknown_property_is_reported_where_planted(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let ex = examples();
        let mut v = ex[which.index(ex.len())].clone();
        let (mut objects, mut strings) = (Vec::new(), Vec::new());
        places(&v, String::new(), &mut objects, &mut strings);
        let ptr = &objects[at.index(objects.len())];
        v.pointer_mut(ptr).unwrap().as_object_mut().unwrap().insert("zzPlanted".into(), Value::from("x"));
        let text = serde_json::to_string_pretty(&v).unwrap();
        let errors = errors_of(&text);
        prop_assert_eq!(errors.len(), 1, "{:?}", errors);
        prop_assert_eq!(errors[0].rule.as_str(), "unknown-element");
        prop_assert!(errors[0].expression().ends_with(".zzPlanted"), "{}", errors[0].expression());
        prop_assert_eq!((errors[0].line(), errors[0].column()), position(&text, "\"zzPlanted\""));
    }

    #[test]
    fn wrong_json_type_is_reported_where_planted(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let ex = examples();
        let mut v = ex[which.index(ex.len())].clone();
        let (mut objects, mut strings) = (Vec::new(), Vec::new());
        places(&v, String::new(), &mut objects, &mut strings);
        prop_assume!(!strings.is_empty());
        let ptr = &strings[at.index(strings.len())];
        *v.pointer_mut(ptr).unwrap() = Value::from(31_415_926_535_897u64);
        let text = serde_json::to_string_pretty(&v).unwrap();
        let errors = errors_of(&text);
        // The wrong type is reported where it was planted; knock-on findings
        // (say a QuestionnaireResponse answer no longer matching) may follow.
        let at = position(&text, "31415926535897");
        prop_assert!(
            errors.iter().any(|e| e.rule == "json-type" && (e.line(), e.column()) == at),
            "no json-type error at {:?}: {:?}", at, errors
        );
    }
}
