//! The passes after the walk (end of Java `generateSnapshot`): ids, the
//! check that every differential element was used, slice cardinality
//! sums, and assembling the output StructureDefinition.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::ids::generate_ids;
use crate::order::canonical;
use crate::paths::path_matches;
use crate::types::working_code;
use crate::walk::Walk;
use crate::Generated;

pub(crate) fn finish(
    walk: Walk,
    sd: &Value,
    type_name: &str,
    specialization: bool,
    logical: bool,
    base_mappings: &[Value],
    lenient: bool,
) -> Result<Generated, SnapshotError> {
    let Walk {
        url,
        diff,
        mut result,
        auto_slicing,
        mut issues,
        ..
    } = walk;
    let unmatched: Vec<String> = diff
        .iter()
        .filter(|d| !d.used && !d.synthetic)
        .map(|d| d.el.describe())
        .collect();
    if !unmatched.is_empty() {
        if !lenient {
            return Err(SnapshotError::Unmatched {
                profile: url,
                elements: unmatched,
            });
        }
        for e in &unmatched {
            issues.push(format!(
                "{url}: no match found for {e} in the generated snapshot: check that the path and definitions are legal in the differential (including order)"
            ));
        }
    }
    remove_prohibited_types(&mut result);
    if !logical && result.first().is_some_and(ElementExt::has_types) {
        return Err(SnapshotError::Invalid {
            profile: url,
            reason: "the generated snapshot's root element has a type".into(),
        });
    }
    for dup in generate_ids(&mut result) {
        issues.push(format!(
            "{url}: the id {dup} is used by more than one snapshot element"
        ));
    }
    let t = type_name.rsplit('/').next().unwrap_or(type_name);
    if let Some(bad) = result
        .iter()
        .find(|e| e.path().contains('.') && !e.path().starts_with(&format!("{t}.")))
    {
        return Err(SnapshotError::Element {
            profile: url,
            element: bad.describe(),
            message: format!("the element's path does not start with {t}."),
        });
    }
    if specialization {
        for e in result.iter_mut().filter(|e| !e.contains_key("base")) {
            let base = json!({"path": e.path(), "min": e.min().unwrap_or(0), "max": e.max().unwrap_or("*")});
            e.insert("base".into(), base);
        }
    }
    check_slice_counts(&mut result, &auto_slicing, &url, &mut issues);
    for e in result.iter_mut() {
        absolute_constraint_sources(e);
        canonical(e);
    }
    Ok(Generated {
        structure_definition: assemble(sd, result, base_mappings),
        issues,
    })
}

/// A choice type whose type slice is prohibited (max 0) is not allowed.
fn remove_prohibited_types(result: &mut [Element]) {
    for i in 0..result.len() {
        if result[i].types().len() < 2 {
            continue;
        }
        let path = result[i].path().to_string();
        let prohibited: Vec<String> = result[i]
            .types()
            .iter()
            .map(|t| working_code(t).to_string())
            .filter(|tc| {
                result[i + 1..].iter().any(|ed| {
                    path_matches(ed.path(), &path)
                        && matches!(ed.types(), [only] if working_code(only) == tc)
                        && ed.max() == Some("0")
                })
            })
            .collect();
        if let Some(Value::Array(list)) = result[i].get_mut("type") {
            list.retain(|t| !prohibited.iter().any(|p| p == working_code(t)));
        }
    }
}

/// Slice minimums must fit the slicer: an added extension slicer takes the
/// sum of its slices' minimums; otherwise a shortfall is reported.
fn check_slice_counts(
    result: &mut [Element],
    auto: &HashSet<usize>,
    url: &str,
    issues: &mut Vec<String>,
) {
    struct Counter {
        index: usize,
        sum: u64,
        names: HashSet<String>,
    }
    let dots = |p: &str| p.matches('.').count();
    let mut open: HashMap<String, Counter> = HashMap::new();
    let mut new_mins: Vec<(usize, u64)> = Vec::new();
    for (i, ed) in result.iter().enumerate() {
        let path = ed.path().to_string();
        if ed.has_slicing() {
            open.insert(
                path.clone(),
                Counter {
                    index: i,
                    sum: 0,
                    names: HashSet::new(),
                },
            );
        } else {
            let closing: Vec<String> = open
                .keys()
                .filter(|k| dots(k) >= dots(&path) && **k != path)
                .cloned()
                .collect();
            for k in closing {
                let Some(c) = open.remove(&k) else { continue };
                let slicer = &result[c.index];
                let min = slicer.min().unwrap_or(0);
                let repeats = slicer
                    .get("base")
                    .and_then(|b| b.get("max"))
                    .and_then(Value::as_str)
                    != Some("1");
                if c.sum > min && repeats {
                    if auto.contains(&c.index) {
                        new_mins.push((c.index, c.sum));
                    } else {
                        issues.push(format!(
                            "{url}: the slice definition for {} has a minimum of {min} but the slices add up to a minimum of {}",
                            slicer.describe(),
                            c.sum
                        ));
                    }
                }
            }
        }
        if let Some(name) = ed.slice_name() {
            match open.get_mut(&path) {
                Some(c) => {
                    c.sum += ed.min().unwrap_or(0);
                    if !c.names.insert(name.to_string()) {
                        issues.push(format!("{url}: duplicate slice name {name} on {}", ed.describe()));
                    }
                }
                None => issues.push(format!(
                    "{url}: the element {} launches straight into slicing without the slicing being set up first",
                    ed.describe()
                )),
            }
        }
    }
    for (i, min) in new_mins {
        result[i].insert("min".into(), json!(min));
    }
}

/// Constraint sources in old definitions may be type names
/// (`Element.ele-1`); the snapshot uses canonical URLs.
fn absolute_constraint_sources(e: &mut Element) {
    let Some(list) = e.get_mut("constraint").and_then(Value::as_array_mut) else {
        return;
    };
    for c in list.iter_mut().filter_map(Value::as_object_mut) {
        let Some(src) = c.get("source").and_then(Value::as_str) else {
            continue;
        };
        if crate::types::is_absolute_url(src) {
            continue;
        }
        let abs = match src.split_once('.') {
            Some((t, _)) => format!("{}{t}#{src}", crate::types::CORE),
            None => format!("{}{src}", crate::types::CORE),
        };
        c.insert("source".into(), json!(abs));
    }
}

/// `sd` with the new snapshot placed before the differential (the
/// specification's property order), and the base's mappings declared.
fn assemble(sd: &Value, elements: Vec<Element>, base_mappings: &[Value]) -> Value {
    let snapshot =
        json!({ "element": elements.into_iter().map(Value::Object).collect::<Vec<_>>() });
    let mut out = Map::new();
    let mut placed = false;
    if let Some(obj) = sd.as_object() {
        for (k, v) in obj {
            match k.as_str() {
                "snapshot" => continue,
                "differential" if !placed => {
                    out.insert("snapshot".into(), snapshot.clone());
                    placed = true;
                }
                _ => {}
            }
            out.insert(k.clone(), v.clone());
        }
    }
    if !placed {
        out.insert("snapshot".into(), snapshot);
    }
    add_base_mappings(&mut out, base_mappings);
    Value::Object(out)
}

fn add_base_mappings(out: &mut Map<String, Value>, base_mappings: &[Value]) {
    if base_mappings.is_empty() {
        return;
    }
    let mut list = out
        .get("mapping")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let before = list.len();
    for m in base_mappings {
        let uri = m.get("uri");
        if !list.iter().any(|x| x.get("uri") == uri) {
            list.push(m.clone());
        }
    }
    if list.len() != before {
        out.insert("mapping".into(), Value::Array(list));
    }
}
