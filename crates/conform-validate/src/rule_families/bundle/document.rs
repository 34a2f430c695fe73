//! Documents and messages: the first entry, what the Composition or the
//! MessageHeader needs inside the Bundle, and that every entry is reached
//! from it (R4 §3.3.1, §3.4.1).

use super::{is_absolute, strings, BundleIndex, Resolution};
use crate::finding::{rules, IssueCode, Severity};
use crate::walk::{Seg, Walker};
use conform_json::{Document, Kind, NodeId};

impl Walker<'_> {
    pub(super) fn document_or_message(&mut self, node: NodeId, index: &BundleIndex) {
        let doc = self.doc;
        let document = index.kind == "document";
        let (what, first_type) = if document {
            ("document", "Composition")
        } else {
            ("message", "MessageHeader")
        };
        let Some(first) = index.entries.first() else {
            let message = format!("A {what} Bundle needs entries, the first a {first_type}");
            self.bundle_report(
                Severity::Error,
                IssueCode::Invalid,
                rules::BUNDLE_ENTRY,
                node,
                &[],
                None,
                message,
            );
            return;
        };
        let place = [Seg::Name("entry"), Seg::Index(0)];
        let Some(head) = first.resource else {
            let message = format!("The first entry of a {what} Bundle must hold its {first_type}");
            self.bundle_report(
                Severity::Error,
                IssueCode::Invalid,
                rules::BUNDLE_ENTRY,
                first.node,
                &place,
                None,
                message,
            );
            return;
        };
        if first.resource_type.as_deref() != Some(first_type) {
            let message = format!(
                "The first entry of a {what} Bundle must be a {first_type}, not {}",
                first
                    .resource_type
                    .as_deref()
                    .unwrap_or("a resource without a type")
            );
            self.bundle_report(
                Severity::Error,
                IssueCode::Invalid,
                rules::BUNDLE_ENTRY,
                head,
                &place,
                Some("resource"),
                message,
            );
        } else {
            let mut needed = Vec::new();
            if document {
                composition_references(doc, head, String::new(), &mut needed);
            } else {
                for (i, r) in children(doc, head, "focus").enumerate() {
                    needed.push((format!("focus[{i}]"), r));
                }
            }
            for (path, r) in needed {
                let Some(text) = doc.get_str(r, "reference") else {
                    continue;
                };
                if text.starts_with('#') {
                    continue;
                }
                if index.resolve(&text, Some(0)) == Resolution::NotFound {
                    let message = format!("The {first_type} refers to '{text}', which is not an entry of the {what}: what the {first_type} points to must travel with it");
                    let extra = format!("resource.{path}");
                    self.bundle_report(
                        Severity::Error,
                        IssueCode::NotFound,
                        rules::BUNDLE_REFERENCE,
                        r,
                        &place,
                        Some(&extra),
                        message,
                    );
                }
            }
        }
        self.interlinked(node, index, document);
    }

    /// Every entry of a document or message is reached from the first by
    /// following references; an entry that only refers to the reached ones
    /// is a reverse link (allowed for Provenance).
    fn interlinked(&mut self, node: NodeId, index: &BundleIndex, document: bool) {
        let doc = self.doc;
        let n = index.entries.len();
        let mut targets: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, e) in index.entries.iter().enumerate() {
            let Some(r) = e.resource else { continue };
            for found in strings(doc, r) {
                let is_reference = found.key == "reference";
                let value = found.value.as_str();
                if value.starts_with('#') || (!is_reference && !is_absolute(value)) {
                    continue;
                }
                // Reported at the Reference holding the text.
                let at = format!(
                    "resource.{}",
                    found.path.strip_suffix(".reference").unwrap_or(&found.path)
                );
                let message = match index.resolve(value, Some(i)) {
                    Resolution::Entry(t) if t != i => {
                        targets[i].push(t);
                        continue;
                    }
                    Resolution::Ambiguous(count) if is_reference => format!("The reference '{value}' matches {count} entries of the Bundle; it must identify one"),
                    Resolution::OtherBase(urls) if is_reference => format!("The reference '{value}' does not resolve in the Bundle: an entry has that type and id ({}), but a relative reference resolves against the base of its own entry's fullUrl ({}), which differs", urls.join(", "), e.full_url.as_deref().unwrap_or("none")),
                    _ => continue,
                };
                self.entry_issue(
                    Severity::Error,
                    rules::BUNDLE_REFERENCE,
                    i,
                    found.node,
                    Some(&at),
                    message,
                );
            }
        }
        let mut visited = vec![false; n];
        let mut stack: Vec<usize> = Vec::new();
        if index.entries.first().is_some_and(|e| e.resource.is_some()) {
            stack.push(0);
        }
        // A document's stylesheet entry is reached from the Bundle.
        if let Some(links) = doc.get(node, "link") {
            for &l in doc.elements(links) {
                if doc.get_str(l, "relation").as_deref() == Some("stylesheet") {
                    if let Some(url) = doc.get_str(l, "url") {
                        if let Some(hits) = index.by_type_id.get(url.as_ref()) {
                            stack.extend(hits.iter().copied());
                        }
                    }
                }
            }
        }
        let visit = |visited: &mut Vec<bool>, stack: &mut Vec<usize>| {
            while let Some(i) = stack.pop() {
                if !std::mem::replace(&mut visited[i], true) {
                    stack.extend(targets[i].iter().copied());
                }
            }
        };
        visit(&mut visited, &mut stack);
        let what = if document { "document" } else { "message" };
        loop {
            let mut found = false;
            for i in 0..n {
                if visited[i]
                    || index.entries[i].resource.is_none()
                    || !targets[i].iter().any(|&t| visited[t])
                {
                    continue;
                }
                if index.type_of(i) != Some("Provenance") {
                    let message = format!("Entry {} is only reached by following a reference backwards (it refers to the {what}'s content, nothing in the {what} refers to it); only a Provenance may be linked this way", describe(index, i));
                    let severity = if document {
                        Severity::Warning
                    } else {
                        Severity::Information
                    };
                    self.entry_issue(
                        severity,
                        rules::BUNDLE_ORPHAN,
                        i,
                        index.entries[i].node,
                        None,
                        message,
                    );
                }
                stack.push(i);
                visit(&mut visited, &mut stack);
                found = true;
            }
            if !found {
                break;
            }
        }
        for (i, entry) in index.entries.iter().enumerate() {
            if visited[i] || entry.resource.is_none() {
                continue;
            }
            let (severity, first) = if document {
                (Severity::Error, "Composition")
            } else {
                (Severity::Warning, "MessageHeader")
            };
            let message = format!(
                "Entry {} is not reachable from the {first}: nothing in the {what} refers to it",
                describe(index, i)
            );
            self.entry_issue(severity, rules::BUNDLE_ORPHAN, i, entry.node, None, message);
        }
    }
}

/// "'fullUrl'" or the position, for messages about an entry.
fn describe(index: &BundleIndex, i: usize) -> String {
    match index.entries[i].full_url.as_deref() {
        Some(u) => format!("'{u}'"),
        None => format!("{i}"),
    }
}

/// The values of an object member that may repeat.
fn children<'d>(
    doc: &'d Document<'_>,
    obj: NodeId,
    key: &str,
) -> impl Iterator<Item = NodeId> + 'd {
    let v = doc.get(obj, key);
    let list: Vec<NodeId> = match v.map(|v| (v, doc.kind(v))) {
        Some((v, Kind::Array)) => doc.elements(v).to_vec(),
        Some((v, Kind::Object)) => vec![v],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter(move |&n| doc.kind(n) == Kind::Object)
}

/// The references a document's Composition needs in the Bundle: subject,
/// author, encounter, custodian, attester.party, event.detail, and each
/// section's author, focus and entries (§3.3.1).
fn composition_references(
    doc: &Document<'_>,
    node: NodeId,
    prefix: String,
    out: &mut Vec<(String, NodeId)>,
) {
    let top = prefix.is_empty();
    let direct: &[&str] = if top {
        &["subject", "author", "encounter", "custodian"]
    } else {
        &["author", "focus", "entry"]
    };
    for key in direct {
        push_children(doc, node, &prefix, key, out);
    }
    if top {
        for (outer, inner) in [("attester", "party"), ("event", "detail")] {
            for (i, o) in children(doc, node, outer).enumerate() {
                push_children(doc, o, &format!("{outer}[{i}]."), inner, out);
            }
        }
    }
    for (i, s) in children(doc, node, "section").enumerate() {
        composition_references(doc, s, format!("{prefix}section[{i}]."), out);
    }
}

/// The values of `key` under `node`, each with its path (`prefix` + `key`,
/// indexed when it repeats).
fn push_children(
    doc: &Document<'_>,
    node: NodeId,
    prefix: &str,
    key: &str,
    out: &mut Vec<(String, NodeId)>,
) {
    let repeats = doc
        .get(node, key)
        .is_some_and(|v| doc.kind(v) == Kind::Array);
    for (i, r) in children(doc, node, key).enumerate() {
        let at = if repeats {
            format!("{prefix}{key}[{i}]")
        } else {
            format!("{prefix}{key}")
        };
        out.push((at, r));
    }
}
