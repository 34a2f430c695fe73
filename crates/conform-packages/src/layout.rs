//! Which files of a package mean what. Tarballs and unpacked folders share
//! one layout (paths below are relative to the `package/` folder), so this is
//! the one place that decides it.

/// The role of a file inside a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `package.json`.
    Manifest,
    /// `.index.json`.
    Index,
    /// A top-level `*.json`: one of the package's conformance resources.
    Resource,
    /// `example/*.json` or `examples/*.json`: instances users want to validate.
    Example,
    /// Anything else (`other/`, `xml/`, `openapi/`, `.index.db`, ...).
    Ignored,
}

/// Classifies a path given as components relative to the package folder.
pub(crate) fn role(parts: &[&str]) -> Role {
    match parts {
        ["package.json"] => Role::Manifest,
        [".index.json"] => Role::Index,
        [name] if is_json_name(name) => Role::Resource,
        ["example" | "examples", name] if is_json_name(name) => Role::Example,
        _ => Role::Ignored,
    }
}

/// Classifies a tarball entry path (components including the leading
/// `package`); entries outside `package/` are ignored.
pub(crate) fn tar_role(parts: &[String]) -> Role {
    match parts.split_first() {
        Some((root, rest)) if root == "package" => {
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            role(&rest)
        }
        _ => Role::Ignored,
    }
}

/// `*.json`, not a dot-file (those are tool indexes, not resources).
fn is_json_name(name: &str) -> bool {
    !name.starts_with('.')
        && name.len() > 5
        && name
            .get(name.len() - 5..)
            .is_some_and(|ext| ext.eq_ignore_ascii_case(".json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_npm_layout() {
        assert_eq!(role(&["package.json"]), Role::Manifest);
        assert_eq!(role(&[".index.json"]), Role::Index);
        assert_eq!(role(&["StructureDefinition-Patient.json"]), Role::Resource);
        assert_eq!(role(&["example", "Patient-1.json"]), Role::Example);
        assert_eq!(role(&["examples", "Patient-1.json"]), Role::Example);
        assert_eq!(role(&["examples", ".index.json"]), Role::Ignored);
        assert_eq!(role(&["other", "spec.internals"]), Role::Ignored);
        assert_eq!(role(&["xml", "a.json"]), Role::Ignored);
        assert_eq!(role(&[".index.db"]), Role::Ignored);
        assert_eq!(
            tar_role(&["package".into(), "a.json".into()]),
            Role::Resource
        );
        assert_eq!(tar_role(&["a.json".into()]), Role::Ignored);
    }
}
