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

/// R4's canonical resources (what `canonical` target profiles may name).
const CANONICAL_RESOURCES: &[&str] = &[
    "ActivityDefinition",
    "CapabilityStatement",
    "ChargeItemDefinition",
    "CodeSystem",
    "CompartmentDefinition",
    "ConceptMap",
    "EffectEvidenceSynthesis",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "GraphDefinition",
    "ImplementationGuide",
    "Library",
    "Measure",
    "MessageDefinition",
    "NamingSystem",
    "OperationDefinition",
    "PlanDefinition",
    "Questionnaire",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "RiskEvidenceSynthesis",
    "SearchParameter",
    "StructureDefinition",
    "StructureMap",
    "TerminologyCapabilities",
    "TestScript",
    "ValueSet",
];

/// What a profile URL names among the loaded definitions.
enum Named {
    /// A definition of this type (for a constraint: the type it
    /// constrains), and whether it is a modifier extension's.
    Type {
        name: String,
        modifier: bool,
    },
    /// Loaded, but not a type conform compiles (a logical model...).
    Other,
    Unknown,
}

impl Walker<'_> {
    pub(crate) fn structure_definition(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut found = Vec::new();
        for list in ["differential", "snapshot"] {
            let Some(holder) = doc.get(node, list) else {
                continue;
            };
            for (e, element) in items(doc, holder, "element").enumerate() {
                let path = doc.get_str(element, "path").unwrap_or_default();
                for (t, ty) in items(doc, element, "type").enumerate() {
                    let Some(code) = doc.get_str(ty, "code") else {
                        continue;
                    };
                    let at = format!("{list}.element[{e}].type[{t}]");
                    self.type_profiles(ty, &code, &path, &at, &mut found);
                    self.target_profiles(ty, &code, &path, &at, &mut found);
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

    fn type_profiles(
        &self,
        ty: NodeId,
        code: &str,
        path: &str,
        at: &str,
        found: &mut Vec<(NodeId, String, Severity, String)>,
    ) {
        for (i, (node, url)) in profile_values(self, ty, "profile").into_iter().enumerate() {
            let place = format!("{at}.profile[{i}]");
            let message = match self.named(&url) {
                Named::Unknown => Some((
                    Severity::Warning,
                    format!("Unable to resolve profile {url}"),
                )),
                Named::Other => None,
                Named::Type { name, .. } if !self.is_instance_of(&name, code) => Some((
                    Severity::Error,
                    format!(
                        "Profile {url} is for type {name}, but the {path} element has type {code}"
                    ),
                )),
                Named::Type { name, modifier } if name == "Extension" => {
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
                found.push((node, place, severity, message));
            }
        }
    }

    fn target_profiles(
        &self,
        ty: NodeId,
        code: &str,
        path: &str,
        at: &str,
        found: &mut Vec<(NodeId, String, Severity, String)>,
    ) {
        for (i, (node, url)) in profile_values(self, ty, "targetProfile")
            .into_iter()
            .enumerate()
        {
            let place = format!("{at}.targetProfile[{i}]");
            let required = match code {
                "Reference" | "CodeableReference" => "Resource",
                "canonical" => "Canonical Resource",
                _ => {
                    found.push((
                        node,
                        place,
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
                        place,
                        Severity::Warning,
                        format!("Unable to resolve profile {url}"),
                    ));
                    continue;
                }
                Named::Other => continue,
                Named::Type { name, .. } => name,
            };
            let allowed = if required == "Resource" {
                self.plans.is_resource_type(&name)
            } else {
                name == "Resource" || CANONICAL_RESOURCES.contains(&name.as_str())
            };
            if !allowed {
                found.push((node, place, Severity::Error, format!("Profile {url} is for type {name}, which is not a {required} (which is required because the {path} element has the type {code})")));
            }
        }
    }

    /// The type a profile URL is a definition of: a compiled profile's
    /// constrained type, or a type's own definition.
    fn named(&self, url: &str) -> Named {
        let bare = url.split('|').next().unwrap_or(url);
        let profiles = &self.plans.profiles;
        if let Some(p) = profiles.get(bare) {
            return Named::Type {
                name: p.type_name.clone(),
                modifier: p.is_modifier,
            };
        }
        if let Some(name) = bare
            .strip_prefix(CORE)
            .filter(|n| self.plans.by_name.contains_key(*n))
        {
            return Named::Type {
                name: name.to_string(),
                modifier: false,
            };
        }
        if profiles.failed.contains_key(bare) || self.plans.defined.contains(bare) {
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

/// The `profile` or `targetProfile` values of a type, with their nodes.
fn profile_values(walker: &Walker<'_>, ty: NodeId, key: &str) -> Vec<(NodeId, String)> {
    let doc = walker.doc;
    items(doc, ty, key)
        .filter_map(|n| doc.str(n).map(|s| (n, s.into_owned())))
        .collect()
}
