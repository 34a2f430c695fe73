//! A StructureDefinition reduced to what generation reads: identity, kind
//! and the snapshot elements. Shared (`Rc`) because the same base and
//! datatype definitions are walked many times in one generation.

use serde_json::Value;

use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;

/// A definition with a snapshot, loaded or generated.
#[derive(Debug)]
pub(crate) struct Structure {
    pub url: String,
    /// `type` (`Patient`, `Extension`, ...).
    pub type_name: String,
    /// `kind` (`resource`, `complex-type`, `primitive-type`, `logical`).
    pub kind: String,
    /// The snapshot elements, each an object with a string `path`.
    pub elements: Vec<Element>,
}

impl Structure {
    /// Reads `sd`'s snapshot. Fails (naming the definition) when the
    /// snapshot is empty or an element has no path, since every later step
    /// relies on paths.
    pub fn from_snapshot(sd: &Value) -> Result<Structure, SnapshotError> {
        let url = label(sd);
        let elements = sd
            .pointer("/snapshot/element")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let elements = checked_elements(elements, &url, "snapshot")?;
        if elements.is_empty() {
            return Err(SnapshotError::Invalid {
                profile: url,
                reason: "the snapshot is empty".into(),
            });
        }
        Ok(Structure {
            url,
            type_name: str_of(sd, "type").to_string(),
            kind: str_of(sd, "kind").to_string(),
            elements,
        })
    }
}

/// Has a non-empty snapshot.
pub(crate) fn has_snapshot(sd: &Value) -> bool {
    sd.pointer("/snapshot/element")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

/// Copies `list` as elements, requiring each to be an object with a
/// non-empty string path.
pub(crate) fn checked_elements(
    list: &[Value],
    profile: &str,
    part: &str,
) -> Result<Vec<Element>, SnapshotError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let Some(e) = v.as_object() else {
            return Err(SnapshotError::Invalid {
                profile: profile.to_string(),
                reason: format!("{part}.element[{i}] is not an object"),
            });
        };
        if e.path().is_empty() {
            return Err(SnapshotError::Invalid {
                profile: profile.to_string(),
                reason: format!("{part}.element[{i}] has no path"),
            });
        }
        let mut e = e.clone();
        normalise_cardinality(&mut e);
        out.push(e);
    }
    Ok(out)
}

/// `max` written as a number and `min` as a string are read as the
/// reference's parser reads them (`0` → `"0"`, `"1"` → `1`), so they do
/// not leak into the snapshot mistyped.
fn normalise_cardinality(e: &mut Element) {
    if let Some(n) = e.get("max").and_then(Value::as_u64) {
        e.insert("max".into(), Value::String(n.to_string()));
    }
    if let Some(n) = e
        .get("min")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok())
    {
        e.insert("min".into(), Value::from(n));
    }
}

/// A string property of the StructureDefinition, or "".
pub(crate) fn str_of<'a>(sd: &'a Value, key: &str) -> &'a str {
    sd.get(key).and_then(Value::as_str).unwrap_or("")
}

/// How messages name a StructureDefinition: its url, else its id.
pub(crate) fn label(sd: &Value) -> String {
    let url = str_of(sd, "url");
    if !url.is_empty() {
        return url.to_string();
    }
    match sd.get("id").and_then(Value::as_str) {
        Some(id) => format!("StructureDefinition/{id}"),
        None => "(StructureDefinition without url)".to_string(),
    }
}
