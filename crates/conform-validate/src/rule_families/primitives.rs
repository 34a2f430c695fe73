//! Primitive values: the JSON type a primitive must have, empty strings
//! and nulls, the lexical form of each primitive type
//! ([`crate::primitive`]; `narrative` for xhtml, whose checks are in
//! [`crate::xhtml`]), and embedded HTML where the options forbid it. A code
//! with a required binding goes on to [`super::bindings`]; the text rules of
//! [`super::types::text`] (whitespace, control and bidi characters...) run
//! on every string value.

use crate::finding::{rules, IssueCode};
use crate::plan::{ElementPlan, ElementType};
use crate::primitive::{JsonType, Primitive};
use crate::rule_families::{bindings, types};
use crate::walk::{article, Walker};
use conform_json::{Kind, NodeId};

impl<'a> Walker<'a> {
    pub(crate) fn primitive(
        &mut self,
        node: NodeId,
        p: Primitive,
        el: &'a ElementPlan,
        t: &ElementType,
    ) {
        let doc = self.doc;
        let kind = doc.kind(node);
        let expected = p.json_type();
        let text = match (expected, kind) {
            (_, Kind::Null) => {
                self.error(
                    IssueCode::Structure,
                    rules::NULL_VALUE,
                    node,
                    format!("{} must have a value, not null", el.path),
                );
                return;
            }
            (JsonType::Bool, Kind::Bool) => return,
            (JsonType::Number, Kind::Number) => doc.raw(node).map(std::borrow::Cow::Borrowed),
            (JsonType::String, Kind::String) => doc.str(node),
            // Read from XML (a position map is there), the value was a
            // `value` attribute the reader could not take as a boolean or
            // number: say so in XML's terms, not JSON's.
            (JsonType::Bool | JsonType::Number, Kind::String) if self.positions.is_some() => {
                let want = match expected {
                    JsonType::Bool => "true or false",
                    _ => "a number",
                };
                let message = format!(
                    "{} is a {}, so its value attribute must be {want}, not '{}'",
                    el.path,
                    t.code,
                    doc.str(node).unwrap_or_default()
                );
                self.error(IssueCode::Structure, rules::JSON_TYPE, node, message);
                return;
            }
            _ => {
                let want = match expected {
                    JsonType::Bool => "a JSON boolean (true or false)",
                    JsonType::Number => "a JSON number",
                    JsonType::String => "a JSON string",
                };
                let message = format!(
                    "{} is a {}, so its value must be {want}, not {}",
                    el.path,
                    t.code,
                    article(kind)
                );
                self.error(IssueCode::Structure, rules::JSON_TYPE, node, message);
                return;
            }
        };
        let Some(text) = text else { return };
        if kind == Kind::String && text.is_empty() {
            self.error(
                IssueCode::Value,
                rules::EMPTY,
                node,
                format!("{} must not be an empty string: omit it instead", el.path),
            );
            return;
        }
        if kind == Kind::String {
            // Only whitespace: a warning, and no more checks of its form
            // (a code still goes to its required binding).
            if types::text::whitespace_only(self, node, &el.path, &text) {
                if p == Primitive::Code {
                    let (plans, doc) = (self.plans, self.doc);
                    bindings::check_required(self, plans, doc, node, el);
                }
                return;
            }
            let raw = doc.raw(node).unwrap_or_default();
            types::text::check(self, node, p, &el.path, &text, raw);
        }
        if let Err(why) = p.check(&text) {
            let rule = if p == Primitive::Xhtml {
                rules::NARRATIVE
            } else {
                rules::PRIMITIVE_FORMAT
            };
            self.error(
                IssueCode::Value,
                rule,
                node,
                format!("The value of {} {why}", el.path),
            );
            return;
        }
        if p == Primitive::Decimal {
            types::text::decimal_range(self, node, &el.path, &text);
        }
        if matches!(p, Primitive::Canonical | Primitive::Uri | Primitive::Url) {
            if let Some(id) = text.strip_prefix('#') {
                self.local_reference(id);
            }
        }
        let html_forbidden = match p {
            Primitive::String => self.options.security_checks,
            Primitive::Markdown => self.options.no_html_in_markdown || self.options.security_checks,
            _ => false,
        };
        if html_forbidden && looks_like_html(&text) {
            let message = format!("The value of {} contains text that looks like embedded HTML tags, which are not allowed here (they could be rendered unescaped)", el.path);
            self.error(IssueCode::Invalid, rules::EMBEDDED_HTML, node, message);
        }
        if matches!(p, Primitive::Code | Primitive::String | Primitive::Uri) {
            {
                let (plans, doc) = (self.plans, self.doc);
                bindings::check_required(self, plans, doc, node, el);
            }
        }
    }
}

/// `<` directly followed by a tag name, `/` or `!`: the start of an HTML tag
/// rather than a less-than sign.
fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}
