//! References: the literal reference of a `Reference` read with the one
//! parser ([`crate::reference`]), its form (`reference-format`), a `#id`
//! that names no contained resource (`contained-not-found`), and the type
//! it points to against the element's target types (`reference-target`),
//! which a profile may narrow.

use crate::finding::{rules, IssueCode, Severity};
use crate::plan::{ElementType, Plans};
use crate::reference::{Reference, ReferenceError};
use crate::rule_families::Report;
use crate::walk::{Seg, Walker};
use conform_json::{Document, NodeId};

impl<'a> Walker<'a> {
    // ---- references --------------------------------------------------------

    pub(crate) fn reference(&mut self, node: NodeId, t: &ElementType) {
        let doc = self.doc;
        let Some(rnode) = doc.get(node, "reference") else {
            return;
        };
        let Some(r) = doc.str(rnode) else { return };
        let target: Option<String> = match crate::reference::parse(&r) {
            Ok(Reference::Contained(id)) => {
                self.local_reference(id);
                if id.is_empty() {
                    None // the containing resource itself
                } else {
                    match self.contained.last().and_then(|c| c.ids.get(id)) {
                        Some(&(tid, _, _)) => Some(self.plans.get(tid).name.clone()),
                        None => {
                            self.path.push(Seg::Name("reference"));
                            self.error(IssueCode::NotFound, rules::CONTAINED_NOT_FOUND, rnode, format!("The reference '{r}' does not match the id of any contained resource"));
                            self.path.pop();
                            return;
                        }
                    }
                }
            }
            // a urn names an entry of the Bundle, if it is in one
            Ok(Reference::Urn(_)) => self
                .bundled_type(rnode, &r, None)
                .or_else(|| self.must_resolve(rnode, &r, None)),
            // an absolute URL names a type only on a FHIR base
            Ok(parsed @ Reference::Absolute { .. }) => self
                .bundled_type(rnode, &r, parsed.resource_type())
                .or_else(|| {
                    self.must_resolve(
                        rnode,
                        &r,
                        parsed
                            .resource()
                            .map(|x| (x.resource_type.as_ref(), x.id.as_ref())),
                    )
                    .or_else(|| {
                        parsed
                            .resource_type()
                            .filter(|t| self.plans.is_resource_type(t))
                            .filter(|_| self.options.types_unresolved_references())
                            .map(str::to_string)
                    })
                }),
            Ok(parsed) => {
                let ty = parsed.resource_type().unwrap_or_default();
                if self.plans.is_resource_type(ty) {
                    let resolved = self.bundled_type(rnode, &r, Some(ty));
                    resolved.or_else(|| {
                        // a conditional reference is a search, not a resource
                        let fetched = parsed.resource().and_then(|x| {
                            self.must_resolve(rnode, &r, Some((&x.resource_type, &x.id)))
                        });
                        fetched.or_else(|| {
                            self.options
                                .types_unresolved_references()
                                .then(|| ty.to_string())
                        })
                    })
                } else {
                    let why = match parsed {
                        Reference::Conditional { resource_type, .. } => {
                            ReferenceError::ConditionalType(resource_type.to_string())
                        }
                        _ => ReferenceError::NotAType(ty.to_string()),
                    };
                    self.reference_format(rnode, &r, why);
                    return;
                }
            }
            Err(why) => {
                self.reference_format(rnode, &r, why);
                return;
            }
        };
        if let Some(ty) = target {
            target_type(self, rnode, &ty, &t.target_types);
        }
    }

    /// Under a reference policy that checks existence, a reference that
    /// resolves to nothing here must be found by the fetcher
    /// ([`crate::fetch`]): the type of the resource it finds is returned,
    /// to be checked against the element's target types. Without one, or
    /// when it finds nothing, it is an error; a resource of an enclosing
    /// Parameters (`type_id`) still answers it. Example domains are exempt
    /// when examples are allowed, as in the reference.
    fn must_resolve(
        &mut self,
        at: NodeId,
        r: &str,
        type_id: Option<(&str, &str)>,
    ) -> Option<String> {
        if !self.options.references_must_resolve()
            || (self.options.allow_example_urls
                && (r.contains("example.org") || r.contains("acme.com")))
            || type_id.is_some_and(|(t, id)| self.in_parameters(t, id))
        {
            return None;
        }
        let message = match self.external.map(|e| e.fetch(r, self.options.json_limits())) {
            Some(Ok(Some(found))) => return Some(found.resource_type.clone()),
            Some(Ok(None)) => format!("The reference '{r}' resolves to nothing here (neither a contained resource nor an entry of the Bundle) nor in the resources to resolve from, and the reference policy ({}) asks that it resolve", self.options.references),
            Some(Err(why)) => format!("The reference '{r}' names a resource that cannot be read ({why}), and the reference policy ({}) asks that it resolve", self.options.references),
            None => format!("The reference '{r}' resolves to nothing here (neither a contained resource nor an entry of the Bundle), and the reference policy ({}) asks that it resolve: no resources to resolve from were given (--resolve-from)", self.options.references),
        };
        self.path.push(Seg::Name("reference"));
        self.error(
            IssueCode::NotFound,
            rules::REFERENCE_NOT_RESOLVED,
            at,
            message,
        );
        self.path.pop();
        None
    }

    /// Whether a Parameters resource around this place holds a resource of
    /// this type and id as a parameter (or part) value.
    fn in_parameters(&self, ty: &str, id: &str) -> bool {
        let doc = self.doc;
        self.resources.iter().any(|&r| {
            doc.get_str(r, "resourceType").as_deref() == Some("Parameters")
                && parameter_resources(doc, r).any(|res| {
                    doc.get_str(res, "resourceType").as_deref() == Some(ty)
                        && doc.get_str(res, "id").as_deref() == Some(id)
                })
        })
    }

    /// A reference text that is no literal reference conform can read. A
    /// relative reference is a URL relative to the server's base, and FHIR
    /// gives `Type/id` as the form "consistent with a FHIR API", not the
    /// only one: as in the reference, only a reference with blanks in it
    /// (no URL at all), a conditional reference whose search is not one,
    /// and, in a Bundle entry with a fullUrl (which relative references are
    /// resolved against), a relative one that is neither `Type/id` nor
    /// `Type/id/_history/version` in shape, are errors; any other shape is a
    /// warning to check it (`REFERENCE_REF_SUSPICIOUS`).
    pub(crate) fn reference_format(&mut self, at: NodeId, r: &str, why: ReferenceError) {
        let relative = !super::bundle::is_absolute(r)
            && !matches!(why, ReferenceError::ConditionalType(_))
            && !r.starts_with('#');
        let unresolvable_in_entry =
            relative && !matches!(r.matches('/').count(), 1 | 3) && self.in_entry_with_full_url();
        let invalid = r.contains(char::is_whitespace)
            || matches!(why, ReferenceError::InvalidQuery(_))
            || unresolvable_in_entry;
        let (severity, message) = if invalid {
            (
                Severity::Error,
                format!("The reference '{r}' is not valid: {why}"),
            )
        } else {
            (
                Severity::Warning,
                format!("The reference '{r}' looks incorrect and should be checked: {why}"),
            )
        };
        self.path.push(Seg::Name("reference"));
        self.emit(
            severity,
            IssueCode::Invalid,
            rules::REFERENCE_FORMAT,
            self.doc.offset(at),
            None,
            message,
        );
        self.path.pop();
    }
}

/// The resources a Parameters carries, in parameters and their parts.
fn parameter_resources<'d>(
    doc: &'d Document<'_>,
    parameters: NodeId,
) -> impl Iterator<Item = NodeId> + 'd {
    let mut stack: Vec<NodeId> = doc
        .get(parameters, "parameter")
        .map_or(&[][..], |a| doc.elements(a))
        .to_vec();
    std::iter::from_fn(move || {
        while let Some(p) = stack.pop() {
            if let Some(parts) = doc.get(p, "part") {
                stack.extend_from_slice(doc.elements(parts));
            }
            if let Some(res) = doc.get(p, "resource") {
                return Some(res);
            }
        }
        None
    })
}

/// A reference to a `ty` outside `allowed` (empty: any type may be
/// referenced); `at` is the `reference` string, reported under the
/// `Reference` value.
pub(crate) fn target_type(r: &mut impl Report, at: NodeId, ty: &str, allowed: &[String]) {
    if allowed.is_empty() || allowed.iter().any(|a| a == ty) {
        return;
    }
    let message = format!(
        "The reference points to {}, but only {} may be referenced here",
        crate::describe::with_article(ty),
        allowed.join(", ")
    );
    r.report(
        Severity::Error,
        IssueCode::Structure,
        rules::REFERENCE_TARGET,
        at,
        Some("reference"),
        message,
    );
}

/// The resource type a `Reference` value names by a relative or absolute
/// literal reference, when it is one of the loaded resource types (what a
/// profile's target types can be checked against).
pub(crate) fn literal_type(doc: &Document<'_>, node: NodeId, plans: &Plans) -> Option<String> {
    let r = doc.get_str(node, "reference")?;
    let parsed = crate::reference::parse(&r).ok()?;
    let ty = parsed.resource()?.resource_type.as_ref();
    plans.is_resource_type(ty).then(|| ty.to_string())
}

/// Whether the base walk has already reported `reference-target` for a
/// reference to `ty` from an element whose base type is `base`.
pub(crate) fn base_decides_target(base: Option<&ElementType>, ty: &str) -> bool {
    base.is_some_and(|t| !t.target_types.is_empty() && !t.target_types.iter().any(|a| a == ty))
}
