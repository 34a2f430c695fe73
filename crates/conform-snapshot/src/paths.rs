//! Element path arithmetic, as the reference implementation does it (choice
//! types make `value[x]` match `valueQuantity`; type expansions re-root a
//! datatype's paths under the element being expanded). All slicing is
//! bounds-checked: paths come from user input.

/// The last segment of a path.
pub(crate) fn tail(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Everything after the first segment (`Identifier.system` → `system`), or
/// the whole path when it has one segment.
fn after_root(path: &str) -> &str {
    path.split_once('.').map_or(path, |(_, rest)| rest)
}

/// `p1` is within `p2` (a prefix ending in `.`), where `p2` may end in a
/// choice `[x].` that `p1` renames.
pub(crate) fn path_starts_with(p1: &str, p2: &str) -> bool {
    p1.starts_with(p2)
        || p2
            .strip_suffix("[x].")
            .is_some_and(|stem| p1.starts_with(stem))
}

/// `p1` is `p2`, or a rename of the choice `p2` (no deeper segment).
pub(crate) fn path_matches(p1: &str, p2: &str) -> bool {
    if p1 == p2 {
        return true;
    }
    match p2.strip_suffix("[x]") {
        Some(stem) => p1
            .strip_prefix(stem)
            .is_some_and(|rest| !rest.contains('.')),
        None => false,
    }
}

/// One path segment matches another when equal or when either is a choice
/// the other renames.
pub(crate) fn is_same_base(p: &str, sp: &str) -> bool {
    p.strip_suffix("[x]")
        .is_some_and(|stem| sp.starts_with(stem))
        || sp
            .strip_suffix("[x]")
            .is_some_and(|stem| p.starts_with(stem))
}

/// A redirection into a content reference: paths under the referenced
/// element are reported under this path.
#[derive(Debug, Clone)]
pub(crate) struct Redirect {
    pub path: String,
}

/// The path the differential uses for a base element (`pathSimple`) when
/// the base is a datatype expanded at `context` (Java `fixedPathSource`).
pub(crate) fn fixed_path_source(
    context: Option<&str>,
    path: &str,
    redirector: &[Redirect],
) -> String {
    let Some(context) = context else {
        return path.to_string();
    };
    match redirector.last() {
        Some(r) => {
            let ptail = if context.len() >= path.len() {
                after_root(path)
            } else {
                path.get(context.len() + 1..).unwrap_or("")
            };
            format!("{}.{ptail}", r.path)
        }
        None => format!("{context}.{}", after_root(path)),
    }
}

/// The path a base element gets in the snapshot (Java `fixedPathDest`).
pub(crate) fn fixed_path_dest(
    context: Option<&str>,
    path: &str,
    redirector: &[Redirect],
    redirect_source: Option<&str>,
) -> String {
    let Some(context) = context else {
        return path.to_string();
    };
    if !redirector.is_empty() {
        let source_len = redirect_source.map_or(0, str::len);
        let ptail = if source_len >= path.len() {
            after_root(path)
        } else {
            path.get(source_len + 1..).unwrap_or("")
        };
        format!("{context}.{ptail}")
    } else {
        format!("{context}.{}", after_root(path))
    }
}

/// The path of the type slicer a renamed choice implies: the differential
/// element's parent path with the base's `[x]` name.
pub(crate) fn type_slice_path(path: &str, cpath: &str) -> String {
    let head = path.rsplit_once('.').map_or(path, |(h, _)| h);
    format!("{head}.{}", tail(cpath))
}

/// `value[x]` → `value`.
pub(crate) fn root_name(cpath: &str) -> String {
    tail(cpath).replace("[x]", "")
}

/// First letter upper case (`string` → `String`).
pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// First letter lower case (`String` → `string`).
pub(crate) fn uncapitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `s` without its first `n` bytes, or empty when that is not a boundary.
pub(crate) fn skip_bytes(s: &str, n: usize) -> &str {
    s.get(n..).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_paths_match_renames() {
        assert!(path_matches(
            "Observation.valueQuantity",
            "Observation.value[x]"
        ));
        assert!(!path_matches(
            "Observation.valueQuantity.unit",
            "Observation.value[x]"
        ));
        assert!(path_starts_with(
            "Observation.valueQuantity.unit",
            "Observation.value[x]."
        ));
        assert!(is_same_base("value[x]", "valueQuantity"));
        assert!(is_same_base("valueQuantity", "value[x]"));
    }

    #[test]
    fn datatype_paths_are_rerooted() {
        assert_eq!(
            fixed_path_source(Some("Patient.identifier"), "Identifier.system", &[]),
            "Patient.identifier.system"
        );
        assert_eq!(
            fixed_path_dest(Some("Observation.value[x]"), "Quantity.unit", &[], None),
            "Observation.value[x].unit"
        );
        assert_eq!(fixed_path_source(None, "Patient.name", &[]), "Patient.name");
    }

    #[test]
    fn type_slice_paths() {
        assert_eq!(
            type_slice_path("Observation.valueQuantity", "Observation.value[x]"),
            "Observation.value[x]"
        );
        assert_eq!(root_name("Observation.value[x]"), "value");
        assert_eq!(capitalize("string"), "String");
        assert_eq!(uncapitalize("Quantity"), "quantity");
    }
}
