//! FHIR JSON → FHIR XML, pretty-printed, elements in definition order.

use crate::{Model, Shape, TypeRef, FHIR_NS};
use conform_json::{Document, Kind, NodeId};

/// Writes the resource at the root of `doc` as FHIR XML. Members the
/// definitions do not know are kept (after the known ones) so nothing is
/// silently dropped; an error only when the root is not a resource.
pub fn to_xml(doc: &Document<'_>, model: &dyn Model) -> Result<String, String> {
    let root = doc.root();
    if doc.kind(root) != Kind::Object || doc.get_str(root, "resourceType").is_none() {
        return Err("the JSON is not a FHIR resource (no resourceType)".into());
    }
    let mut w = Writer {
        doc,
        model,
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
    };
    w.resource(root, 0, true);
    Ok(w.out)
}

struct Writer<'d, 'm> {
    doc: &'d Document<'d>,
    model: &'m dyn Model,
    out: String,
}

/// One element's JSON: the value member and the `_name` twin.
struct Group {
    name: String,
    value: Option<NodeId>,
    twin: Option<NodeId>,
    order: u32,
    seen: usize,
}

impl Writer<'_, '_> {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn resource(&mut self, obj: NodeId, depth: usize, top: bool) {
        let name = self
            .doc
            .get_str(obj, "resourceType")
            .map(|s| s.into_owned())
            .unwrap_or_default();
        let t = self.model.resource(&name);
        self.indent(depth);
        self.out.push('<');
        self.out.push_str(&name);
        if top {
            self.out.push_str(" xmlns=\"");
            self.out.push_str(FHIR_NS);
            self.out.push('"');
        }
        self.out.push_str(">\n");
        self.children(obj, t, depth + 1, &["resourceType"]);
        self.indent(depth);
        self.out.push_str("</");
        self.out.push_str(&name);
        self.out.push_str(">\n");
    }

    /// The members of `obj` as child elements, in definition order (known
    /// ones by their element's position, the rest after, as found). `skip`:
    /// members written as attributes.
    fn children(&mut self, obj: NodeId, t: Option<TypeRef>, depth: usize, skip: &[&str]) {
        let mut groups: Vec<Group> = Vec::new();
        for (seen, m) in self.doc.members(obj).iter().enumerate() {
            let key = self.doc.key(m);
            if skip.contains(&key.as_ref()) {
                continue;
            }
            let (name, is_twin) = match key.strip_prefix('_') {
                Some(n) => (n.to_string(), true),
                None => (key.to_string(), false),
            };
            let g = match groups.iter_mut().position(|g| g.name == name) {
                Some(i) => &mut groups[i],
                None => {
                    let order = t
                        .and_then(|t| self.model.child(t, &name))
                        .map_or(u32::MAX, |c| c.order);
                    groups.push(Group {
                        name,
                        value: None,
                        twin: None,
                        order,
                        seen,
                    });
                    groups.last_mut().expect("just pushed")
                }
            };
            if is_twin {
                g.twin = Some(m.value);
            } else {
                g.value = Some(m.value);
            }
        }
        groups.sort_by_key(|g| (g.order, g.seen));
        for g in groups {
            let shape = t
                .and_then(|t| self.model.child(t, &g.name))
                .map(|c| c.shape);
            self.group(&g, shape, depth);
        }
    }

    fn group(&mut self, g: &Group, shape: Option<Shape>, depth: usize) {
        let items = |id: Option<NodeId>| -> Vec<Option<NodeId>> {
            match id {
                None => Vec::new(),
                Some(id) if self.doc.kind(id) == Kind::Array => self
                    .doc
                    .elements(id)
                    .iter()
                    .map(|&e| (self.doc.kind(e) != Kind::Null).then_some(e))
                    .collect(),
                Some(id) => vec![(self.doc.kind(id) != Kind::Null).then_some(id)],
            }
        };
        let values = items(g.value);
        let twins = items(g.twin);
        for i in 0..values.len().max(twins.len()) {
            let value = values.get(i).copied().flatten();
            let twin = twins.get(i).copied().flatten();
            match (shape, value) {
                (Some(Shape::Resource), Some(v)) => {
                    self.open(&g.name, depth, &[]);
                    self.out.push_str(">\n");
                    self.resource(v, depth + 1, false);
                    self.close(&g.name, depth);
                }
                (Some(Shape::Xhtml), Some(v)) => {
                    self.indent(depth);
                    self.out
                        .push_str(&self.doc.str(v).map(|s| s.into_owned()).unwrap_or_default());
                    self.out.push('\n');
                }
                (Some(Shape::Complex(t)), Some(v)) => self.object(&g.name, v, Some(t), depth),
                (Some(Shape::Scalar(_, prim)), _) => {
                    self.primitive(&g.name, value, twin, Some(prim), depth)
                }
                (None, Some(v)) if self.doc.kind(v) == Kind::Object => {
                    self.object(&g.name, v, None, depth)
                }
                (None, _) => self.primitive(&g.name, value, twin, None, depth),
                (_, None) => {}
            }
        }
    }

    fn open(&mut self, name: &str, depth: usize, attrs: &[(&str, String)]) {
        self.indent(depth);
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_attr(&mut self.out, v);
            self.out.push('"');
        }
    }

    fn close(&mut self, name: &str, depth: usize) {
        self.indent(depth);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// The attributes a JSON object's members become: `id` on elements,
    /// `url` on extensions.
    fn attributes(&self, obj: NodeId, t: Option<TypeRef>) -> Vec<(&'static str, String)> {
        let mut attrs = Vec::new();
        let is_resource = t.is_some_and(|t| self.model.is_resource(t));
        let string = |key: &str| {
            self.doc
                .get(obj, key)
                .filter(|&v| self.doc.kind(v) == Kind::String)
                .and_then(|v| self.doc.str(v))
                .map(|s| s.into_owned())
        };
        if !is_resource {
            if let Some(id) = string("id") {
                attrs.push(("id", id));
            }
        }
        if t.is_some_and(|t| self.model.is_extension(t)) {
            if let Some(url) = string("url") {
                attrs.push(("url", url));
            }
        }
        attrs
    }

    fn object(&mut self, name: &str, obj: NodeId, t: Option<TypeRef>, depth: usize) {
        let attrs = self.attributes(obj, t);
        let skip: Vec<&str> = attrs.iter().map(|a| a.0).collect();
        self.open(name, depth, &attrs);
        let has_children = self
            .doc
            .members(obj)
            .iter()
            .any(|m| !skip.contains(&self.doc.key(m).as_ref()));
        if !has_children {
            self.out.push_str("/>\n");
            return;
        }
        self.out.push_str(">\n");
        self.children(obj, t, depth + 1, &skip);
        self.close(name, depth);
    }

    fn primitive(
        &mut self,
        name: &str,
        value: Option<NodeId>,
        twin: Option<NodeId>,
        prim: Option<TypeRef>,
        depth: usize,
    ) {
        let mut attrs = twin.map_or_else(Vec::new, |tw| self.attributes(tw, prim));
        if let Some(v) = value {
            attrs.push(("value", self.scalar_text(v)));
        }
        let skip: Vec<&str> = attrs.iter().map(|a| a.0).collect();
        self.open(name, depth, &attrs);
        let has_children = twin.is_some_and(|tw| {
            self.doc
                .members(tw)
                .iter()
                .any(|m| !skip.contains(&self.doc.key(m).as_ref()))
        });
        match twin {
            Some(tw) if has_children => {
                self.out.push_str(">\n");
                self.children(tw, prim, depth + 1, &skip);
                self.close(name, depth);
            }
            _ => self.out.push_str("/>\n"),
        }
    }

    /// A JSON scalar as the text of a `value` attribute: numbers exactly as
    /// written (`1.50` stays `1.50`).
    fn scalar_text(&self, v: NodeId) -> String {
        match self.doc.kind(v) {
            Kind::String => self.doc.str(v).map(|s| s.into_owned()).unwrap_or_default(),
            Kind::Bool => self.doc.bool(v).unwrap_or_default().to_string(),
            Kind::Number => self.doc.raw(v).unwrap_or("0").to_string(),
            _ => self.doc.to_json_string(v),
        }
    }
}

/// Escapes for an attribute value; whitespace other than the space is
/// written as a character reference, which attribute normalisation keeps.
fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}
