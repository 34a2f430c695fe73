//! Comparing parts of an instance with values from a profile: `fixed[x]`
//! (exact), `pattern[x]` (the instance contains the pattern), and walking
//! simple FHIRPath discriminator paths (`system`, `coding.code`).

use conform_json::{Document, Kind, NodeId};
use serde_json::Value;

/// Exact equality of a JSON node and a value (`fixed[x]`). Object members
/// may come in any order; numbers compare by value.
pub fn equals(doc: &Document<'_>, node: NodeId, v: &Value) -> bool {
    match (doc.kind(node), v) {
        (Kind::Null, Value::Null) => true,
        (Kind::Bool, Value::Bool(b)) => doc.bool(node) == Some(*b),
        (Kind::Number, Value::Number(n)) => numbers_equal(doc.raw(node), n),
        (Kind::String, Value::String(s)) => doc.str(node).is_some_and(|x| x == s.as_str()),
        (Kind::Array, Value::Array(a)) => {
            let items = doc.elements(node);
            items.len() == a.len() && items.iter().zip(a).all(|(&i, v)| equals(doc, i, v))
        }
        (Kind::Object, Value::Object(o)) => {
            let members = doc.members(node);
            members.len() == o.len()
                && members.iter().all(|m| {
                    o.get(doc.key(m).as_ref())
                        .is_some_and(|v| equals(doc, m.value, v))
                })
        }
        _ => false,
    }
}

/// The node contains the pattern (`pattern[x]`): every member of a pattern
/// object is matched, and every item of a pattern array matches some item.
pub fn contains(doc: &Document<'_>, node: NodeId, pattern: &Value) -> bool {
    match (doc.kind(node), pattern) {
        (Kind::Object, Value::Object(o)) => o.iter().all(|(k, pv)| {
            doc.get(node, k)
                .is_some_and(|child| contains(doc, child, pv))
        }),
        (Kind::Array, Value::Array(a)) => a
            .iter()
            .all(|pv| doc.elements(node).iter().any(|&i| contains(doc, i, pv))),
        // A single pattern value against a repeating element: any item.
        (Kind::Array, pv) => doc.elements(node).iter().any(|&i| contains(doc, i, pv)),
        _ => equals(doc, node, pattern),
    }
}

fn numbers_equal(raw: Option<&str>, n: &serde_json::Number) -> bool {
    match (raw.and_then(|r| r.parse::<f64>().ok()), n.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The nodes a dotted path reaches from `node`, arrays flattened. A segment
/// also matches a choice element's typed name (`value` → `valueCode`).
/// Function calls (`resolve()`, `extension('…')`) are not followed.
pub fn navigate(doc: &Document<'_>, node: NodeId, path: &[String]) -> Option<Vec<NodeId>> {
    let mut current = vec![node];
    for seg in path {
        if seg.contains('(') {
            return None;
        }
        let mut next = Vec::new();
        for n in current {
            for m in doc.members(n) {
                let key = doc.raw_key(m);
                let hit = key == seg
                    || key
                        .strip_prefix(seg.as_str())
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()));
                if hit {
                    flatten(doc, m.value, &mut next);
                }
            }
        }
        current = next;
    }
    Some(current)
}

fn flatten(doc: &Document<'_>, node: NodeId, out: &mut Vec<NodeId>) {
    match doc.kind(node) {
        Kind::Array => out.extend(
            doc.elements(node)
                .iter()
                .filter(|&&i| doc.kind(i) != Kind::Null),
        ),
        _ => out.push(node),
    }
}

/// The values a dotted path reaches inside a profile value.
pub fn navigate_value<'v>(v: &'v Value, path: &[String]) -> Vec<&'v Value> {
    let mut current = vec![v];
    for seg in path {
        let mut next = Vec::new();
        for c in current {
            match c.get(seg) {
                Some(Value::Array(a)) => next.extend(a.iter()),
                Some(x) => next.push(x),
                None => {}
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fixed_is_exact_and_pattern_is_partial() {
        let doc = conform_json::parse(
            br#"{"coding":[{"system":"s","code":"c","display":"d"}],"text":"t"}"#,
        )
        .unwrap();
        let root = doc.root();
        assert!(contains(
            &doc,
            root,
            &json!({"coding":[{"system":"s","code":"c"}]})
        ));
        assert!(!contains(
            &doc,
            root,
            &json!({"coding":[{"system":"s","code":"x"}]})
        ));
        assert!(!equals(
            &doc,
            root,
            &json!({"coding":[{"system":"s","code":"c"}]})
        ));
        assert!(equals(
            &doc,
            root,
            &json!({"text":"t","coding":[{"code":"c","system":"s","display":"d"}]})
        ));
        let codes = navigate(&doc, root, &["coding".into(), "code".into()]).unwrap();
        assert_eq!(codes.len(), 1);
        assert!(equals(&doc, codes[0], &json!("c")));
    }
}
