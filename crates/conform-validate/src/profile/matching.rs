//! Comparing parts of an instance with values from a profile: `fixed[x]`
//! (exact), `pattern[x]` (the instance contains the pattern), and walking
//! discriminator paths (`system`, `coding.code`, `extension('url').value`,
//! `item.resolve()`).

use crate::plan::profile::Step;
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

/// The nodes a discriminator path reaches from `node`, arrays flattened.
/// An element step also matches a choice element's typed name (`value` →
/// `valueCode`), which `ofType(T)` then tells apart; `extension(url)`
/// keeps the extensions with that url; `resolve()` follows each reference
/// with `resolve` (to a contained resource or a Bundle entry: what the
/// resource itself holds). `None` for a function FHIR does not allow in a
/// discriminator.
pub fn navigate<'s>(
    doc: &Document<'s>,
    node: NodeId,
    path: &[Step],
    resolve: &dyn Fn(NodeId) -> Option<NodeId>,
) -> Option<Vec<NodeId>> {
    // Each node with the type its member's name gave it (`Quantity` for
    // `valueQuantity`), for `ofType`.
    let mut current: Vec<(NodeId, Option<&'s str>)> = vec![(node, None)];
    for step in path {
        let mut next = Vec::new();
        match step {
            Step::Element(name) => {
                for &(n, _) in &current {
                    for m in doc.members(n) {
                        let key = doc.raw_key(m);
                        let typed = match key.strip_prefix(name.as_str()) {
                            Some("") => None,
                            Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => {
                                Some(rest)
                            }
                            _ => continue,
                        };
                        flatten(doc, m.value, typed, &mut next);
                    }
                }
            }
            Step::Extension(url) => {
                for &(n, _) in &current {
                    if let Some(list) = doc.get(n, "extension") {
                        let mut found = Vec::new();
                        flatten(doc, list, None, &mut found);
                        next.extend(
                            found
                                .into_iter()
                                .filter(|&(x, _)| doc.get_str(x, "url").as_deref() == Some(url)),
                        );
                    }
                }
            }
            Step::Resolve => {
                next.extend(
                    current
                        .iter()
                        .filter_map(|&(n, _)| resolve(n))
                        .map(|t| (t, None)),
                );
            }
            Step::OfType(t) => {
                next.extend(current.iter().copied().filter(|&(n, typed)| {
                    match (doc.get_str(n, "resourceType"), typed) {
                        (Some(rt), _) => rt == t.as_str(),
                        (None, Some(typed)) => crate::profile::upper_first_eq(t, typed),
                        // An element of one type: its name does not say
                        // which, and the walk has checked it is allowed.
                        (None, None) => true,
                    }
                }));
            }
            Step::Unsupported(_) => return None,
        }
        current = next;
    }
    Some(current.into_iter().map(|(n, _)| n).collect())
}

fn flatten<'s>(
    doc: &Document<'s>,
    node: NodeId,
    typed: Option<&'s str>,
    out: &mut Vec<(NodeId, Option<&'s str>)>,
) {
    match doc.kind(node) {
        Kind::Array => out.extend(
            doc.elements(node)
                .iter()
                .filter(|&&i| doc.kind(i) != Kind::Null)
                .map(|&i| (i, typed)),
        ),
        _ => out.push((node, typed)),
    }
}

/// The values a discriminator path reaches inside a profile value (a
/// pattern or fixed value on an ancestor of the element it names).
pub fn navigate_value<'v>(v: &'v Value, path: &[Step]) -> Vec<&'v Value> {
    let mut current = vec![v];
    for step in path {
        let mut next = Vec::new();
        for c in current {
            let items = |x: Option<&'v Value>| -> Vec<&'v Value> {
                match x {
                    Some(Value::Array(a)) => a.iter().collect(),
                    Some(x) => vec![x],
                    None => Vec::new(),
                }
            };
            match step {
                Step::Element(name) => next.extend(items(c.get(name))),
                Step::Extension(url) => next.extend(
                    items(c.get("extension"))
                        .into_iter()
                        .filter(|x| x["url"].as_str() == Some(url)),
                ),
                // A value holds no resource to resolve to, and a type is
                // not told by a value.
                Step::Resolve | Step::OfType(_) | Step::Unsupported(_) => return Vec::new(),
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
        let codes = navigate(&doc, root, &Step::parse_path("coding.code"), &|_| None).unwrap();
        assert_eq!(codes.len(), 1);
        assert!(equals(&doc, codes[0], &json!("c")));
    }
}
