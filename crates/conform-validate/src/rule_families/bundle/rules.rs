//! The Bundle rules proper, run when the walk leaves a Bundle (see the
//! parent module for the table of rules).

use super::{has_reference, is_absolute, BundleIndex};
use crate::finding::{rules, IssueCode, Severity};
use crate::reference::Reference;
use crate::walk::{Seg, Walker};
use conform_json::NodeId;
use rustc_hash::{FxHashMap, FxHashSet};

/// Bundle types whose entries may omit `fullUrl` (R4 `bdl-…` and §2.36.4).
const FULL_URL_OPTIONAL: [&str; 4] = [
    "transaction",
    "transaction-response",
    "batch",
    "batch-response",
];
/// Paging relations, which only search sets and histories have.
const PAGING: [&str; 4] = ["first", "previous", "next", "last"];

impl<'a> Walker<'a> {
    /// The Bundle rules, run when the walk leaves the Bundle `node`.
    pub(crate) fn bundle(&mut self, node: NodeId, index: &BundleIndex) {
        self.bundle_links(node, index);
        self.bundle_full_urls(index);
        match index.kind.as_str() {
            "document" | "message" => self.document_or_message(node, index),
            "searchset" => self.search_set(node, index),
            _ => {}
        }
    }

    /// Reports at `place` (segments below the Bundle) and `extra` below it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bundle_report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        rule: &'static str,
        at: NodeId,
        place: &[Seg<'a>],
        extra: Option<&str>,
        message: String,
    ) {
        let depth = self.path.len();
        self.path.extend_from_slice(place);
        let offset = self.doc.offset(at);
        self.emit(severity, code, rule, offset, extra, message);
        self.path.truncate(depth);
    }

    fn bundle_links(&mut self, node: NodeId, index: &BundleIndex) {
        let doc = self.doc;
        let Some(links) = doc.get(node, "link") else {
            return;
        };
        let kind = index.kind.as_str();
        let search = matches!(kind, "searchset" | "history");
        let mut seen: FxHashSet<String> = FxHashSet::default();
        for (i, &link) in doc.elements(links).iter().enumerate() {
            let Some(rel) = doc.get_str(link, "relation") else {
                continue;
            };
            let at = doc.get(link, "relation").unwrap_or(link);
            let place = [Seg::Name("link"), Seg::Index(i as u32)];
            let unique = rel == "self" || (search && PAGING.contains(&rel.as_ref()));
            let problem = if !search && PAGING.contains(&rel.as_ref()) && !kind.is_empty() {
                Some(format!("A {kind} Bundle cannot have a '{rel}' link: paging relations belong to search sets and histories"))
            } else if unique && !seen.insert(rel.to_string()) {
                Some(format!(
                    "The Bundle has more than one '{rel}' link; there can be only one of each"
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                self.bundle_report(
                    Severity::Error,
                    IssueCode::Invalid,
                    rules::BUNDLE_LINK,
                    at,
                    &place,
                    Some("relation"),
                    message,
                );
            }
            if kind == "document" && rel == "stylesheet" {
                self.stylesheet(link, &place, index);
            }
        }
    }

    /// A document's stylesheet link: relative ones must be in the Bundle;
    /// an absolute one other than FHIR's own is external content (warned).
    fn stylesheet(&mut self, link: NodeId, place: &[Seg<'a>], index: &BundleIndex) {
        let doc = self.doc;
        let (Some(at), Some(url)) = (doc.get(link, "url"), doc.get_str(link, "url")) else {
            return;
        };
        if is_absolute(&url) {
            if url != "https://hl7.org/fhir/fhir.css" {
                let insecure = if url.starts_with("http://") {
                    ", and over plain http"
                } else {
                    ""
                };
                let message = format!("The document's stylesheet '{url}' is outside the document{insecure}: a reader may not be able to fetch it, and it can change what the document shows");
                self.bundle_report(
                    Severity::Warning,
                    IssueCode::BusinessRule,
                    rules::BUNDLE_LINK,
                    at,
                    place,
                    Some("url"),
                    message,
                );
            }
        } else if !index.by_type_id.contains_key(url.as_ref()) {
            let message = format!(
                "The document's stylesheet '{url}' is not an entry of the Bundle (Type/id)"
            );
            self.bundle_report(
                Severity::Error,
                IssueCode::NotFound,
                rules::BUNDLE_LINK,
                at,
                place,
                Some("url"),
                message,
            );
        }
    }

    fn bundle_full_urls(&mut self, index: &BundleIndex) {
        let doc = self.doc;
        let optional = FULL_URL_OPTIONAL.contains(&index.kind.as_str());
        let response = index.kind.ends_with("-response");
        let mut seen: FxHashMap<(String, Option<String>), usize> = FxHashMap::default();
        for (i, entry) in index.entries.iter().enumerate() {
            let place = [Seg::Name("entry"), Seg::Index(i as u32)];
            let Some(full_url) = entry.full_url.as_deref() else {
                if !optional && entry.object {
                    let message = format!("Every entry of a {} Bundle needs a fullUrl: the identity other entries refer to it by (only transactions and batches may leave it out)", if index.kind.is_empty() { "this" } else { &index.kind });
                    self.bundle_report(
                        Severity::Error,
                        IssueCode::Required,
                        rules::BUNDLE_FULLURL,
                        entry.node,
                        &place,
                        None,
                        message,
                    );
                } else if !response && entry.resource.is_some_and(|r| has_reference(doc, r)) {
                    let message = "This entry has no fullUrl, so the references in its resource cannot be resolved against it".to_string();
                    self.bundle_report(
                        Severity::Error,
                        IssueCode::Required,
                        rules::BUNDLE_REFERENCE,
                        entry.node,
                        &place,
                        None,
                        message,
                    );
                }
                continue;
            };
            let at = doc.get(entry.node, "fullUrl").unwrap_or(entry.node);
            let Some(resource) = entry.resource else {
                continue;
            };
            let fail = |w: &mut Self, message: String| {
                w.bundle_report(
                    Severity::Error,
                    IssueCode::Invalid,
                    rules::BUNDLE_FULLURL,
                    at,
                    &place,
                    Some("fullUrl"),
                    message,
                );
            };
            if !is_absolute(full_url) {
                fail(
                    self,
                    format!("The fullUrl must be an absolute URL (not '{full_url}')"),
                );
            } else if let Some(rt) = entry
                .resource_type
                .as_deref()
                .filter(|&t| self.plans.is_resource_type(t))
                // A fullUrl ending in the resource's type and id passes
                // whatever it is: parse (a URL parse) only the others.
                .filter(|&t| {
                    !entry
                        .id
                        .as_deref()
                        .is_some_and(|id| ends_with_type_id(full_url, t, id))
                })
            {
                // A RESTful fullUrl names the type and id of what it holds.
                if let Ok(Reference::Absolute {
                    resource: Some(named),
                    ..
                }) = crate::reference::parse(full_url)
                {
                    if named.version.is_none() {
                        match entry.id.as_deref() {
                            None => fail(self, format!("The fullUrl '{full_url}' is a RESTful URL, so the {rt} it holds needs the id it names")),
                            Some(id) => fail(self, format!("The fullUrl '{full_url}' does not match the resource it holds ({rt}/{id}): it should end with /{rt}/{id}")),
                        }
                    }
                }
            }
            // A canonical resource whose url is its fullUrl: then it is a
            // RESTful URL ending in the resource's id.
            if let Some(url) = doc.get_str(resource, "url") {
                // Decided only for a url that is the fullUrl (a URL parse).
                let restful = || {
                    entry
                        .id
                        .as_deref()
                        .is_some_and(|id| url.ends_with(&format!("/{id}")))
                        && matches!(
                            crate::reference::parse(&url),
                            Ok(Reference::Absolute {
                                resource: Some(_),
                                ..
                            })
                        )
                };
                let legacy = url.starts_with("http://hl7.org/fhir/v3/")
                    || url.starts_with("http://hl7.org/fhir/v2/");
                if url == full_url && !legacy && !restful() {
                    fail(self, format!("The resource's canonical url '{url}' is used as the entry's fullUrl, but it does not end with the resource's id ({})", entry.id.as_deref().unwrap_or("none")));
                }
            }
            let version = doc
                .get(resource, "meta")
                .and_then(|m| doc.get_str(m, "versionId"))
                .map(|v| v.into_owned());
            let key = (full_url.to_string(), version);
            if let Some(prev) = seen.get(&key) {
                let message = format!("The fullUrl '{full_url}' is used by entry {prev} too: entries with the same fullUrl must have different meta.versionId (bdl-7)");
                self.bundle_report(
                    Severity::Error,
                    IssueCode::Invalid,
                    rules::BUNDLE_DUPLICATE,
                    at,
                    &place,
                    Some("fullUrl"),
                    message,
                );
            } else {
                seen.insert(key, i);
            }
        }
    }

    pub(super) fn entry_issue(
        &mut self,
        severity: Severity,
        rule: &'static str,
        i: usize,
        at: NodeId,
        extra: Option<&str>,
        message: String,
    ) {
        let code = if severity == Severity::Error {
            IssueCode::Invalid
        } else {
            IssueCode::Informational
        };
        self.bundle_report(
            severity,
            code,
            rule,
            at,
            &[Seg::Name("entry"), Seg::Index(i as u32)],
            extra,
            message,
        );
    }

    /// Search sets (§3.1.1.4 of the search page): a `self` link saying
    /// what was searched, and `search.mode` agreeing with each entry.
    fn search_set(&mut self, node: NodeId, index: &BundleIndex) {
        let doc = self.doc;
        let self_link = doc.get(node, "link").and_then(|links| {
            doc.elements(links)
                .iter()
                .copied()
                .find(|&l| doc.get_str(l, "relation").as_deref() == Some("self"))
        });
        let searched: Vec<String> = match self_link.and_then(|l| doc.get_str(l, "url")) {
            Some(url) => self.searched_types(&url),
            None => {
                self.bundle_report(
                    Severity::Warning,
                    IssueCode::Invalid,
                    rules::BUNDLE_SEARCH,
                    node,
                    &[],
                    None,
                    "A search set should have a 'self' link saying which search it answers".into(),
                );
                Vec::new()
            }
        };
        let modes: Vec<Option<String>> = index
            .entries
            .iter()
            .map(|e| {
                doc.get(e.node, "search")
                    .and_then(|s| doc.get_str(s, "mode"))
                    .map(|m| m.into_owned())
            })
            .collect();
        if modes.iter().all(Option::is_none) {
            return;
        }
        for (i, e) in index.entries.iter().enumerate() {
            let Some(mode) = modes[i].as_deref() else {
                self.entry_issue(
                    Severity::Warning,
                    rules::BUNDLE_SEARCH,
                    i,
                    e.node,
                    None,
                    "Entries of a search set should say why they are there (search.mode)".into(),
                );
                continue;
            };
            let (Some(r), Some(rt)) = (e.resource, e.resource_type.as_deref()) else {
                self.entry_issue(
                    Severity::Error,
                    rules::BUNDLE_SEARCH,
                    i,
                    e.node,
                    None,
                    "An entry of a search set must hold a resource".into(),
                );
                continue;
            };
            let problem = match mode {
                "match" | "include" if e.id.is_none() => Some(format!(
                    "A {mode} of a search is a resource on the server, so it needs its id"
                )),
                "match" if !searched.is_empty() && !searched.iter().any(|t| t == rt) => {
                    Some(format!(
                        "A {rt} cannot be a match of a search for {}",
                        searched.join(", ")
                    ))
                }
                "outcome" if rt != "OperationOutcome" => Some(format!(
                    "An entry with search mode 'outcome' must be an OperationOutcome, not a {rt}"
                )),
                _ => None,
            };
            if let Some(message) = problem {
                self.entry_issue(
                    Severity::Error,
                    rules::BUNDLE_SEARCH,
                    i,
                    r,
                    Some("resource"),
                    message,
                );
            }
        }
    }

    /// The resource types a search URL asks for: the last path segment
    /// when it is a type, else its `_type` parameter.
    fn searched_types(&self, url: &str) -> Vec<String> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if let Some(last) = path.rsplit('/').next() {
            if self.plans.is_resource_type(last) {
                return vec![last.to_string()];
            }
        }
        query
            .split('&')
            .filter_map(|p| p.strip_prefix("_type="))
            .flat_map(|t| t.split(','))
            .map(str::to_string)
            .collect()
    }
}

/// Whether `url` ends with `/{type}/{id}`, without building that text.
fn ends_with_type_id(url: &str, resource_type: &str, id: &str) -> bool {
    url.strip_suffix(id)
        .and_then(|u| u.strip_suffix('/'))
        .and_then(|u| u.strip_suffix(resource_type))
        .is_some_and(|u| u.ends_with('/'))
}
