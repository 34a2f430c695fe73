//! Extensions: each extension against the definition its url names
//! (found among the loaded profiles and applied like a profile), where its
//! definition allows it to be used (`extension-context`), and urls no
//! loaded package defines (`extension-unknown`). The walk applies an
//! extension's definition to every extension it meets, so a profile that
//! names the same definition as a type profile leaves it to the walk
//! (`walk::walk_applies`).

use crate::finding::{rules, IssueCode, Severity};
use crate::walk::{Seg, Walker};
use conform_json::NodeId;

impl<'a> Walker<'a> {
    /// Checks an extension against its definition, found by url among the
    /// loaded profiles. The parts of a complex extension (relative urls)
    /// are checked by their parent's definition.
    pub(crate) fn extension(&mut self, node: NodeId) {
        let doc = self.doc;
        let Some(url_node) = doc.get(node, "url") else {
            return;
        };
        let Some(url) = doc.str(url_node) else { return };
        if !url.contains(':') {
            // A relative url names a part of the complex extension holding
            // it (checked by that extension's definition); anywhere else
            // an extension's url must be absolute.
            let in_extension = self
                .element_paths
                .last()
                .is_some_and(|p| p.starts_with("Extension."));
            if !in_extension {
                self.path.push(Seg::Name("url"));
                let message = format!("The extension url '{url}' must be an absolute URL (only the parts of a complex extension have relative urls)");
                self.error(IssueCode::Invalid, rules::EXTENSION_URL, url_node, message);
                self.path.pop();
            }
            return;
        }
        let plan = self.plans.profiles.get(&url);
        if let Some((_, version)) = url.split_once('|') {
            self.versioned_extension_url(url_node, &url, version, plan);
        }
        match plan {
            Some(plan) => {
                self.sub_extensions(node, &url, plan);
                self.extension_modifier(node, &url, plan);
                self.extension_context(node, &url, plan);
                self.extension_context_invariants(node, &url, plan);
                self.run_profile(node, plan);
            }
            None => self.unknown_extension(url_node, &url),
        }
    }

    /// Extension urls carry no version: `Extension.url` is the definition's
    /// canonical url, nothing more. As the reference does: a version
    /// is an error when the definition is found without it (checked against
    /// that definition all the same), and a warning when nothing is found
    /// with or without it (the url is then also unknown).
    fn versioned_extension_url(
        &mut self,
        at: NodeId,
        url: &str,
        version: &str,
        plan: Option<&crate::plan::profile::ProfilePlan>,
    ) {
        let (severity, message) = match plan {
            Some(p) if p.version.as_deref() == Some(version) => (Severity::Error, format!(
                "The extension url '{url}' must not carry a version: extension urls are the definition's url alone")),
            Some(p) => (Severity::Error, format!(
                "The extension url '{url}' must not carry a version; the extension was checked against the loaded version ({}) of its definition",
                p.version.as_deref().unwrap_or("without a version"))),
            None => (Severity::Warning, format!(
                "The extension url '{url}' carries a version, which extension urls do not, and no loaded definition matches it with or without the version")),
        };
        self.path.push(Seg::Name("url"));
        let offset = self.doc.offset(at);
        self.emit(
            severity,
            IssueCode::Invalid,
            rules::EXTENSION_URL,
            offset,
            None,
            message,
        );
        self.path.pop();
    }

    /// The type (or backbone path) of the element holding the extension
    /// being judged: `Patient` for `Patient.extension`.
    fn extension_holder_type(&self) -> Option<&'a str> {
        self.element_paths
            .last()
            .and_then(|p| p.rsplit_once('.'))
            .map(|(holder, _)| holder)
    }

    /// An extension's `contextInvariant`s: FHIRPath on the element holding
    /// the extension (with `%extension` bound to it) that must be true for
    /// the extension to be used there, such as questionnaire-minOccurs's
    /// "only on a required item, or with 0".
    fn extension_context_invariants(
        &mut self,
        node: NodeId,
        url: &str,
        plan: &crate::plan::profile::ProfilePlan,
    ) {
        if plan.context_invariants.is_empty() || !self.options.invariants {
            return;
        }
        let Some(&holder) = self.objects.last() else {
            return;
        };
        let holder_type = self.extension_holder_type();
        let focus = conform_fhirpath::NodeRef {
            node: Some(holder),
            companion: None,
            ty: holder_type.map(Into::into),
        };
        for &ci in &plan.context_invariants {
            let holds =
                self.inv
                    .holds_for_extension(self.doc, focus.clone(), &self.resources, ci, node);
            if holds == Some(false) {
                let expression = &self.plans.constraints[ci as usize].expression;
                let message = format!("The extension {url} is not allowed here: its context invariant '{expression}' does not hold");
                self.path.push(Seg::Name("url"));
                let at = self.doc.get(node, "url").unwrap_or(node);
                self.error(IssueCode::Structure, rules::EXTENSION_CONTEXT, at, message);
                self.path.pop();
            }
        }
    }

    /// The parts of a complex extension (relative urls) must be ones its
    /// definition defines.
    fn sub_extensions(
        &mut self,
        node: NodeId,
        url: &str,
        plan: &crate::plan::profile::ProfilePlan,
    ) {
        let doc = self.doc;
        let Some(parts) = doc.get(node, "extension") else {
            return;
        };
        for (i, &part) in doc.elements(parts).iter().enumerate() {
            let Some(at) = doc.get(part, "url") else {
                continue;
            };
            let Some(name) = doc.str(at) else { continue };
            if name.contains(':') || plan.sub_extensions.iter().any(|s| *s == *name) {
                continue;
            }
            let message = format!("The extension {url} defines no part '{name}'");
            self.path
                .extend([Seg::Name("extension"), Seg::Index(i as u32)]);
            self.path.push(Seg::Name("url"));
            self.error(IssueCode::Invalid, rules::EXTENSION_URL, at, message);
            self.path.truncate(self.path.len() - 3);
        }
    }

    /// A modifier extension changes the meaning of what holds it, so it
    /// must be in `modifierExtension`, where readers look for it; an
    /// ordinary one must not be there (R4 §2.22.1, "isModifier").
    fn extension_modifier(
        &mut self,
        node: NodeId,
        url: &str,
        plan: &crate::plan::profile::ProfilePlan,
    ) {
        let Some(in_modifier) = self
            .element_paths
            .last()
            .map(|p| p.ends_with(".modifierExtension"))
        else {
            return;
        };
        let message = match (plan.is_modifier, in_modifier) {
            (true, false) => format!("The extension {url} is a modifier extension, so it must be in modifierExtension, not extension"),
            (false, true) => format!("The extension {url} is not a modifier extension, so it must be in extension, not modifierExtension"),
            _ => return,
        };
        self.path.push(Seg::Name("url"));
        let at = self.doc.get(node, "url").unwrap_or(node);
        self.error(IssueCode::Structure, rules::EXTENSION_MODIFIER, at, message);
        self.path.pop();
    }

    /// The extension's definition says where it may be used; check the
    /// element holding it (by type, and by its path in the resource).
    pub(crate) fn extension_context(
        &mut self,
        node: NodeId,
        url: &str,
        plan: &crate::plan::profile::ProfilePlan,
    ) {
        if plan.contexts.is_empty() {
            return;
        }
        let n = self.element_paths.len();
        let Some(holder_type) = self.extension_holder_type() else {
            return;
        };
        let holder_path = n.checked_sub(2).map(|i| self.element_paths[i]);
        let is_resource = self.plans.is_resource_type(holder_type);
        // An `extension` context names the extension that may hold it,
        // directly or on its value (`Extension.value[x]`).
        let holder_url = (holder_type == "Extension" || holder_path == Some("Extension.value[x]"))
            .then(|| {
                self.objects
                    .iter()
                    .rev()
                    .find_map(|&h| self.doc.get_str(h, "url"))
            })
            .flatten();
        let allowed = plan.contexts.iter().any(|(kind, e)| {
            if kind == "fhirpath" {
                return false; // judged below, only when nothing else allows it
            }
            if kind == "extension" {
                return holder_url.as_deref() == Some(e.as_str());
            }
            e == holder_type
                || Some(e.as_str()) == holder_path
                || matches!(e.as_str(), "Element" | "Base")
                || (is_resource
                    && matches!(
                        e.as_str(),
                        "Resource" | "DomainResource" | "CanonicalResource" | "MetadataResource"
                    ))
                || (e == "BackboneElement" && holder_type.contains('.'))
        });
        // FHIRPath contexts select elements of the resource; one that
        // cannot be evaluated leaves the extension unjudged.
        let by_fhirpath = || {
            let holder = self.objects.last().copied();
            let mut selected = Some(false);
            for (_, e) in plan.contexts.iter().filter(|(kind, _)| kind == "fhirpath") {
                let selects =
                    holder.and_then(|h| self.inv.context_selects(self.doc, &self.resources, e, h));
                match selects {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => selected = None,
                }
            }
            selected
        };
        if !allowed && by_fhirpath() == Some(false) {
            let place = holder_path.unwrap_or(holder_type);
            let list: Vec<String> = plan
                .contexts
                .iter()
                .map(|(kind, e)| match kind.as_str() {
                    "extension" => format!("inside the extension {e}"),
                    _ => e.clone(),
                })
                .collect();
            let message = format!(
                "The extension {url} is not allowed on {place} (its definition allows: {})",
                list.join(", ")
            );
            // HL7's own extensions have widened their contexts since R4
            // (the reference validator loads the newer definitions), so a
            // mismatch there is a warning; elsewhere it is an error.
            let severity = if url.starts_with("http://hl7.org/fhir/StructureDefinition/") {
                Severity::Warning
            } else {
                Severity::Error
            };
            let offset = self.doc.offset(node);
            self.emit(
                severity,
                IssueCode::Structure,
                rules::EXTENSION_CONTEXT,
                offset,
                None,
                message,
            );
        }
    }

    /// An extension url that is in no loaded package. Like the reference
    /// validator: example domains are allowed, HL7's own (whose newer
    /// extensions package we may not hold) get a warning, others an error.
    pub(crate) fn unknown_extension(&mut self, at: NodeId, url: &str) {
        const EXAMPLE_DOMAINS: &[&str] = &[
            "example.org",
            "example.com",
            "acme.com",
            "acme.org",
            "nema.org",
            "hl7.org/fhir/tools/",
        ];
        let example = EXAMPLE_DOMAINS.iter().any(|d| url.contains(d));
        if (example && self.options.allow_example_urls) || self.options.extension_domain_allows(url)
        {
            return;
        }
        self.path.push(Seg::Name("url"));
        if example {
            let message = format!("Example URLs are not allowed in this context ({url})");
            self.error(IssueCode::Structure, rules::EXTENSION_UNKNOWN, at, message);
        }
        if url.starts_with("http://hl7.org/fhir/") || url.starts_with("http://terminology.hl7.org/")
        {
            let message = format!("The extension {url} is not in the loaded packages, so its use could not be checked");
            self.emit(
                Severity::Warning,
                IssueCode::Structure,
                rules::EXTENSION_UNKNOWN,
                self.doc.offset(at),
                None,
                message,
            );
        } else {
            let message = format!("The extension {url} could not be found so is not allowed here (load the package that defines it with --ig)");
            self.error(IssueCode::Structure, rules::EXTENSION_UNKNOWN, at, message);
        }
        self.path.pop();
    }
}
