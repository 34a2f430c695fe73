//! Bundles: what a Bundle's `type` asks of its links and entries (FHIR R4
//! §2.36 "Bundle", §3.3 "Documents", §3.4 "Messaging"), how a reference in
//! one entry resolves to another entry (§2.36.4 "Resolving references in
//! Bundles"), and, for documents and messages, that every entry is reached
//! from the first. Severities follow the reference validator's Bundle rules.
//!
//! | rule | what |
//! |---|---|
//! | `bundle-link` | a link relation the type forbids (paging outside searches), or given twice |
//! | `bundle-entry` | a document or message without its first entry, or whose first entry is not a Composition / MessageHeader |
//! | `bundle-fullurl` | an entry without the `fullUrl` its type needs, one that is not absolute, or that disagrees with the resource's type, id or canonical `url` |
//! | `bundle-duplicate` | two entries with one `fullUrl` and version (`bdl-7`) |
//! | `bundle-reference` | a reference that the Composition or MessageHeader needs resolved in the Bundle and that is not there, that matches several entries, or that only matches by type and id against the `fullUrl` rules |
//! | `bundle-orphan` | a document or message entry that nothing reaches from the first entry |
//! | `bundle-search` | a search set without its `self` link, or entries whose `search.mode` contradicts them |
//!
//! The index ([`BundleIndex`]) is built when the walk enters a Bundle, so
//! references inside the entries resolve while they are walked (their
//! target's real type is then checked, [`Walker::bundled_type`]); the rules
//! above run when the walk leaves the Bundle.

mod document;
mod rules;

use crate::describe::with_article;
use crate::finding::{rules as rule_ids, IssueCode, Severity};
use crate::walk::Walker;
use conform_json::{Document, Kind, NodeId};
use rustc_hash::FxHashMap;

/// One entry of a Bundle, read once.
pub(super) struct Entry {
    pub(super) node: NodeId,
    /// Whether the entry is a JSON object (the walk reports it otherwise).
    pub(super) object: bool,
    pub(super) full_url: Option<String>,
    pub(super) resource: Option<NodeId>,
    pub(super) resource_type: Option<String>,
    pub(super) id: Option<String>,
}

/// Where a reference goes in its Bundle.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    Entry(usize),
    NotFound,
    /// Several entries answer to it.
    Ambiguous(usize),
    /// Entries of that type and id exist, but the `fullUrl` rules do not
    /// let the relative reference reach them (the base differs).
    OtherBase(Vec<String>),
}

/// A Bundle's entries, indexed by `fullUrl` and by `Type/id`.
pub(crate) struct BundleIndex {
    /// Where the entries' resources sit in [`Walker::resources`].
    pub(crate) depth: usize,
    pub(super) kind: String,
    pub(super) entries: Vec<Entry>,
    pub(super) by_url: FxHashMap<String, Vec<usize>>,
    pub(super) by_type_id: FxHashMap<String, Vec<usize>>,
    by_resource: FxHashMap<NodeId, usize>,
}

impl BundleIndex {
    pub(crate) fn new(doc: &Document<'_>, bundle: NodeId, depth: usize) -> Self {
        let kind = doc
            .get_str(bundle, "type")
            .map(|s| s.into_owned())
            .unwrap_or_default();
        let mut index = BundleIndex {
            depth,
            kind,
            entries: Vec::new(),
            by_url: FxHashMap::default(),
            by_type_id: FxHashMap::default(),
            by_resource: FxHashMap::default(),
        };
        let Some(entries) = doc.get(bundle, "entry") else {
            return index;
        };
        for (i, &node) in doc.elements(entries).iter().enumerate() {
            let object = (doc.kind(node) == Kind::Object).then_some(node);
            let resource = object
                .and_then(|n| doc.get(n, "resource"))
                .filter(|&r| doc.kind(r) == Kind::Object);
            let full_url = object
                .and_then(|n| doc.get_str(n, "fullUrl"))
                .map(|s| s.into_owned());
            let resource_type = resource
                .and_then(|r| doc.get_str(r, "resourceType"))
                .map(|s| s.into_owned());
            let id = resource
                .and_then(|r| doc.get_str(r, "id"))
                .map(|s| s.into_owned());
            let version = resource
                .and_then(|r| doc.get(r, "meta"))
                .and_then(|m| doc.get_str(m, "versionId"));
            if let Some(u) = &full_url {
                index.by_url.entry(u.clone()).or_default().push(i);
                if let Some(v) = &version {
                    let key = format!("{u}/_history/{v}");
                    index.by_url.entry(key).or_default().push(i);
                }
            }
            if let (Some(t), Some(id)) = (&resource_type, &id) {
                let key = format!("{t}/{id}");
                if let Some(v) = &version {
                    let versioned = format!("{key}/_history/{v}");
                    index.by_type_id.entry(versioned).or_default().push(i);
                }
                index.by_type_id.entry(key).or_default().push(i);
            }
            if let Some(r) = resource {
                index.by_resource.insert(r, i);
            }
            index.entries.push(Entry {
                node,
                object: object.is_some(),
                full_url,
                resource,
                resource_type,
                id,
            });
        }
        index
    }

    /// The entry whose resource is `resource`.
    pub(crate) fn entry_of(&self, resource: NodeId) -> Option<usize> {
        self.by_resource.get(&resource).copied()
    }

    /// The `meta.versionId` of entry `i`'s resource.
    pub(crate) fn version_of<'d>(
        &self,
        doc: &'d Document<'_>,
        i: usize,
    ) -> Option<std::borrow::Cow<'d, str>> {
        let r = self.entries.get(i)?.resource?;
        doc.get_str(doc.get(r, "meta")?, "versionId")
    }

    /// The resource of entry `i`.
    /// The entry whose resource holds the value at byte `offset` (a
    /// reference found by a check of the whole Bundle): the last entry that
    /// starts at or before it, entries being in document order.
    pub(crate) fn entry_at(&self, doc: &Document<'_>, offset: usize) -> Option<usize> {
        let after = self
            .entries
            .partition_point(|e| doc.offset(e.node) <= offset);
        let i = after.checked_sub(1)?;
        self.entries[i].resource.is_some().then_some(i)
    }

    pub(crate) fn resource_of(&self, i: usize) -> Option<NodeId> {
        self.entries.get(i)?.resource
    }

    /// The resource type of entry `i`.
    pub(crate) fn type_of(&self, i: usize) -> Option<&str> {
        self.entries.get(i)?.resource_type.as_deref()
    }

    /// Resolves `reference` from entry `from` (§2.36.4): an absolute
    /// reference is a `fullUrl`; a relative one is read against the base of
    /// the referring entry's RESTful `fullUrl`. A fragment (`#…`) is not
    /// part of what is looked up.
    pub(crate) fn resolve(&self, reference: &str, from: Option<usize>) -> Resolution {
        let reference = reference.split('#').next().unwrap_or_default();
        if is_absolute(reference) {
            return self.found(self.by_url.get(reference));
        }
        let base = from.and_then(|i| self.base_of(i));
        if let Some(base) = &base {
            let hits = self.by_url.get(&format!("{base}{reference}"));
            if hits.is_some_and(|h| !h.is_empty()) {
                return self.found(hits);
            }
        }
        // From an entry whose fullUrl is a URN, `Type/id` is read as the
        // URN of that id (`urn:uuid:` + id), as the reference resolves it
        // (its getFromBundle): what an author writing `Patient/<uuid>` for
        // the entry `urn:uuid:<uuid>` means, so a type that differs is
        // found out.
        if let Some(urn) = from.and_then(|i| self.entries[i].full_url.as_deref()) {
            let id = reference
                .split_once('/')
                .map(|(_, id)| id)
                .filter(|id| !id.contains('/'));
            if let (true, Some((prefix, _)), Some(id)) =
                (urn.starts_with("urn:"), urn.rsplit_once(':'), id)
            {
                let hits = self.by_url.get(&format!("{prefix}:{id}"));
                if hits.is_some_and(|h| !h.is_empty()) {
                    return self.found(hits);
                }
            }
        }
        match self.by_type_id.get(reference) {
            Some(same) if !same.is_empty() => {
                let mut urls: Vec<String> = same
                    .iter()
                    .map(|&i| {
                        self.entries[i]
                            .full_url
                            .clone()
                            .unwrap_or_else(|| "<no fullUrl>".into())
                    })
                    .collect();
                urls.sort();
                Resolution::OtherBase(urls)
            }
            _ => Resolution::NotFound,
        }
    }

    fn found(&self, hits: Option<&Vec<usize>>) -> Resolution {
        match hits.map(Vec::as_slice) {
            None | Some([]) => Resolution::NotFound,
            Some([one]) => Resolution::Entry(*one),
            Some(many) => Resolution::Ambiguous(many.len()),
        }
    }

    /// The RESTful base of entry `i`'s `fullUrl` (`https://x/fhir/` of
    /// `https://x/fhir/Patient/1` holding Patient 1).
    fn base_of(&self, i: usize) -> Option<String> {
        let e = self.entries.get(i)?;
        let url = e.full_url.as_deref()?;
        let tail = format!("{}/{}", e.resource_type.as_deref()?, e.id.as_deref()?);
        let base = url.strip_suffix(&tail)?;
        (base.ends_with('/') && is_absolute(base)).then(|| base.to_string())
    }
}

/// An absolute URI: a scheme, then `:` (`https:`, `urn:`).
pub(super) fn is_absolute(s: &str) -> bool {
    match s.find(':') {
        Some(colon) if colon > 0 => {
            let scheme = &s[..colon];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !s[..colon].contains('/')
        }
        _ => false,
    }
}

impl Walker<'_> {
    /// The type of the entry a reference inside a Bundle's entry resolves
    /// to, when it does (then the target's real type is what `reference-
    /// target` checks, not the type the reference text names). As the
    /// reference does, it also reports at the reference (`at`): an entry
    /// whose type is not the one the reference names (`named`), a `urn:`
    /// that is not in the Bundle (a warning), and, outside documents and
    /// messages (whose own rules report it), a relative reference that
    /// matches entries by type and id only against another base (a
    /// warning).
    /// Whether the resource being walked is an entry of a Bundle that
    /// gives it a `fullUrl`: relative references in it are then resolved
    /// against that URL, so they must have a shape the resolution can read.
    pub(crate) fn in_entry_with_full_url(&self) -> bool {
        self.bundles.last().is_some_and(|index| {
            self.resources
                .get(index.depth)
                .and_then(|&r| index.entry_of(r))
                .is_some_and(|i| index.entries[i].full_url.is_some())
        })
    }

    pub(crate) fn bundled_type(
        &mut self,
        at: NodeId,
        reference: &str,
        named: Option<&str>,
    ) -> Option<String> {
        let index = self.bundles.last()?;
        let from = self
            .resources
            .get(index.depth)
            .and_then(|&r| index.entry_of(r));
        let resolution = index.resolve(reference, from);
        let linked = matches!(index.kind.as_str(), "document" | "message");
        let (severity, rule, message) = match resolution {
            Resolution::Entry(i) => {
                let actual = index.type_of(i).map(str::to_string);
                match (named, &actual) {
                    (Some(n), Some(a)) if n != a => (
                        Severity::Error,
                        rule_ids::REFERENCE_TARGET,
                        format!("The reference '{reference}' names {}, but the entry it resolves to holds {}", with_article(n), with_article(a)),
                    ),
                    _ => return actual,
                }
            }
            Resolution::NotFound if reference.starts_with("urn:") && !(linked && from == Some(0)) => (
                Severity::Warning,
                rule_ids::BUNDLE_REFERENCE,
                format!("The reference '{reference}' is a urn, which names an entry of the Bundle, but no entry has that fullUrl"),
            ),
            // A version-specific reference finds an entry only by its
            // meta.versionId; an entry without one cannot answer it.
            Resolution::NotFound | Resolution::OtherBase(_)
                if reference.contains("/_history/")
                    && matches!(index.resolve(reference.split("/_history/").next().unwrap_or_default(), from),
                        Resolution::Entry(i) if index.version_of(self.doc, i).is_none()) =>
            {
                (
                    Severity::Warning,
                    rule_ids::BUNDLE_REFERENCE,
                    format!("The reference '{reference}' names a version, so the entry it points to should declare meta.versionId, and it does not"),
                )
            }
            Resolution::OtherBase(urls) if !linked && from.is_some() => (
                Severity::Warning,
                rule_ids::BUNDLE_REFERENCE,
                format!("The reference '{reference}' does not resolve in the Bundle by its rules: entries with that type and id ({}) have another base than this entry's fullUrl", urls.join(", ")),
            ),
            _ => return None,
        };
        self.path.push(crate::walk::Seg::Name("reference"));
        let offset = self.doc.offset(at);
        self.emit(severity, IssueCode::NotFound, rule, offset, None, message);
        self.path.pop();
        None
    }
}

/// Whether a resource holds a literal reference other than a `#` one
/// (outside any Bundle nested in it).
pub(super) fn has_reference(doc: &Document<'_>, node: NodeId) -> bool {
    strings(doc, node)
        .iter()
        .any(|s| s.key == "reference" && !s.value.starts_with('#'))
}

/// A string value inside a resource: the key it is under, and its path
/// from the resource (`subject.reference`, `section[0].entry[1].reference`).
pub(super) struct Found {
    pub(super) key: String,
    pub(super) value: String,
    pub(super) node: NodeId,
    pub(super) path: String,
}

/// Every string value below the resource `node`, not entering nested
/// Bundles (their references are theirs to resolve).
pub(super) fn strings(doc: &Document<'_>, node: NodeId) -> Vec<Found> {
    fn walk(doc: &Document<'_>, node: NodeId, key: &str, path: &mut String, out: &mut Vec<Found>) {
        match doc.kind(node) {
            Kind::String => {
                if let Some(v) = doc.str(node) {
                    out.push(Found {
                        key: key.to_string(),
                        value: v.into_owned(),
                        node,
                        path: path.clone(),
                    });
                }
            }
            Kind::Array => {
                for (i, &e) in doc.elements(node).iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(doc, e, key, path, out);
                    path.truncate(len);
                }
            }
            Kind::Object => {
                if !path.is_empty()
                    && doc.get_str(node, "resourceType").as_deref() == Some("Bundle")
                {
                    return;
                }
                for m in doc.members(node) {
                    let k = doc.key(m);
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&k);
                    walk(doc, m.value, &k, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, node, "", &mut String::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(json: &str) -> BundleIndex {
        let doc = conform_json::parse(json.as_bytes()).expect("parses");
        BundleIndex::new(&doc, doc.root(), 1)
    }

    #[test]
    fn relative_references_resolve_against_the_entry_base() {
        let b = index(
            r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"http://a/fhir/Observation/o","resource":{"resourceType":"Observation","id":"o"}},
            {"fullUrl":"http://a/fhir/Patient/p","resource":{"resourceType":"Patient","id":"p"}},
            {"fullUrl":"urn:uuid:6a1f4b1e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","id":"q"}}]}"#,
        );
        assert_eq!(b.resolve("Patient/p", Some(0)), Resolution::Entry(1));
        assert_eq!(
            b.resolve("http://a/fhir/Patient/p", None),
            Resolution::Entry(1)
        );
        assert_eq!(
            b.resolve("urn:uuid:6a1f4b1e-0000-4000-8000-000000000001", Some(0)),
            Resolution::Entry(2)
        );
        // Patient/q exists, but its fullUrl is not on entry 0's base.
        assert!(matches!(
            b.resolve("Patient/q", Some(0)),
            Resolution::OtherBase(_)
        ));
        assert_eq!(b.resolve("Patient/zz", Some(0)), Resolution::NotFound);
        assert_eq!(b.resolve("Patient/p#frag", Some(0)), Resolution::Entry(1));
    }

    #[test]
    fn one_full_url_on_two_entries_is_ambiguous() {
        let b = index(
            r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"urn:uuid:x","resource":{"resourceType":"Patient"}},
            {"fullUrl":"urn:uuid:x","resource":{"resourceType":"Patient"}}]}"#,
        );
        assert_eq!(b.resolve("urn:uuid:x", None), Resolution::Ambiguous(2));
    }

    #[test]
    fn absolute_means_a_scheme() {
        assert!(is_absolute("urn:uuid:1"));
        assert!(is_absolute("https://x/y"));
        assert!(!is_absolute("Patient/1"));
        assert!(!is_absolute("a/b:c"));
        assert!(!is_absolute(":x"));
    }
}
