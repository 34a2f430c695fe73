//! How each ElementDefinition property of a differential element applies
//! to its snapshot element: replace, append text, accumulate, or refuse.

use serde_json::{json, Map, Value};

use super::MergeInfo;
use crate::context::Context;
use crate::element::{max_as_int, Element, ElementExt};
use crate::error::SnapshotError;
use crate::typecheck::is_legal_type_constraint;
use crate::types::working_code;

/// Copies `key` (and its `_key` primitive extensions) when `source` has it.
pub(super) fn copy(dest: &mut Element, source: &Element, key: &str) {
    if let Some(v) = source.get(key) {
        dest.insert(key.into(), v.clone());
    }
    let ext = format!("_{key}");
    if let Some(v) = source.get(&ext) {
        dest.insert(ext, v.clone());
    }
}

/// Markdown: `...` at the start appends to the base text, else replaces it.
pub(super) fn merge_text(dest: &mut Element, source: &Element, key: &str) {
    let Some(text) = source.str_of(key) else {
        copy(dest, source, key);
        return;
    };
    match text.strip_prefix("...") {
        Some(more) => {
            let base = dest.str_of(key).unwrap_or("");
            let joined = if base.is_empty() {
                more.trim_start().to_string()
            } else {
                format!("{base}\r\n{}", more.trim_start())
            };
            dest.insert(key.into(), json!(joined));
        }
        None => copy(dest, source, key),
    }
}

pub(super) fn merge_cardinality(
    dest: &mut Element,
    source: &Element,
    info: &MergeInfo,
    issues: &mut Vec<String>,
) {
    if let Some(min) = source.get("min") {
        if let (Some(d), Some(b)) = (min.as_u64(), dest.min()) {
            if d < b && source.slice_name().is_none() {
                issues.push(format!(
                    "{}: element {}: derived min ({d}) cannot be less than the base min ({b})",
                    info.profile,
                    dest.path()
                ));
            }
        }
        dest.insert("min".into(), min.clone());
    }
    if let Some(max) = source.get("max") {
        let (d, b) = (max.as_str(), dest.max());
        if d != b && max_as_int(d) > max_as_int(b) {
            issues.push(format!(
                "{}: element {}: derived max ({}) cannot be greater than the base max ({})",
                info.profile,
                dest.path(),
                d.unwrap_or("?"),
                b.unwrap_or("?")
            ));
        }
        dest.insert("max".into(), max.clone());
    }
}

/// mustSupport (and mustHaveValue) may be added, not taken away.
pub(super) fn merge_flag(
    dest: &mut Element,
    source: &Element,
    key: &str,
    info: &MergeInfo,
    issues: &mut Vec<String>,
) {
    let Some(v) = source.get(key) else { return };
    if dest.get(key) == Some(&json!(true)) && v == &json!(false) {
        issues.push(format!(
            "{}: {}: illegal constraint [{key} = false] when [{key} = true] in the base profile",
            info.profile,
            source.path()
        ));
    }
    copy(dest, source, key);
}

pub(super) fn merge_binding(dest: &mut Element, source: &Element, issues: &mut Vec<String>) {
    let Some(db) = source.get("binding").and_then(Value::as_object) else {
        return;
    };
    let base = dest.get("binding").and_then(Value::as_object);
    if base == Some(db) {
        return;
    }
    let base_strength = base.and_then(|b| b.get("strength")).and_then(Value::as_str);
    let strength = db.get("strength").and_then(Value::as_str);
    if let (Some("required"), Some(s)) = (base_strength, strength) {
        if s != "required" {
            issues.push(format!(
                "{}: illegal attempt to change the binding from required to {s}",
                source.path()
            ));
        }
    }
    // The base's binding extensions (bindingName...) stay, the
    // differential's are added; the description is the differential's or
    // none (the base's would describe the base's value set).
    let mut extensions: Vec<Value> = base
        .and_then(|b| b.get("extension"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for ext in db
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let url = ext.get("url");
        match extensions.iter_mut().find(|x| x.get("url") == url) {
            Some(existing) => *existing = ext.clone(),
            None => extensions.push(ext.clone()),
        }
    }
    let mut nb = Map::new();
    if !extensions.is_empty() {
        nb.insert("extension".into(), Value::Array(extensions));
    }
    for key in [
        "strength",
        "_strength",
        "description",
        "_description",
        "valueSet",
        "_valueSet",
    ] {
        let from_base = !key.contains("description");
        let v = db
            .get(key)
            .or_else(|| base.and_then(|b| b.get(key)).filter(|_| from_base));
        if let Some(v) = v {
            nb.insert(key.into(), v.clone());
        }
    }
    for (k, v) in base.into_iter().flatten().chain(db.iter()) {
        if !nb.contains_key(k) && !k.contains("description") && !k.contains("extension") {
            nb.insert(k.clone(), v.clone());
        }
    }
    dest.insert("binding".into(), Value::Object(nb));
}

/// isSummary is fixed by the base specification.
pub(super) fn merge_is_summary(
    dest: &mut Element,
    source: &Element,
    info: &MergeInfo,
) -> Result<(), SnapshotError> {
    let Some(v) = source.get("isSummary") else {
        return Ok(());
    };
    match dest.get("isSummary") {
        Some(b) if b != v => Err(SnapshotError::Element {
            profile: info.profile.to_string(),
            element: source.describe(),
            message: format!(
                "base isSummary = {b}, derived isSummary = {v}: a profile cannot change isSummary"
            ),
        }),
        _ => {
            dest.insert("isSummary".into(), v.clone());
            Ok(())
        }
    }
}

pub(super) fn merge_types(
    ctx: &Context,
    dest: &mut Element,
    source: &Element,
    info: &MergeInfo,
) -> Result<(), SnapshotError> {
    if !source.has_types() || dest.get("type") == source.get("type") {
        return Ok(());
    }
    if dest.has_types() {
        for t in source.types() {
            if !is_legal_type_constraint(ctx, dest.types(), t) {
                let allowed: Vec<&str> = dest.types().iter().map(working_code).collect();
                return Err(SnapshotError::Element {
                    profile: info.profile.to_string(),
                    element: source.describe(),
                    message: format!(
                        "illegal constrained type {} (the base allows {})",
                        type_label(t),
                        allowed.join(" | ")
                    ),
                });
            }
        }
    }
    if let Some(t) = source.get("type") {
        dest.insert("type".into(), t.clone());
    }
    Ok(())
}

pub(super) fn type_label(t: &Value) -> String {
    let mut s = working_code(t).to_string();
    for key in ["profile", "targetProfile"] {
        if let Some(list) = t.get(key).and_then(Value::as_array) {
            let urls: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            s.push_str(&format!("({})", urls.join(", ")));
        }
    }
    s
}

/// Constraints accumulate: the base's keep (gaining a source), the
/// differential's are added unless the key is already there.
pub(super) fn merge_constraints(dest: &mut Element, source: &Element, info: &MergeInfo) {
    if let Some(list) = dest.get_mut("constraint").and_then(Value::as_array_mut) {
        for c in list.iter_mut().filter_map(Value::as_object_mut) {
            if !c.contains_key("source") && !info.source_url.is_empty() {
                c.insert("source".into(), json!(info.source_url));
            }
        }
    }
    union_by(dest, source, "constraint", |a, b| {
        a.get("key") == b.get("key")
    });
}

/// Appends `source[key]`'s items missing from `dest[key]` (by `same`).
pub(super) fn union_by(
    dest: &mut Element,
    source: &Element,
    key: &str,
    same: impl Fn(&Value, &Value) -> bool,
) {
    let Some(items) = source.get(key).and_then(Value::as_array) else {
        return;
    };
    let target = dest.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if !target.is_array() {
        *target = Value::Array(Vec::new());
    }
    if let Value::Array(list) = target {
        for item in items {
            if !list.iter().any(|x| same(x, item)) {
                list.push(item.clone());
            }
        }
    }
}
