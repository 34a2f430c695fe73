//! Invariants are evaluated a few dozen values at a time, after the walk
//! has moved on (`DeferredInvariants`), yet each value's findings stand
//! where the walk met it: after its members' findings, before the next
//! value's. Here with enough values that batches are evaluated in the
//! middle of the walk, and inside a Bundle large enough to be walked by
//! forks on both threads.

mod common;

/// A Patient whose even contacts fail `pat-1` (no details, no
/// organization) and whose odd ones hold an unknown element.
fn patient(contacts: usize) -> serde_json::Value {
    let contacts: Vec<serde_json::Value> = (0..contacts)
        .map(|i| {
            if i % 2 == 0 {
                serde_json::json!({"relationship": [{"text": "next of kin"}]})
            } else {
                serde_json::json!({"name": {"family": "Chalmers"}, "nickname": "x"})
            }
        })
        .collect();
    serde_json::json!({"resourceType": "Patient", "id": "p", "contact": contacts})
}

/// The findings about contacts, as (rule, path), in report order.
fn contact_findings(r: &conform_validate::ResourceResult) -> Vec<(String, String)> {
    r.findings
        .iter()
        .filter_map(|f| {
            let path = f.location.expression.clone()?;
            path.contains(".contact[").then(|| (f.rule.clone(), path))
        })
        .collect()
}

/// The two lists are the same; else the first place they differ.
fn assert_same(got: &[(String, String)], want: &[(String, String)]) {
    let first = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i));
    if let Some(i) = first {
        panic!(
            "{} findings, {} expected; at {i}: {:?} where {:?} was expected",
            got.len(),
            want.len(),
            got.get(i),
            want.get(i)
        );
    }
}

/// What the walk meets, in its order: `prefix` is the path of the
/// Patient.
fn expected(prefix: &str, contacts: usize) -> Vec<(String, String)> {
    (0..contacts)
        .map(|i| {
            if i % 2 == 0 {
                ("pat-1".to_string(), format!("{prefix}.contact[{i}]"))
            } else {
                (
                    "unknown-element".to_string(),
                    format!("{prefix}.contact[{i}].nickname"),
                )
            }
        })
        .collect()
}

#[test]
fn each_value_s_invariant_findings_stand_where_the_walk_met_it() {
    let contacts = 101;
    let json = serde_json::to_vec(&patient(contacts)).unwrap();
    let r = common::r4().validate_bytes(&json, 0);
    assert_same(&contact_findings(&r), &expected("Patient", contacts));
}

#[test]
fn so_they_do_in_the_entries_of_a_bundle_walked_on_both_threads() {
    // (under the default cap on findings a resource reports)
    let (entries, contacts) = (64, 9);
    let entry: Vec<serde_json::Value> = (0..entries)
        .map(|i| {
            serde_json::json!({
                "fullUrl": format!("urn:uuid:00000000-0000-0000-0000-{i:012}"),
                "resource": patient(contacts)
            })
        })
        .collect();
    let bundle =
        serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entry});
    let json = serde_json::to_vec(&bundle).unwrap();
    let r = common::r4().validate_bytes(&json, 0);
    let want: Vec<(String, String)> = (0..entries)
        .flat_map(|e| expected(&format!("Bundle.entry[{e}].resource"), contacts))
        .collect();
    assert_same(&contact_findings(&r), &want);
}
