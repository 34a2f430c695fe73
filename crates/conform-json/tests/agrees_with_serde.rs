//! Property tests: the arena parser accepts exactly what serde_json accepts
//! and builds the same tree, and never panics on arbitrary bytes.

use conform_json::{parse, Document, Kind, NodeId};
use proptest::prelude::*;
use serde_json::Value;

fn same(doc: &Document, id: NodeId, v: &Value) -> bool {
    match (doc.kind(id), v) {
        (Kind::Null, Value::Null) => true,
        (Kind::Bool, Value::Bool(b)) => doc.bool(id) == Some(*b),
        (Kind::Number, Value::Number(n)) => doc.raw(id).unwrap().parse::<f64>().ok() == n.as_f64(),
        (Kind::String, Value::String(s)) => doc.str(id).unwrap() == s.as_str(),
        (Kind::Array, Value::Array(a)) => {
            let els = doc.elements(id);
            els.len() == a.len() && els.iter().zip(a).all(|(e, v)| same(doc, *e, v))
        }
        (Kind::Object, Value::Object(o)) => {
            let ms = doc.members(id);
            ms.len() == o.len()
                && ms.iter().all(|m| {
                    o.get(doc.key(m).as_ref())
                        .is_some_and(|v| same(doc, m.value, v))
                })
        }
        _ => false,
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::hash_map("[a-zA-Z_\"\\\\é]{0,8}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn round_trips_serde_json_output(v in arb_json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let doc = parse(text.as_bytes()).unwrap();
        prop_assert!(same(&doc, doc.root(), &v));
    }

    #[test]
    fn never_panics_and_agrees_on_validity(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let ours = parse(&bytes).is_ok();
        let theirs = serde_json::from_slice::<Value>(&bytes).is_ok();
        // A byte-order mark is the one thing we accept and serde_json does not.
        if !bytes.starts_with(b"\xEF\xBB\xBF") {
            prop_assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn never_panics_on_json_like_text(s in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,64}") {
        let ours = parse(s.as_bytes()).is_ok();
        let theirs = serde_json::from_str::<Value>(&s).is_ok();
        prop_assert_eq!(ours, theirs, "{:?}", s);
    }
}
