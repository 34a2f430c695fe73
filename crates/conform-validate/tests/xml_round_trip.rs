//! FHIR JSON → XML → JSON gives back the same JSON value for every official
//! R4 and STU3 example, and the XML written is read without an XML finding
//! (elements in definition order, none empty, namespaces right).

mod common;

use conform_validate::Validator;

/// Round-trips every example in `dir`; returns the files that do not come
/// back identical, with why.
fn round_trip_folder(v: &Validator, dir: &str, expected: usize) -> Vec<String> {
    let files = common::example_files(dir, expected);
    let model = v.xml_model();
    let mut problems = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let original: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let doc = conform_json::parse(&bytes).unwrap();
        let xml = match conform_xml::to_xml(&doc, &model) {
            Ok(x) => x,
            Err(e) => {
                problems.push(format!("{name}: to XML: {e}"));
                continue;
            }
        };
        let back = match conform_xml::read(xml.as_bytes(), &model) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{name}: reading the XML written: {e}"));
                continue;
            }
        };
        if let Some(i) = back.issues.first() {
            problems.push(format!(
                "{name}: the XML written has XML findings: {} at {}: {}",
                i.rule, i.path, i.message
            ));
        }
        let json: serde_json::Value = match serde_json::from_str(&back.json) {
            Ok(j) => j,
            Err(e) => {
                problems.push(format!("{name}: the JSON read back does not parse: {e}"));
                continue;
            }
        };
        if json != original {
            problems.push(format!(
                "{name}: {}",
                first_difference(&original, &json, "")
            ));
        }
    }
    println!(
        "{}: {} of {} examples round-trip JSON → XML → JSON identically",
        dir,
        files.len() - problems.len(),
        files.len()
    );
    problems
}

/// Where two JSON values first differ, as a path, for failure messages.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> String {
    use serde_json::Value::*;
    match (a, b) {
        (Object(x), Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v != w => return first_difference(v, w, &format!("{at}.{k}")),
                    None => return format!("{at}.{k} lost"),
                    _ => {}
                }
            }
            match y.keys().find(|k| !x.contains_key(*k)) {
                Some(k) => format!("{at}.{k} added"),
                None => format!("{at} differs"),
            }
        }
        (Array(x), Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (v, w))| v != w)
            .map(|(i, (v, w))| first_difference(v, w, &format!("{at}[{i}]")))
            .unwrap_or_else(|| format!("{at} differs")),
        _ => format!("{at}: {a} became {b}"),
    }
}

#[test]
fn r4_examples_round_trip_through_xml() {
    let problems = round_trip_folder(common::r4(), "r4/examples", 703);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn stu3_examples_round_trip_through_xml() {
    let problems = round_trip_folder(common::stu3(), "stu3/examples", 634);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
