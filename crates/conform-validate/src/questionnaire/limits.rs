//! Limits the questionnaire puts on an answer's value, mostly through
//! extensions on the item: `minValue`/`maxValue`, `minLength`/`maxLength`,
//! `regex`, `maxDecimalPlaces`, and for attachments and references the
//! allowed mime types, size and resource types.

use super::values::{
    compare_temporal, decimal_places, display_value, extension_value, extensions, join, number,
    AnswerValue,
};
use super::{link_id, Checker};
use crate::finding::{rules, IssueCode, Severity};
use crate::reference::Reference;
use conform_json::NodeId;
use serde_json::Value;
use std::cmp::Ordering;

const MIN_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/maxValue";
const MIN_LENGTH: &str = "http://hl7.org/fhir/StructureDefinition/minLength";
const REGEX: &str = "http://hl7.org/fhir/StructureDefinition/regex";
const ENTRY_FORMAT: &str = "http://hl7.org/fhir/StructureDefinition/entryFormat";
const MAX_DECIMAL_PLACES: &str = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces";
const MIME_TYPE: &str = "http://hl7.org/fhir/StructureDefinition/mimeType";
const MAX_SIZE: &str = "http://hl7.org/fhir/StructureDefinition/maxSize";
const REFERENCE_RESOURCE: &str =
    "http://hl7.org/fhir/StructureDefinition/questionnaire-referenceResource";

impl Checker<'_, '_> {
    /// Applies the limits that fit the value's type.
    pub(super) fn limits(&mut self, q_item: &Value, value: AnswerValue, path: &str) {
        match value.ty {
            "integer" => self.numeric_range(q_item, value.node, path),
            "decimal" => {
                self.numeric_range(q_item, value.node, path);
                self.decimal_places(q_item, value.node, path);
            }
            "date" | "dateTime" | "time" => self.temporal_range(q_item, value.node, path),
            "string" | "uri" => self.text_limits(q_item, value.node, path),
            "Quantity" => self.quantity(q_item, value.node, path),
            "Attachment" => self.attachment(q_item, value.node, path),
            "Reference" => self.reference(q_item, value.node, path),
            _ => {}
        }
    }

    /// Reports a value outside `[minValue, maxValue]`, given how it orders
    /// against each limit. Both limits are checked, as in the reference.
    fn range(
        &mut self,
        q_item: &Value,
        node: NodeId,
        path: &str,
        shown: &str,
        order: impl Fn(&Value) -> Option<Ordering>,
    ) {
        for (url, bad, relation) in [
            (MIN_VALUE, Ordering::Less, "less than the minimum"),
            (MAX_VALUE, Ordering::Greater, "greater than the maximum"),
        ] {
            let Some((_, limit)) = extension_value(q_item, url) else {
                continue;
            };
            if order(limit) == Some(bad) {
                let message = format!(
                    "The answer {shown} is {relation} of {} allowed for the item '{}'",
                    display_value(limit),
                    link_id(q_item)
                );
                self.error(
                    IssueCode::Value,
                    rules::QUESTIONNAIRE_MIN_MAX,
                    node,
                    path,
                    message,
                );
            }
        }
    }

    fn numeric_range(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let Some(v) = number(self.doc, node) else {
            return;
        };
        let shown = self.doc.raw(node).unwrap_or_default().to_string();
        self.range(q_item, node, path, &shown, |limit| {
            v.partial_cmp(&limit.as_f64()?)
        });
    }

    fn temporal_range(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let Some(v) = self.doc.str(node) else { return };
        self.range(q_item, node, path, &v, |limit| {
            Some(compare_temporal(&v, limit.as_str()?))
        });
    }

    /// No more digits after the decimal point than `maxDecimalPlaces`.
    pub(super) fn decimal_places(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let Some(max) = extension_value(q_item, MAX_DECIMAL_PLACES).and_then(|(_, v)| v.as_u64())
        else {
            return;
        };
        let Some(text) = self
            .doc
            .raw(node)
            .filter(|_| self.doc.kind(node) == conform_json::Kind::Number)
        else {
            return;
        };
        let places = decimal_places(text);
        if places as u64 > max {
            let message = format!("The value {text} has {places} decimal places, but the item '{}' allows at most {max}", link_id(q_item));
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_DECIMAL_PLACES,
                node,
                path,
                message,
            );
        }
    }

    /// `minLength`, `maxLength` (in characters) and `regex` on text answers.
    fn text_limits(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let Some(text) = self.doc.str(node) else {
            return;
        };
        let length = text.chars().count();
        let min = extension_value(q_item, MIN_LENGTH).and_then(|(_, v)| v.as_u64());
        if let Some(min) = min.filter(|&m| (length as u64) < m) {
            let message = format!("The answer '{text}' is {length} characters long, shorter than the minimum of {min} for the item '{}'", link_id(q_item));
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_LENGTH,
                node,
                path,
                message,
            );
        }
        if let Some(max) = q_item["maxLength"].as_u64().filter(|&m| length as u64 > m) {
            let message = format!("The answer '{text}' is {length} characters long, longer than the maximum of {max} for the item '{}'", link_id(q_item));
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_LENGTH,
                node,
                path,
                message,
            );
        }
        if let Some((_, Value::String(pattern))) = extension_value(q_item, REGEX) {
            self.regex(q_item, pattern, &text, node, path);
        }
    }

    /// The whole answer must match the `regex` extension. A pattern the
    /// regex engine cannot compile is reported as not checked (information).
    fn regex(&mut self, q_item: &Value, pattern: &str, text: &str, node: NodeId, path: &str) {
        let full = format!("^(?:{pattern})$");
        let Some(matched) = regex::Regex::new(&full).ok().map(|re| re.is_match(text)) else {
            let message = format!("The answer was not checked against the regex '{pattern}' of the item '{}': the pattern is not a regular expression conform can compile", link_id(q_item));
            let rule = rules::QUESTIONNAIRE_REGEX;
            self.report(
                Severity::Information,
                IssueCode::NotSupported,
                rule,
                node,
                path,
                message,
            );
            return;
        };
        if matched {
            return;
        }
        let format = extension_value(q_item, ENTRY_FORMAT).and_then(|(_, v)| v.as_str());
        let expected = match format {
            Some(f) => format!("the expected format '{f}' (regex '{pattern}')"),
            None => format!("the regex '{pattern}'"),
        };
        let message = format!(
            "The answer '{text}' does not match {expected} of the item '{}'",
            link_id(q_item)
        );
        self.error(
            IssueCode::Value,
            rules::QUESTIONNAIRE_REGEX,
            node,
            path,
            message,
        );
    }

    // ---- attachments ---------------------------------------------------------

    /// An attachment's content type must be one the item allows
    /// (`mimeType`) and its size within `maxSize`. (That a stated size is
    /// that of the data is the Attachment type's own rule, `attachment-size`
    /// in [`crate::rule_families::types::attachment`], for every Attachment.)
    fn attachment(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let doc = self.doc;
        let stated = doc.get(node, "size").and_then(|s| number(doc, s));
        let actual = doc
            .get(node, "data")
            .and_then(|d| doc.str(d))
            .and_then(|d| base64_len(&d));
        let size = actual.map(|a| a as f64).or(stated);
        let max = extension_value(q_item, MAX_SIZE).and_then(|(_, v)| v.as_f64());
        if let (Some(size), Some(max)) = (size, max) {
            if size > max {
                let message = format!("The attachment is {size} bytes, more than the {max} bytes the item '{}' allows", link_id(q_item));
                self.error(
                    IssueCode::Value,
                    rules::QUESTIONNAIRE_ATTACHMENT,
                    node,
                    path,
                    message,
                );
            }
        }
        self.mime_type(q_item, node, path);
    }

    fn mime_type(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let allowed: Vec<&str> = extensions(q_item, MIME_TYPE)
            .filter_map(|e| e["valueCode"].as_str())
            .collect();
        let Some(type_node) = self.doc.get(node, "contentType") else {
            return;
        };
        let Some(content_type) = self.doc.str(type_node) else {
            return;
        };
        if allowed.is_empty() || allowed.iter().any(|a| mime_matches(a, &content_type)) {
            return;
        }
        let message = format!(
            "The content type {content_type} is not allowed for the item '{}' (allowed: {})",
            link_id(q_item),
            allowed.join(", ")
        );
        self.error(
            IssueCode::Value,
            rules::QUESTIONNAIRE_ATTACHMENT,
            type_node,
            &join(path, "contentType"),
            message,
        );
    }

    // ---- references ----------------------------------------------------------

    /// The referenced resource's type must be a real resource type, and one
    /// the item allows (`questionnaire-referenceResource`).
    fn reference(&mut self, q_item: &Value, node: NodeId, path: &str) {
        let Some(ref_node) = self.doc.get(node, "reference") else {
            return;
        };
        let Some(reference) = self.doc.str(ref_node) else {
            return;
        };
        let ref_path = join(path, "reference");
        let Some(ty) = self.referenced_type(&reference) else {
            return;
        };
        if !self.plans.is_resource_type(&ty) {
            // Relative references with a bad type are the walker's; only
            // absolute URLs get here with one.
            let message = format!(
                "The reference '{reference}' names '{ty}', which is not a FHIR resource type"
            );
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_REFERENCE_TYPE,
                ref_node,
                &ref_path,
                message,
            );
            return;
        }
        let allowed: Vec<&str> = extensions(q_item, REFERENCE_RESOURCE)
            .filter_map(|e| e["valueCode"].as_str())
            .collect();
        if !allowed.is_empty() && !allowed.contains(&ty.as_str()) {
            let message = format!(
                "The reference '{reference}' points to a {ty}, but the item '{}' only allows {}",
                link_id(q_item),
                allowed.join(", ")
            );
            self.error(
                IssueCode::Value,
                rules::QUESTIONNAIRE_REFERENCE_TYPE,
                ref_node,
                &ref_path,
                message,
            );
        }
    }

    /// The resource type a reference names: `Type/id`, an absolute
    /// `…/Type/id[/_history/v]` whose type segment looks like a type name,
    /// or `#id` of a resource contained in the response.
    fn referenced_type(&self, reference: &str) -> Option<String> {
        if let Some(id) = reference.strip_prefix('#') {
            let qr = *self.scope.first()?;
            let contained = super::values::elements(self.doc, qr, "contained");
            let r = contained
                .iter()
                .find(|&&c| self.doc.get_str(c, "id").as_deref() == Some(id))?;
            return self.doc.get_str(*r, "resourceType").map(|t| t.into_owned());
        }
        let parsed = crate::reference::parse(reference).ok()?;
        let ty = parsed.resource()?.resource_type.as_ref();
        let absolute = matches!(parsed, Reference::Absolute { .. });
        (absolute || self.plans.is_resource_type(ty)).then(|| ty.to_string())
    }
}

/// Bytes encoded by a base64 text (whitespace ignored); `None` when it is
/// not well formed (the walker reports that).
fn base64_len(data: &str) -> Option<usize> {
    let chars: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !chars.chunks_exact(4).remainder().is_empty() {
        return None;
    }
    let padding = chars.iter().rev().take_while(|&&b| b == b'=').count();
    (padding <= 2).then(|| chars.len() / 4 * 3 - padding)
}

/// Whether a content type is allowed by a `mimeType` entry: same type
/// ignoring case and parameters, or a `type/*` wildcard.
fn mime_matches(allowed: &str, actual: &str) -> bool {
    let essence = |m: &str| {
        m.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let (allowed, actual) = (essence(allowed), essence(actual));
    match allowed.strip_suffix("/*") {
        Some(major) => actual.split('/').next() == Some(major),
        None => allowed == actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len("aGVsbG8="), Some(5));
        assert_eq!(base64_len("aGVs bG8h"), Some(6));
        assert_eq!(base64_len("abc"), None);
    }

    #[test]
    fn mime_types_ignore_case_and_parameters() {
        assert!(mime_matches("text/plain", "TEXT/plain; charset=utf-8"));
        assert!(mime_matches("image/*", "image/gif"));
        assert!(!mime_matches("image/gif", "application/pdf"));
    }
}
