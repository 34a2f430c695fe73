//! `Document::json_eq` answers what comparing the two `to_json_string`
//! texts answers, for every pair of nodes of a document.

use conform_json::parse;

fn agree_on_every_pair(text: &str) {
    let doc = parse(text.as_bytes()).unwrap();
    let n = doc.node_count() as u32;
    for a in 0..n {
        for b in 0..n {
            assert_eq!(
                doc.json_eq(a, b),
                doc.to_json_string(a) == doc.to_json_string(b),
                "{} vs {}",
                doc.to_json_string(a),
                doc.to_json_string(b)
            );
        }
    }
}

#[test]
fn equal_and_unequal_values_of_every_kind() {
    agree_on_every_pair(
        r#"{"a":[1,1.0,"1",true,false,null,"x","x","\u0078",[],{},[1],[1],[1,2],{"k":1},{"k":1},{"k":"1"},{"j":1},{"k":1,"l":2}],
            "b":{"resourceType":"Patient","id":"p","contained":[{"resourceType":"Patient","id":"p"}]},
            "c":{"resourceType":"Patient","id":"p"},"d":[[null],[null],[false],[true]],"e":"[1]","f":"{}"}"#,
    );
}

#[test]
fn a_container_and_what_it_contains() {
    agree_on_every_pair(
        r#"{"resourceType":"Observation","contained":[{"resourceType":"Patient","id":"1"},{"resourceType":"Patient","id":"1"}],"text":{"div":"<div/>"}}"#,
    );
}
