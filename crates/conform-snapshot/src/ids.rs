//! Element ids (`Patient.identifier:nhsNumber.system`): the path with each
//! sliced segment followed by its slice name. Generated from paths and
//! slice names alone, as the reference does (Java `generateIds`), so they
//! are right whatever ids the differential carried.

use std::collections::HashMap;

use serde_json::Value;

use crate::element::{Element, ElementExt};

/// Sets every element's id. Returns the ids that occur more than once.
pub(crate) fn generate_ids(list: &mut [Element]) -> Vec<String> {
    // Slice names in force, by path: a slice stays in force for the
    // elements after it until an element at its level (or above) replaces it.
    let mut slices: HashMap<String, String> = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for ed in list.iter_mut() {
        let path = ed.path().to_string();
        slices.retain(|k, _| k.len() <= path.len() && *k != path);
        if let Some(s) = ed.slice_name() {
            slices.insert(path.clone(), s.to_string());
        }
        let mut id = String::new();
        let mut prefix = String::new();
        for (i, seg) in path.split('.').enumerate() {
            if i == 0 {
                id.push_str(seg);
                prefix.push_str(seg);
                continue;
            }
            prefix.push('.');
            prefix.push_str(seg);
            id.push('.');
            id.push_str(&seg.replace('_', "-"));
            if let Some(s) = slices.get(&prefix) {
                id.push(':');
                id.push_str(s);
            }
        }
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n == 2 {
            duplicates.push(id.clone());
        }
        ed.insert("id".into(), Value::String(id));
    }
    duplicates
}

/// The element with this id.
pub(crate) fn by_id<'a>(list: &'a [Element], id: &str) -> Option<&'a Element> {
    list.iter().find(|e| e.id() == Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn el(v: Value) -> Element {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn slices_and_children() {
        let mut list = vec![
            el(json!({"path": "Patient"})),
            el(json!({"path": "Patient.identifier"})),
            el(json!({"path": "Patient.identifier", "sliceName": "nhs"})),
            el(json!({"path": "Patient.identifier.system"})),
            el(json!({"path": "Patient.identifier.extension", "sliceName": "v"})),
            el(json!({"path": "Patient.identifier.extension.url"})),
            el(json!({"path": "Patient.active"})),
        ];
        assert!(generate_ids(&mut list).is_empty());
        let ids: Vec<&str> = list.iter().filter_map(|e| e.id()).collect();
        assert_eq!(
            ids,
            [
                "Patient",
                "Patient.identifier",
                "Patient.identifier:nhs",
                "Patient.identifier:nhs.system",
                "Patient.identifier:nhs.extension:v",
                "Patient.identifier:nhs.extension:v.url",
                "Patient.active"
            ]
        );
    }
}
