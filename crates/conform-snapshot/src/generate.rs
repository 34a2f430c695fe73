//! One StructureDefinition's generation, from input checks to the walk
//! and the finishing passes. Re-entered (through [`Context::structure`])
//! for base definitions and type profiles that have no snapshot.

use std::rc::Rc;

use serde_json::Value;

use crate::context::{Context, MAX_GENERATION_DEPTH};
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::finish::finish;
use crate::sort::sort_differential;
use crate::structure::{checked_elements, label, str_of, Structure};
use crate::types::{code, working_code};
use crate::walk::Walk;
use crate::Generated;

/// Generates `sd`'s snapshot (ignoring any it has).
pub(crate) fn generate(ctx: &mut Context, sd: &Value) -> Result<Generated, SnapshotError> {
    let Some(obj) = sd.as_object() else {
        return Err(SnapshotError::NotAStructureDefinition(
            "not a JSON object".into(),
        ));
    };
    let rt = obj
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if rt != "StructureDefinition" {
        return Err(SnapshotError::NotAStructureDefinition(format!(
            "resourceType is {rt}"
        )));
    }
    let url = label(sd);
    if ctx.stack.contains(&url) {
        let mut stack = ctx.stack.clone();
        stack.push(url.clone());
        return Err(SnapshotError::Circular {
            profile: url,
            stack,
        });
    }
    if ctx.stack.len() >= MAX_GENERATION_DEPTH {
        return Err(SnapshotError::TooDeep {
            profile: url,
            element: "(base definitions)".into(),
            limit: MAX_GENERATION_DEPTH,
        });
    }
    ctx.stack.push(url.clone());
    let result = generate_checked(ctx, sd, &url);
    ctx.stack.pop();
    result
}

fn generate_checked(ctx: &mut Context, sd: &Value, url: &str) -> Result<Generated, SnapshotError> {
    let invalid = |reason: String| SnapshotError::Invalid {
        profile: url.to_string(),
        reason,
    };
    let type_name = str_of(sd, "type");
    if type_name.is_empty() {
        return Err(invalid("has no type".into()));
    }
    let base_url = str_of(sd, "baseDefinition");
    if base_url.is_empty() {
        return Err(SnapshotError::NoBaseDefinition {
            profile: url.to_string(),
        });
    }
    let derivation = str_of(sd, "derivation");
    let specialization = match derivation {
        "constraint" => false,
        "specialization" => true,
        "" => {
            return Err(invalid(
                "has no derivation, so it cannot be processed".into(),
            ))
        }
        other => return Err(invalid(format!("unknown derivation '{other}'"))),
    };
    let logical = str_of(sd, "kind") == "logical";
    let raw = sd
        .pointer("/differential/element")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut diff = checked_elements(raw, url, "differential")?;
    check_differential(&diff, type_name, url).map_err(invalid)?;
    if let Some(first) = diff.first_mut() {
        if !first.path().contains('.') {
            if first.has_slicing() {
                return Err(SnapshotError::SlicingAtRoot {
                    profile: url.to_string(),
                    path: first.path().to_string(),
                });
            }
            if first.has_types() && !logical {
                // A root restating the base type is harmless; anything else is not.
                match first.types() {
                    [t] if code(t) == type_name || working_code(t) == type_name => {
                        first.remove("type");
                    }
                    _ => {
                        return Err(invalid(
                            "the first differential element (the root) has a type".into(),
                        ))
                    }
                }
            }
        }
    }
    let base = ctx
        .structure(base_url)?
        .ok_or_else(|| SnapshotError::BaseNotFound {
            profile: url.to_string(),
            base: base_url.to_string(),
        })?;
    if !specialization && base.type_name != type_name {
        return Err(invalid(format!(
            "the base {base_url} is of type {} but this profile is of type {type_name}",
            base.type_name
        )));
    }
    let base = if specialization {
        Rc::new(renamed(&base, type_name))
    } else {
        base
    };
    let base_mappings = ctx
        .lookup(base_url)
        .and_then(|b| b.get("mapping"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut sorted = false;
    if !specialization {
        (diff, sorted) = sort_differential(ctx, base.clone(), diff);
    }
    let mut walk = Walk::new(ctx, url.to_string(), diff);
    if sorted {
        walk.issues.push(format!(
            "{url}: the differential is not in the base's element order; it was sorted first"
        ));
    }
    walk.run(base)?;
    let lenient = walk.ctx.options.lenient;
    finish(
        walk,
        sd,
        type_name,
        specialization,
        logical,
        &base_mappings,
        lenient,
    )
}

/// A specialisation walks its base's elements under its own type name.
fn renamed(base: &Structure, type_name: &str) -> Structure {
    let from = base.type_name.as_str();
    let rename = |s: &str| match s.strip_prefix(from) {
        Some(rest) if rest.is_empty() || rest.starts_with('.') || rest.starts_with(':') => {
            format!("{type_name}{rest}")
        }
        _ => s.to_string(),
    };
    let elements = base
        .elements
        .iter()
        .map(|e| {
            let mut e: Element = e.clone();
            let p = rename(e.path());
            e.set_path(p);
            if let Some(id) = e.id().map(&rename) {
                e.insert("id".into(), Value::String(id));
            }
            e
        })
        .collect();
    Structure {
        url: base.url.clone(),
        type_name: type_name.to_string(),
        kind: base.kind.clone(),
        elements,
    }
}

/// Far deeper than any FHIR element (the deepest R4 paths have about 10
/// segments); deeper paths are refused before anything recurses over them.
const MAX_PATH_SEGMENTS: usize = 100;

/// The reference's checks on differential paths: under the type, and
/// each name legal (no whitespace, no punctuation but a `[x]` suffix, at
/// most 64 characters).
fn check_differential(diff: &[Element], type_name: &str, url: &str) -> Result<(), String> {
    let t = type_name.rsplit('/').next().unwrap_or(type_name);
    for (i, ed) in diff.iter().enumerate() {
        let p = ed.path();
        let under = p.strip_prefix(t).is_some_and(|rest| rest.starts_with('.'));
        if !((i == 0 && p == t) || under) {
            return Err(format!(
                "illegal path '{p}' in the differential: it must start with '{t}.'{}",
                if i == 0 {
                    format!(" (or be '{t}')")
                } else {
                    String::new()
                }
            ));
        }
        if !p.contains('.') {
            continue;
        }
        if p.split('.').count() > MAX_PATH_SEGMENTS {
            return Err(format!(
                "illegal path '{}...' in the differential: more than {MAX_PATH_SEGMENTS} segments",
                p.chars().take(60).collect::<String>()
            ));
        }
        for part in p.split('.') {
            let bad = if part.is_empty() {
                Some("a name portion is missing".to_string())
            } else if part.chars().count() > 64 {
                Some("a name portion exceeds 64 characters".to_string())
            } else if let Some(c) = part.chars().find(|c| {
                c.is_whitespace() || ",:;'\"/|?!@#$%^&*(){}".contains(*c) || *c < ' ' || *c > 'z'
            }) {
                Some(format!("illegal character '{c}'"))
            } else if (part.contains('[') || part.contains(']'))
                && !part
                    .strip_suffix("[x]")
                    .is_some_and(|s| !s.contains('[') && !s.contains(']'))
            {
                Some("illegal characters (only a final [x] may use brackets)".to_string())
            } else {
                None
            };
            if let Some(why) = bad {
                return Err(format!(
                    "illegal path '{p}' in the differential of {url}: {why}"
                ));
            }
        }
    }
    Ok(())
}
