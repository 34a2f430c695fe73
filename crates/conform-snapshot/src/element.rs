//! ElementDefinitions as JSON objects. Generation copies base elements and
//! overwrites some properties; keeping them as JSON (rather than a typed
//! model) carries every property, extension and `_primitive` companion
//! through untouched, including ones this crate knows nothing about.

use serde_json::{Map, Value};

/// One ElementDefinition.
pub(crate) type Element = Map<String, Value>;

/// Read access to the ElementDefinition properties generation relies on.
/// Missing or mistyped properties read as absent (never a panic): inputs
/// are checked for the properties that matter before generation starts.
pub(crate) trait ElementExt {
    fn str_of(&self, key: &str) -> Option<&str>;
    fn path(&self) -> &str;
    fn set_path(&mut self, path: String);
    fn id(&self) -> Option<&str>;
    fn slice_name(&self) -> Option<&str>;
    fn has_slicing(&self) -> bool;
    fn slicing(&self) -> Option<&Map<String, Value>>;
    fn types(&self) -> &[Value];
    fn has_types(&self) -> bool;
    fn min(&self) -> Option<u64>;
    fn max(&self) -> Option<&str>;
    fn content_reference(&self) -> Option<&str>;
    fn describe(&self) -> String;
}

impl ElementExt for Element {
    fn str_of(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    fn path(&self) -> &str {
        self.str_of("path").unwrap_or("")
    }

    fn set_path(&mut self, path: String) {
        self.insert("path".into(), Value::String(path));
    }

    fn id(&self) -> Option<&str> {
        self.str_of("id")
    }

    fn slice_name(&self) -> Option<&str> {
        self.str_of("sliceName").filter(|s| !s.is_empty())
    }

    fn has_slicing(&self) -> bool {
        self.slicing().is_some_and(|s| !s.is_empty())
    }

    fn slicing(&self) -> Option<&Map<String, Value>> {
        self.get("slicing").and_then(Value::as_object)
    }

    fn types(&self) -> &[Value] {
        self.get("type")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn has_types(&self) -> bool {
        !self.types().is_empty()
    }

    fn min(&self) -> Option<u64> {
        self.get("min").and_then(Value::as_u64)
    }

    fn max(&self) -> Option<&str> {
        self.str_of("max")
    }

    fn content_reference(&self) -> Option<&str> {
        self.str_of("contentReference").filter(|s| !s.is_empty())
    }

    /// How messages name the element: its id when it has one, else its path
    /// and slice name.
    fn describe(&self) -> String {
        match (self.id(), self.slice_name()) {
            (Some(id), _) => id.to_string(),
            (None, Some(s)) => format!("{}:{s}", self.path()),
            (None, None) => self.path().to_string(),
        }
    }
}

/// `max` as a number: `*` (and anything unreadable) is unbounded.
pub(crate) fn max_as_int(max: Option<&str>) -> u64 {
    match max {
        Some(m) => m.parse().unwrap_or(u64::MAX),
        None => u64::MAX,
    }
}

/// More than one repetition allowed (`*` or > 1).
pub(crate) fn unbounded(e: &Element) -> bool {
    !matches!(e.max(), None | Some("1") | Some("0"))
}

/// Removes every property starting with `prefix` that is a choice of it
/// (`fixedUri`, `_fixedUri`...), so that a new `fixed[x]` replaces the old
/// one whatever its type.
pub(crate) fn remove_choice(e: &mut Element, prefix: &str) {
    let upper = |k: &str| k.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    e.retain(|k, _| {
        let bare = k.strip_prefix('_').unwrap_or(k);
        !(bare.strip_prefix(prefix).is_some_and(upper))
    });
}

/// The properties of a choice (`fixed[x]` → `fixedUri` and `_fixedUri`).
pub(crate) fn choice_entries(e: &Element, prefix: &str) -> Vec<(String, Value)> {
    let upper = |k: &str| k.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    e.iter()
        .filter(|(k, _)| {
            let bare = k.strip_prefix('_').unwrap_or(k);
            bare.strip_prefix(prefix).is_some_and(upper)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
