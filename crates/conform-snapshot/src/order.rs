//! Puts each generated element's properties in the ElementDefinition's
//! canonical order. Generation inserts properties as it goes (`base`,
//! `sliceName`, `slicing`...); without this the JSON would be correct but
//! hard to read and to diff against published snapshots.

use serde_json::{Map, Value};

/// ElementDefinition properties in specification order; a choice such as
/// `fixed[x]` is listed by its stem.
const ORDER: &[&str] = &[
    "id",
    "extension",
    "modifierExtension",
    "path",
    "representation",
    "sliceName",
    "sliceIsConstraining",
    "label",
    "code",
    "slicing",
    "short",
    "definition",
    "comment",
    "requirements",
    "alias",
    "min",
    "max",
    "base",
    "contentReference",
    "type",
    "defaultValue",
    "meaningWhenMissing",
    "orderMeaning",
    "fixed",
    "pattern",
    "example",
    "minValue",
    "maxValue",
    "maxLength",
    "condition",
    "constraint",
    "mustHaveValue",
    "valueAlternatives",
    "mustSupport",
    "isModifier",
    "isModifierReason",
    "isSummary",
    "binding",
    "mapping",
];

/// The rank of a property: its stem's place in [`ORDER`] (choices and
/// `_primitive` companions sort with their property); unknown ones last.
fn rank(key: &str) -> (usize, bool) {
    let bare = key.strip_prefix('_').unwrap_or(key);
    let is_choice_of = |stem: &str| {
        matches!(
            stem,
            "defaultValue" | "fixed" | "pattern" | "minValue" | "maxValue"
        ) && bare
            .strip_prefix(stem)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    };
    let pos = ORDER.iter().position(|k| *k == bare || is_choice_of(k));
    (pos.unwrap_or(ORDER.len()), key.starts_with('_'))
}

/// Reorders `e`'s properties (stable for equal ranks).
pub(crate) fn canonical(e: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(e).into_iter().collect();
    entries.sort_by_key(|(k, _)| rank(k));
    e.extend(entries);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_choices_with_their_stem() {
        let mut m =
            json!({"base": {}, "fixedUri": "x", "path": "a", "id": "a", "_fixedUri": {}, "zzz": 1})
                .as_object()
                .cloned()
                .unwrap_or_default();
        canonical(&mut m);
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "path", "base", "fixedUri", "_fixedUri", "zzz"]);
    }
}
