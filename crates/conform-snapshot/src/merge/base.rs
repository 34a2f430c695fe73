//! Copies from the base side: the `base` property every snapshot element
//! carries, templates taken from a type profile's root, the default
//! extension slicing and the slicing a differential refines.

use serde_json::{json, Map, Value};

use super::fields::{copy, union_by};
use crate::element::{choice_entries, Element, ElementExt};

/// Sets `derived.base` from `base`: the original definition's path and
/// cardinality, so every snapshot element says where it comes from.
pub(crate) fn update_from_base(derived: &mut Element, base: &Element) {
    let origin = base.get("base").and_then(Value::as_object);
    let mut b = Map::new();
    let path = match origin {
        Some(o) => o.get("path").cloned(),
        None => base.get("path").cloned(),
    };
    if let Some(p) = path {
        b.insert("path".into(), p);
    }
    let src = origin.unwrap_or(base);
    b.insert("min".into(), src.get("min").cloned().unwrap_or(json!(0)));
    if let Some(m) = src.get("max") {
        b.insert("max".into(), m.clone());
    }
    derived.insert("base".into(), Value::Object(b));
}

/// The slicing an extension element gets when a differential slices it
/// without saying how: by url, open, unordered.
pub(crate) fn extension_slicing() -> Value {
    json!({"discriminator": [{"type": "value", "path": "url"}], "ordered": false, "rules": "open"})
}

/// Extensions do not carry the generic Element documentation over: an
/// extension element's definition is its extension's (task 3970 in the
/// reference).
pub(crate) fn check_extension_doco(e: &mut Element) -> bool {
    let p = e.path();
    let is_extension =
        (p == "Extension" || p.ends_with(".extension") || p.ends_with(".modifierExtension"))
            && e.pointer_str("/base/path") != Some("II.extension");
    if is_extension {
        e.insert("definition".into(), json!("An Extension"));
        e.insert("short".into(), json!("Extension"));
        for k in [
            "comment",
            "_comment",
            "requirements",
            "_requirements",
            "alias",
            "mapping",
        ] {
            e.remove(k);
        }
    }
    is_extension
}

/// A type profile's root element used as a template, completed from the
/// base element it replaces (Java `fillOutFromBase`).
pub(crate) fn fill_out_from_base(profile: &Element, usage: &Element) -> Element {
    let mut res = profile.clone();
    for key in [
        "sliceName",
        "label",
        "definition",
        "short",
        "comment",
        "requirements",
        "min",
        "max",
        "example",
        "maxLength",
        "mustSupport",
        "mustHaveValue",
        "binding",
    ] {
        if !res.contains_key(key) {
            if let Some(v) = usage.get(key) {
                res.insert(key.into(), v.clone());
            }
        }
    }
    for prefix in ["fixed", "pattern", "minValue", "maxValue"] {
        if choice_entries(&res, prefix).is_empty() {
            for (k, v) in choice_entries(usage, prefix) {
                res.insert(k, v);
            }
        }
    }
    union_by(&mut res, usage, "code", |a, b| a == b);
    union_by(&mut res, usage, "alias", |a, b| a == b);
    union_by(&mut res, usage, "constraint", |a, b| {
        a.get("key") == b.get("key")
    });
    union_by(&mut res, usage, "extension", |a, b| {
        a.get("url") == b.get("url")
    });
    res
}

/// Slicing details a differential adds to a base that is already sliced:
/// ordered and rules replace, discriminators accumulate.
pub(crate) fn update_from_slicing(dst: &mut Map<String, Value>, src: &Map<String, Value>) {
    copy(dst, src, "ordered");
    if let Some(list) = src.get("discriminator").and_then(Value::as_array) {
        let target = dst
            .entry("discriminator")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(existing) = target {
            for d in list {
                let same =
                    |x: &Value| x.get("type") == d.get("type") && x.get("path") == d.get("path");
                if !existing.iter().any(same) {
                    existing.push(d.clone());
                }
            }
        }
    }
    copy(dst, src, "rules");
}

trait PointerStr {
    fn pointer_str(&self, pointer: &str) -> Option<&str>;
}

impl PointerStr for Element {
    fn pointer_str(&self, pointer: &str) -> Option<&str> {
        let mut parts = pointer.trim_start_matches('/').split('/');
        let first = self.get(parts.next()?)?;
        parts
            .try_fold(first, |v, p| v.get(p))
            .and_then(Value::as_str)
    }
}
