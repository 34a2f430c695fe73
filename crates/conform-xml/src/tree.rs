//! Well-formed XML into a small element tree with byte positions, refusing
//! what FHIR XML never needs and an attacker might use: DOCTYPEs (so no
//! entity declarations and no expansion), undeclared entities, encodings
//! other than UTF-8, and nesting deeper than [`Limits::max_depth`].

use quick_xml::events::{BytesStart, Event};
use quick_xml::XmlVersion;
use std::fmt;

/// Bounds that keep hostile input from exhausting the stack or memory
/// (docs/limits.md).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum nesting of elements.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // The JSON parser's bound: a FHIR resource in XML nests one level
        // deeper than in JSON per contained resource, well inside 512.
        Limits { max_depth: 512 }
    }
}

/// Why the bytes are not FHIR-readable XML, and where (a byte offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlError {
    pub offset: usize,
    pub message: String,
    /// The text broke one of the [`Limits`], not the XML grammar: which
    /// one, as its setting is spelled (`max-depth`).
    pub over_limit: Option<&'static str>,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for XmlError {}

pub(crate) struct Attr {
    /// The name as written (`value`, `xsi:schemaLocation`).
    pub(crate) name: String,
    /// The resolved namespace of a prefixed attribute.
    pub(crate) ns: Option<String>,
    pub(crate) value: String,
    /// Byte offset of the attribute's name.
    pub(crate) pos: usize,
}

pub(crate) struct Elem {
    pub(crate) local: String,
    /// The resolved namespace (`None`: in no namespace).
    pub(crate) ns: Option<String>,
    /// Byte offset of the `<` that opens the element.
    pub(crate) start: usize,
    /// Byte offset just after the element's end.
    pub(crate) end: usize,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) children: Vec<usize>,
    /// Byte offset of the first non-blank text directly inside, if any.
    pub(crate) text: Option<usize>,
}

pub(crate) struct Tree<'s> {
    pub(crate) src: &'s str,
    pub(crate) elems: Vec<Elem>,
    pub(crate) root: usize,
}

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

pub(crate) fn parse(bytes: &[u8], limits: Limits) -> Result<Tree<'_>, XmlError> {
    if bytes.starts_with(&[0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(XmlError {
            offset: 0,
            message: "UTF-16 is not supported: FHIR XML must be UTF-8".into(),
            over_limit: None,
        });
    }
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let src = std::str::from_utf8(bytes).map_err(|e| XmlError {
        offset: e.valid_up_to(),
        message: "invalid UTF-8 (FHIR XML must be UTF-8)".into(),
        over_limit: None,
    })?;
    if src.len() >= u32::MAX as usize {
        return Err(XmlError {
            offset: 0,
            message: "document larger than 4 GiB".into(),
            over_limit: Some("max-file-bytes"),
        });
    }
    let body = &src[bom..];
    let mut reader = quick_xml::Reader::from_str(body);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut elems: Vec<Elem> = Vec::new();
    // Open elements (indices into `elems`), and the namespace bindings each
    // declared: (prefix, uri), "" for the default namespace.
    let mut open: Vec<usize> = Vec::new();
    let mut bindings: Vec<(String, String, usize)> = Vec::new();
    let mut root = None;
    let err = |offset: usize, message: String| XmlError {
        offset: offset + bom,
        message,
        over_limit: None,
    };
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(err(reader.error_position() as usize, describe(&e))),
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    if !enc.eq_ignore_ascii_case("utf-8") {
                        return Err(err(
                            before,
                            format!("encoding '{enc}' is not supported: FHIR XML must be UTF-8"),
                        ));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(err(
                    before,
                    "DOCTYPE declarations are not allowed in FHIR XML".into(),
                ))
            }
            Event::Start(ref s) | Event::Empty(ref s) => {
                let is_empty = matches!(event, Event::Empty(_));
                if open.is_empty() && root.is_some() {
                    return Err(err(before, "more than one root element".into()));
                }
                if open.len() as u32 >= limits.max_depth {
                    return Err(XmlError {
                        over_limit: Some("max-depth"),
                        ..err(
                            before,
                            format!(
                                "elements nested deeper than the limit of {} levels",
                                limits.max_depth
                            ),
                        )
                    });
                }
                let depth = open.len();
                let (elem, declared) =
                    element(s, before + bom, depth, &bindings).map_err(|m| err(before, m))?;
                bindings.extend(declared);
                let id = elems.len();
                elems.push(elem);
                match open.last() {
                    Some(&parent) => elems[parent].children.push(id),
                    None => root = Some(id),
                }
                if is_empty {
                    elems[id].end = after + bom;
                    bindings.retain(|b| b.2 <= depth);
                } else {
                    open.push(id);
                }
            }
            Event::End(_) => {
                // check_end_names has matched it with its start.
                if let Some(id) = open.pop() {
                    elems[id].end = after + bom;
                }
                let depth = open.len();
                bindings.retain(|b| b.2 <= depth);
            }
            Event::Text(t) => {
                let text: &str = &t;
                if let Some(i) = text.find(|c: char| !c.is_ascii_whitespace()) {
                    match open.last() {
                        Some(&p) => {
                            elems[p].text.get_or_insert(before + i + bom);
                        }
                        None => {
                            return Err(err(before + i, "text outside the root element".into()))
                        }
                    }
                }
            }
            Event::CData(_) => match open.last() {
                Some(&p) => {
                    elems[p].text.get_or_insert(before + bom);
                }
                None => return Err(err(before, "CDATA outside the root element".into())),
            },
            Event::GeneralRef(r) => {
                let known = matches!(&*r as &str, "lt" | "gt" | "amp" | "quot" | "apos");
                let valid_char = r.is_char_ref() && matches!(r.resolve_char_ref(), Ok(Some(_)));
                if !known && !valid_char {
                    return Err(err(
                        before,
                        format!("undeclared entity or bad character reference '&{};' (FHIR XML declares no entities)", &*r as &str),
                    ));
                }
                match open.last() {
                    Some(&p) => {
                        elems[p].text.get_or_insert(before + bom);
                    }
                    None => return Err(err(before, "reference outside the root element".into())),
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(&id) = open.last() {
        return Err(err(
            body.len(),
            format!(
                "the document ends before element '{}' is closed",
                elems[id].local
            ),
        ));
    }
    let Some(root) = root else {
        return Err(err(body.len(), "no root element".into()));
    };
    Ok(Tree { src, elems, root })
}

/// An element from its start tag: its name resolved against the bindings in
/// scope (and those it declares, returned to be pushed at `depth`).
#[allow(clippy::type_complexity)]
fn element(
    s: &BytesStart<'_>,
    start: usize,
    depth: usize,
    bindings: &[(String, String, usize)],
) -> Result<(Elem, Vec<(String, String, usize)>), String> {
    let tag_src: &str = s;
    let mut declared = Vec::new();
    let mut raw_attrs = Vec::new();
    for a in s.attributes().with_checks(true) {
        let a = a.map_err(|e| format!("malformed attribute: {e}"))?;
        let name = a.key.as_ref().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("attribute '{name}': {}", describe(&e)))?
            .into_owned();
        // Where the attribute's name is in the tag, for positions: the key
        // borrows from the tag's text, so its address says where.
        let in_tag = (a.key.as_ref().as_ptr() as usize).wrapping_sub(tag_src.as_ptr() as usize);
        let pos = if in_tag < tag_src.len() {
            start + 1 + in_tag
        } else {
            start
        };
        if name == "xmlns" {
            declared.push((String::new(), value, depth + 1));
        } else if let Some(p) = name.strip_prefix("xmlns:") {
            declared.push((p.to_string(), value, depth + 1));
        } else {
            raw_attrs.push((name, value, pos));
        }
    }
    let resolve = |prefix: &str| -> Option<String> {
        if prefix == "xml" {
            return Some(XML_NS.into());
        }
        declared
            .iter()
            .rev()
            .chain(bindings.iter().rev())
            .find(|b| b.0 == prefix)
            .map(|b| b.1.clone())
            .filter(|u| !u.is_empty())
    };
    let qname = s.name();
    let qname: &str = qname.as_ref();
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", qname),
    };
    let ns = resolve(prefix);
    if !prefix.is_empty() && ns.is_none() {
        return Err(format!("undeclared namespace prefix '{prefix}'"));
    }
    let mut attrs = Vec::with_capacity(raw_attrs.len());
    for (name, value, pos) in raw_attrs {
        let ns = match name.split_once(':') {
            Some((p, _)) => {
                Some(resolve(p).ok_or_else(|| format!("undeclared namespace prefix '{p}'"))?)
            }
            None => None,
        };
        attrs.push(Attr {
            name,
            ns,
            value,
            pos,
        });
    }
    Ok((
        Elem {
            local: local.to_string(),
            ns,
            start,
            end: start,
            attrs,
            children: Vec::new(),
            text: None,
        },
        declared,
    ))
}

fn describe(e: &dyn fmt::Display) -> String {
    format!("not well-formed XML: {e}")
}
