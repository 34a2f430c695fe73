//! FHIR XML → FHIR JSON text, with positions and XML findings.
//!
//! The mapping (FHIR R4 and STU3 `xml.html`/`json.html`): a primitive's
//! `value` attribute becomes the JSON value (a boolean or a number, kept
//! exactly as written, where the type says so); its `id` attribute and
//! `extension` children move to the `_name` twin, arrays aligned by
//! `null`; `id` on other elements and `url` on extensions are attributes in
//! XML and members in JSON; repeating elements become arrays; a resource
//! inside an element is wrapped in an element named by its type in XML and
//! carries `resourceType` in JSON; the narrative's `div` is kept as markup
//! in a string.

use crate::tree::{Elem, Limits, Tree, XmlError};
use crate::{rules, Model, Scalar, Shape, TypeRef, FHIR_NS, XHTML_NS};
use conform_json::LineIndex;
use std::sync::OnceLock;

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A finding only XML can have, at a byte offset of the XML text. Every
/// one is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlIssue {
    pub rule: &'static str,
    pub offset: usize,
    /// FHIRPath of the element (`Patient.name[0].given[1]`).
    pub path: String,
    pub message: String,
}

/// Maps byte offsets of the JSON text back to the XML element (or
/// attribute) each JSON value came from.
#[derive(Debug)]
pub struct Positions {
    /// (JSON offset, XML offset), JSON offsets ascending.
    pairs: Vec<(u32, u32)>,
    xml: String,
    lines: OnceLock<LineIndex>,
}

impl Positions {
    /// The XML offset of what was written at or just before `json_offset`.
    pub fn xml_offset(&self, json_offset: usize) -> usize {
        let i = self
            .pairs
            .partition_point(|&(j, _)| j as usize <= json_offset);
        if i == 0 {
            return 0;
        }
        self.pairs[i - 1].1 as usize
    }

    /// 1-based XML line and column (in characters) of an XML offset.
    pub fn xml_line_col(&self, xml_offset: usize) -> (u32, u32) {
        self.lines
            .get_or_init(|| LineIndex::new(&self.xml))
            .line_col(&self.xml, xml_offset)
    }

    /// 1-based XML line and column of a JSON offset.
    pub fn line_col(&self, json_offset: usize) -> (u32, u32) {
        self.xml_line_col(self.xml_offset(json_offset))
    }
}

/// A FHIR XML resource as FHIR JSON text.
#[derive(Debug)]
pub struct Converted {
    pub json: String,
    pub positions: Positions,
    pub issues: Vec<XmlIssue>,
}

/// Reads one FHIR XML resource (see the module documentation).
pub fn read(bytes: &[u8], model: &dyn Model) -> Result<Converted, XmlError> {
    read_with_limits(bytes, model, Limits::default())
}

pub fn read_with_limits(
    bytes: &[u8],
    model: &dyn Model,
    limits: Limits,
) -> Result<Converted, XmlError> {
    let tree = crate::tree::parse(bytes, limits)?;
    let mut c = Conv {
        tree: &tree,
        model,
        out: String::with_capacity(bytes.len()),
        pairs: Vec::with_capacity(bytes.len() / 24 + 4),
        issues: Vec::new(),
        path: String::new(),
    };
    c.resource(tree.root, true);
    Ok(Converted {
        json: c.out,
        positions: Positions {
            pairs: c.pairs,
            xml: tree.src.to_string(),
            lines: OnceLock::new(),
        },
        issues: c.issues,
    })
}

struct Conv<'t, 'm> {
    tree: &'t Tree<'t>,
    model: &'m dyn Model,
    out: String,
    pairs: Vec<(u32, u32)>,
    issues: Vec<XmlIssue>,
    path: String,
}

impl<'t> Conv<'t, '_> {
    fn elem(&self, id: usize) -> &'t Elem {
        &self.tree.elems[id]
    }

    /// Records that what is written next came from this XML offset.
    fn mark(&mut self, xml_offset: usize) {
        self.pairs.push((self.out.len() as u32, xml_offset as u32));
    }

    fn issue(&mut self, rule: &'static str, offset: usize, message: String) {
        self.issues.push(XmlIssue {
            rule,
            offset,
            path: self.path.clone(),
            message,
        });
    }

    /// Reports an element outside `expected` once, where the namespace goes
    /// wrong, rather than on each of its descendants too.
    fn check_ns(&mut self, e: &Elem, expected: &str, rule: &'static str, parent_ok: bool) -> bool {
        let ok = e.ns.as_deref() == Some(expected);
        if !ok && parent_ok {
            let found = match &e.ns {
                Some(ns) => format!("in the namespace '{ns}'"),
                None => "in no namespace".to_string(),
            };
            self.issue(
                rule,
                e.start,
                format!(
                    "The element '{}' is {found}; it must be in '{expected}'",
                    e.local
                ),
            );
        }
        ok
    }

    fn key(&mut self, first: &mut bool, name: &str, xml_offset: usize) {
        if !*first {
            self.out.push(',');
        }
        *first = false;
        self.mark(xml_offset);
        push_json_string(&mut self.out, name);
        self.out.push(':');
    }

    fn resource(&mut self, id: usize, parent_ok: bool) {
        let e = self.elem(id);
        let ns_ok = self.check_ns(e, FHIR_NS, rules::XML_NAMESPACE, parent_ok);
        let saved = self.path.len();
        if self.path.is_empty() {
            self.path.push_str(&e.local);
        }
        for a in &e.attrs {
            if a.ns.as_deref() != Some(XSI_NS) {
                self.issue(
                    rules::XML_UNKNOWN_ATTRIBUTE,
                    a.pos,
                    format!(
                        "The attribute '{}' is not allowed on the resource element '{}'",
                        a.name, e.local
                    ),
                );
            }
        }
        if let Some(t) = e.text {
            self.issue(
                rules::XML_VALUE_ATTRIBUTE,
                t,
                format!(
                    "Text is not allowed directly inside the resource '{}'",
                    e.local
                ),
            );
        }
        self.mark(e.start);
        self.out.push('{');
        let mut first = true;
        self.key(&mut first, "resourceType", e.start);
        push_json_string(&mut self.out, &e.local);
        let t = self.model.resource(&e.local);
        self.members(e, t, &mut first, ns_ok, false);
        self.out.push('}');
        self.path.truncate(saved);
    }

    /// The child elements of `e` as members of the JSON object being
    /// written, grouped by name (XML repeats an element, JSON makes an
    /// array), checking their order against the definition.
    fn members(
        &mut self,
        e: &'t Elem,
        t: Option<TypeRef>,
        first: &mut bool,
        ns_ok: bool,
        twin: bool,
    ) {
        let mut groups: Vec<(&'t str, Vec<usize>)> = Vec::new();
        let mut last_order = 0u32;
        let mut order_reported = false;
        for &c in &e.children {
            let ce = self.elem(c);
            // A primitive holds extensions only: any other child has been
            // reported where the primitive is, and is not read on.
            if twin && ce.local != "extension" {
                continue;
            }
            let info = t.and_then(|t| self.model.child(t, &ce.local));
            let repeat_after_other = groups
                .iter()
                .rposition(|g| g.0 == ce.local)
                .is_some_and(|i| i + 1 != groups.len());
            let before_previous = info.is_some_and(|i| i.order < last_order);
            if (repeat_after_other || before_previous) && !order_reported {
                order_reported = true;
                let saved = self.path.len();
                self.path.push('.');
                self.path.push_str(&ce.local);
                self.issue(
                    rules::XML_ELEMENT_ORDER,
                    ce.start,
                    format!(
                        "The element '{}' is out of order: FHIR XML gives elements in the order of their definition",
                        ce.local
                    ),
                );
                self.path.truncate(saved);
            }
            if let Some(i) = info {
                last_order = last_order.max(i.order);
            }
            match groups.iter_mut().find(|g| g.0 == ce.local) {
                Some(g) => g.1.push(c),
                None => groups.push((&ce.local, vec![c])),
            }
        }
        for (name, items) in groups {
            let info = t.and_then(|t| self.model.child(t, name));
            let saved = self.path.len();
            self.path.push('.');
            self.path.push_str(name);
            // The narrative's div is checked by its own rules (txt-1, txt-2)
            // whatever it holds.
            let is_div = matches!(info, Some(c) if c.shape == Shape::Xhtml);
            let items: Vec<usize> = items
                .into_iter()
                .filter(|&i| is_div || !self.empty(i, ns_ok))
                .collect();
            if !items.is_empty() {
                self.group(name, &items, info.map(|i| (i.array, i.shape)), first, ns_ok);
            }
            self.path.truncate(saved);
        }
    }

    /// An element with nothing in it (FHIR forbids those), reported and
    /// left out.
    fn empty(&mut self, id: usize, parent_ok: bool) -> bool {
        let e = self.elem(id);
        let empty = e.children.is_empty()
            && e.text.is_none()
            && e.attrs.iter().all(|a| a.ns.as_deref() == Some(XSI_NS));
        let only_id = !empty
            && e.children.is_empty()
            && e.text.is_none()
            && e.attrs
                .iter()
                .all(|a| a.ns.as_deref() == Some(XSI_NS) || (a.name == "id" && a.ns.is_none()));
        if empty || only_id {
            self.check_ns(e, FHIR_NS, rules::XML_NAMESPACE, parent_ok);
            self.issue(
                rules::XML_EMPTY_ELEMENT,
                e.start,
                format!(
                    "The element '{}' is empty{}: FHIR elements must have a value or children",
                    e.local,
                    if only_id { " but for its id" } else { "" }
                ),
            );
        }
        // One with an id keeps it, in JSON too.
        empty
    }

    fn group(
        &mut self,
        name: &str,
        items: &[usize],
        shape: Option<(bool, Shape)>,
        first: &mut bool,
        ns_ok: bool,
    ) {
        let as_array = shape.map_or(items.len() > 1, |s| s.0 || items.len() > 1);
        let shape = shape.map(|s| s.1);
        if let Some(Shape::Scalar(scalar, prim)) = shape {
            return self.primitive(name, items, scalar, prim, as_array, first, ns_ok);
        }
        let start = self.elem(items[0]).start;
        self.key(first, name, start);
        if as_array {
            self.out.push('[');
        }
        for (n, &item) in items.iter().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            let saved = self.path.len();
            if as_array {
                self.path.push_str(&format!("[{n}]"));
            }
            let e = self.elem(item);
            match shape {
                Some(Shape::Xhtml) => {
                    self.check_ns(e, XHTML_NS, rules::XML_XHTML_NAMESPACE, true);
                    self.mark(e.start);
                    push_json_string(&mut self.out, &self.tree.src[e.start..e.end]);
                }
                Some(Shape::Resource) => {
                    let ok = self.check_ns(e, FHIR_NS, rules::XML_NAMESPACE, ns_ok);
                    self.wrapper(e, ok);
                }
                Some(Shape::Complex(t)) => {
                    let ok = self.check_ns(e, FHIR_NS, rules::XML_NAMESPACE, ns_ok);
                    self.object(e, Some(t), false, ok);
                }
                Some(Shape::Scalar(..)) => unreachable!("primitives are written above"),
                None => {
                    let ok = self.check_ns(e, FHIR_NS, rules::XML_NAMESPACE, ns_ok);
                    self.unknown(e, ok);
                }
            }
            self.path.truncate(saved);
        }
        if as_array {
            self.out.push(']');
        }
    }

    /// The element holding a resource (`contained`, `resource`): exactly one
    /// child, named by the resource's type.
    fn wrapper(&mut self, e: &'t Elem, ns_ok: bool) {
        for a in &e.attrs {
            if a.ns.as_deref() != Some(XSI_NS) {
                self.issue(
                    rules::XML_UNKNOWN_ATTRIBUTE,
                    a.pos,
                    format!(
                        "The attribute '{}' is not allowed on '{}', which holds a resource",
                        a.name, e.local
                    ),
                );
            }
        }
        if let Some(t) = e.text {
            self.issue(
                rules::XML_VALUE_ATTRIBUTE,
                t,
                format!(
                    "Text is not allowed in '{}', which holds a resource",
                    e.local
                ),
            );
        }
        match e.children.as_slice() {
            [] => {
                self.mark(e.start);
                self.out.push_str("{}");
            }
            [only] => self.resource(*only, ns_ok),
            [first, rest @ ..] => {
                for &r in rest {
                    self.issue(
                        rules::XML_ELEMENT_ORDER,
                        self.elem(r).start,
                        format!(
                            "'{}' holds more than one resource; only the first is read",
                            e.local
                        ),
                    );
                }
                self.resource(*first, ns_ok);
            }
        }
    }

    /// A complex element (or a primitive's `_name` twin, `twin`: its
    /// `value` attribute already taken) as a JSON object.
    fn object(&mut self, e: &'t Elem, t: Option<TypeRef>, twin: bool, ns_ok: bool) {
        self.mark(e.start);
        self.out.push('{');
        let mut first = true;
        for a in &e.attrs {
            let known = t.is_some_and(|t| match a.name.as_str() {
                "id" => self.model.child(t, "id").is_some(),
                "url" => self.model.is_extension(t),
                _ => false,
            });
            if known {
                self.key(&mut first, &a.name, a.pos);
                self.mark(a.pos);
                push_json_string(&mut self.out, &a.value);
            } else if a.name == "value" && a.ns.is_none() {
                if !twin {
                    self.issue(
                        rules::XML_VALUE_ATTRIBUTE,
                        a.pos,
                        format!(
                            "The element '{}' is not a primitive and cannot have a value attribute",
                            e.local
                        ),
                    );
                }
            } else if a.ns.as_deref() != Some(XSI_NS) {
                self.issue(
                    rules::XML_UNKNOWN_ATTRIBUTE,
                    a.pos,
                    format!("The attribute '{}' is not allowed on '{}'", a.name, e.local),
                );
            }
        }
        if let Some(pos) = e.text {
            self.issue(
                rules::XML_VALUE_ATTRIBUTE,
                pos,
                format!(
                    "Text is not allowed in '{}': FHIR puts values in value attributes",
                    e.local
                ),
            );
        }
        self.members(e, t, &mut first, ns_ok, twin);
        self.out.push('}');
    }

    /// An element the definitions do not know, kept so the JSON walk
    /// reports it exactly as it reports an unknown JSON property.
    fn unknown(&mut self, e: &'t Elem, ns_ok: bool) {
        let value = e.attrs.iter().find(|a| a.name == "value");
        match value {
            Some(v) if e.children.is_empty() && e.attrs.len() == 1 => {
                self.mark(v.pos);
                push_json_string(&mut self.out, &v.value);
            }
            _ => self.object(e, None, false, ns_ok),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn primitive(
        &mut self,
        name: &str,
        items: &[usize],
        scalar: Scalar,
        prim: TypeRef,
        as_array: bool,
        first: &mut bool,
        ns_ok: bool,
    ) {
        let mut values = Vec::with_capacity(items.len());
        let mut has_twin = false;
        for (n, &item) in items.iter().enumerate() {
            let e = self.elem(item);
            let saved = self.path.len();
            if as_array {
                self.path.push_str(&format!("[{n}]"));
            }
            self.check_ns(e, FHIR_NS, rules::XML_NAMESPACE, ns_ok);
            let value = e.attrs.iter().find(|a| a.name == "value" && a.ns.is_none());
            if value.is_none() && e.text.is_some() {
                self.issue(
                    rules::XML_VALUE_ATTRIBUTE,
                    e.text.unwrap_or(e.start),
                    format!(
                        "The primitive '{}' has text content; its value belongs in the value attribute",
                        e.local
                    ),
                );
            } else if e.text.is_some() {
                self.issue(
                    rules::XML_VALUE_ATTRIBUTE,
                    e.text.unwrap_or(e.start),
                    format!("Text is not allowed in the primitive '{}'", e.local),
                );
            }
            for &c in &e.children {
                let ce = self.elem(c);
                if ce.local != "extension" {
                    self.issue(
                        rules::XML_VALUE_ATTRIBUTE,
                        ce.start,
                        format!(
                            "The primitive '{}' cannot hold the element '{}' (only its value attribute, an id and extensions)",
                            e.local, ce.local
                        ),
                    );
                }
            }
            let extended = e
                .children
                .iter()
                .any(|&c| self.elem(c).local == "extension");
            // What is left once the children it cannot hold are set aside:
            // a primitive with neither a value nor extensions.
            if value.is_none() && !extended && e.text.is_none() && !e.children.is_empty() {
                self.issue(
                    rules::XML_EMPTY_ELEMENT,
                    e.start,
                    format!(
                        "The primitive '{}' has neither a value attribute nor extensions: FHIR elements must have a value or children",
                        e.local
                    ),
                );
            }
            has_twin |= extended || e.attrs.iter().any(|a| a.name != "value" || a.ns.is_some());
            values.push(value);
            self.path.truncate(saved);
        }
        if values.iter().any(Option::is_some) {
            self.key(first, name, self.elem(items[0]).start);
            if as_array {
                self.out.push('[');
            }
            for (n, v) in values.iter().enumerate() {
                if n > 0 {
                    self.out.push(',');
                }
                match v {
                    Some(a) => {
                        self.mark(a.pos);
                        push_scalar(&mut self.out, scalar, &a.value);
                    }
                    None => self.out.push_str("null"),
                }
            }
            if as_array {
                self.out.push(']');
            }
        }
        if has_twin {
            let twin_name = format!("_{name}");
            self.key(first, &twin_name, self.elem(items[0]).start);
            if as_array {
                self.out.push('[');
            }
            for (n, &item) in items.iter().enumerate() {
                if n > 0 {
                    self.out.push(',');
                }
                let e = self.elem(item);
                let only_value = e
                    .children
                    .iter()
                    .all(|&c| self.elem(c).local != "extension")
                    && e.attrs.iter().all(|a| a.name == "value" && a.ns.is_none());
                if only_value {
                    self.out.push_str("null");
                } else {
                    let saved = self.path.len();
                    if as_array {
                        self.path.push_str(&format!("[{n}]"));
                    }
                    self.object(e, Some(prim), true, ns_ok);
                    self.path.truncate(saved);
                }
            }
            if as_array {
                self.out.push(']');
            }
        }
    }
}

/// A primitive's value as the JSON scalar its type asks for; text that is
/// not one stays a string, so the JSON walk reports the wrong type.
fn push_scalar(out: &mut String, scalar: Scalar, text: &str) {
    let fits = match scalar {
        Scalar::Bool => text == "true" || text == "false",
        Scalar::Number => is_json_number(text),
        Scalar::String => false,
    };
    if fits {
        out.push_str(text);
    } else {
        push_json_string(out, text);
    }
}

/// RFC 8259's number grammar, which FHIR's decimal and integer follow.
pub(crate) fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
