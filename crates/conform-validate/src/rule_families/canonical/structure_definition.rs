//! A StructureDefinition's element types (differential and snapshot), as
//! the reference validator's StructureDefinition check judges them: each
//! `type.profile` must be a definition of that type (a constraint on it,
//! or on a type it is an abstract ancestor of), an extension's profile a
//! modifier exactly where the element is `modifierExtension`, and each
//! `targetProfile` a resource's (for Reference) or a canonical resource's
//! (for canonical) definition, on a type that takes target profiles at
//! all. A profile no loaded package defines is a warning.

use super::items;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::NodeId;

const CORE: &str = "http://hl7.org/fhir/StructureDefinition/";

/// What a profile URL names among the loaded definitions.
enum Named<'p> {
    /// A definition of this type (for a constraint: the type it
    /// constrains), and whether it is a modifier extension's.
    Type {
        name: &'p str,
        modifier: bool,
    },
    /// Loaded, but not a type conform compiles (a logical model...).
    Other,
    Unknown,
}

/// Where a type sits: the list (`differential` or `snapshot`), the
/// element's and the type's index; made into a path only for a finding.
#[derive(Clone, Copy)]
struct Place {
    list: &'static str,
    element: usize,
    ty: usize,
}

impl Place {
    fn path(self, key: &str, i: usize) -> String {
        format!(
            "{}.element[{}].type[{}].{key}[{i}]",
            self.list, self.element, self.ty
        )
    }
}

type Found = Vec<(NodeId, String, Severity, String)>;

impl Walker<'_> {
    pub(crate) fn structure_definition(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut found = Vec::new();
        for list in ["differential", "snapshot"] {
            let Some(holder) = doc.get(node, list) else {
                continue;
            };
            for (e, element) in items(doc, holder, "element").enumerate() {
                let mut path = None;
                for (t, ty) in items(doc, element, "type").enumerate() {
                    // Most types name no profile: nothing to read then.
                    if doc.get(ty, "profile").is_none() && doc.get(ty, "targetProfile").is_none() {
                        continue;
                    }
                    let Some(code) = doc.get_str(ty, "code") else {
                        continue;
                    };
                    let path = path
                        .get_or_insert_with(|| doc.get_str(element, "path").unwrap_or_default());
                    let place = Place {
                        list,
                        element: e,
                        ty: t,
                    };
                    self.type_profiles(ty, &code, path, place, &mut found);
                    self.target_profiles(ty, &code, path, place, &mut found);
                }
            }
        }
        for (at, path, severity, message) in found {
            self.report(
                severity,
                IssueCode::Structure,
                rules::STRUCTURE_DEFINITION_TYPE_PROFILE,
                at,
                Some(&path),
                message,
            );
        }
    }

    fn type_profiles(&self, ty: NodeId, code: &str, path: &str, place: Place, found: &mut Found) {
        let doc = self.doc;
        for (i, node) in items(doc, ty, "profile").enumerate() {
            let Some(url) = doc.str(node) else { continue };
            let message = match self.named(&url) {
                Named::Unknown => Some((
                    Severity::Warning,
                    format!("Unable to resolve profile {url}"),
                )),
                Named::Other => None,
                Named::Type { name, .. } if !self.is_instance_of(name, code) => Some((
                    Severity::Error,
                    format!(
                        "Profile {url} is for type {name}, but the {path} element has type {code}"
                    ),
                )),
                Named::Type {
                    name: "Extension",
                    modifier,
                } => {
                    let modifier_place = path.ends_with(".modifierExtension");
                    match (modifier, modifier_place) {
                        (true, false) => Some((Severity::Error, format!("Profile {url} is for a modifier extension, but the {path} element is not a modifier"))),
                        (false, true) => Some((Severity::Error, format!("Profile {url} is not for a modifier extension, but the {path} element is a modifier"))),
                        _ => None,
                    }
                }
                Named::Type { .. } => None,
            };
            if let Some((severity, message)) = message {
                found.push((node, place.path("profile", i), severity, message));
            }
        }
    }

    fn target_profiles(&self, ty: NodeId, code: &str, path: &str, place: Place, found: &mut Found) {
        let doc = self.doc;
        for (i, node) in items(doc, ty, "targetProfile").enumerate() {
            let Some(url) = doc.str(node) else { continue };
            let at = || place.path("targetProfile", i);
            let required = match code {
                "Reference" | "CodeableReference" => "Resource",
                "canonical" => "Canonical Resource",
                _ => {
                    found.push((
                        node,
                        at(),
                        Severity::Error,
                        format!("Type {code} does not allow for target Profiles"),
                    ));
                    break;
                }
            };
            let name = match self.named(&url) {
                Named::Unknown => {
                    found.push((
                        node,
                        at(),
                        Severity::Warning,
                        format!("Unable to resolve profile {url}"),
                    ));
                    continue;
                }
                Named::Other => continue,
                Named::Type { name, .. } => name,
            };
            let allowed = if required == "Resource" {
                self.plans.is_resource_type(name)
            } else {
                name == "Resource" || crate::rule_families::CANONICAL_RESOURCES.contains(&name)
            };
            if !allowed {
                found.push((node, at(), Severity::Error, format!("Profile {url} is for type {name}, which is not a {required} (which is required because the {path} element has the type {code})")));
            }
        }
    }

    /// The type a profile URL is a definition of: a compiled profile's
    /// constrained type, or a type's own definition.
    fn named(&self, url: &str) -> Named<'_> {
        let bare = url.split('|').next().unwrap_or(url);
        // Most are the core's own type definitions (target profiles):
        // found by name before the profiles are searched.
        if let Some((name, _)) = bare
            .strip_prefix(CORE)
            .and_then(|n| self.plans.by_name.get_key_value(n))
        {
            return Named::Type {
                name,
                modifier: false,
            };
        }
        let profiles = &self.plans.profiles;
        if let Some(p) = profiles.get(bare) {
            return Named::Type {
                name: &p.type_name,
                modifier: p.is_modifier,
            };
        }
        // Cross-version extensions (`http://hl7.org/fhir/5.0/StructureDefinition/
        // extension-…`) are made by the reference from the other release's
        // definitions, which no package here holds: not judged.
        let cross_version = bare
            .strip_prefix("http://hl7.org/fhir/")
            .and_then(|rest| rest.split_once("/StructureDefinition/extension-"))
            .is_some_and(|(release, _)| release.contains('.'));
        if cross_version || profiles.failed.contains_key(bare) || self.plans.defined.contains(bare)
        {
            Named::Other
        } else {
            Named::Unknown
        }
    }

    /// Whether a definition of type `name` serves an element of type
    /// `code`: the same type, or `code` is an abstract type `name`
    /// specialises (a Patient profile for a `Resource` element), as the
    /// reference's isInstanceOf.
    fn is_instance_of(&self, name: &str, code: &str) -> bool {
        let code = code.strip_prefix(CORE).unwrap_or(code);
        let plan = |n: &str| self.plans.by_name.get(n).map(|&id| self.plans.get(id));
        let mut current = name.to_string();
        loop {
            if current == code {
                return true;
            }
            let Some(base) = plan(&current).and_then(|p| p.base.clone()) else {
                return false;
            };
            // Only abstract ancestors count (Resource, DomainResource...).
            if !plan(&base).is_some_and(|p| p.is_abstract) {
                return false;
            }
            current = base;
        }
    }
}
