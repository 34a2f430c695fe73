//! A parsed JSON document written back indented, numbers and strings
//! exactly as they were (a decimal's `1.50` must not become `1.5`).

use conform_json::{Document, Kind, NodeId};

pub fn to_pretty_json(doc: &Document<'_>) -> String {
    let mut out = String::new();
    write(doc, doc.root(), 0, &mut out);
    out.push('\n');
    out
}

fn indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write(doc: &Document<'_>, id: NodeId, depth: usize, out: &mut String) {
    match doc.kind(id) {
        Kind::Array if !doc.elements(id).is_empty() => {
            out.push('[');
            for (i, &e) in doc.elements(id).iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                write(doc, e, depth + 1, out);
            }
            indent(out, depth);
            out.push(']');
        }
        Kind::Object if !doc.members(id).is_empty() => {
            out.push('{');
            for (i, m) in doc.members(id).iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                out.push('"');
                out.push_str(doc.raw_key(m));
                out.push_str("\": ");
                write(doc, m.value, depth + 1, out);
            }
            indent(out, depth);
            out.push('}');
        }
        _ => out.push_str(&doc.to_json_string(id)),
    }
}
