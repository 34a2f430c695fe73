//! A parameterised ValueSet: the parameters it declares (HL7 tooling's
//! `valueset-parameter` extension, each a `name` and its `documentation`)
//! and the filters whose value an expression gives (`_value` with a
//! `cqf-expression`, written in FHIRPath over `%`-named parameters), as the
//! reference validator's ValueSet checks judge them:
//!
//! - an expression must be FHIRPath (`text/fhirpath`) and parse;
//! - every `%name` it uses must be a declared parameter;
//! - a filter cannot have both a value and an expression for it;
//! - a declared parameter that no filter uses, or that has no
//!   documentation, is a warning.
//!
//! A `%name` is read as the reference's FHIRPath lexer reads it: letters,
//! digits, `-`, `_` and `:` (FHIR's own constants, such as `%vs-name`,
//! have hyphens), or a name in backticks.

use super::items;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::{Document, NodeId};

const PARAMETER: &str = "http://hl7.org/fhir/tools/StructureDefinition/valueset-parameter";
const EXPRESSION: &str = "http://hl7.org/fhir/StructureDefinition/cqf-expression";

/// The constants FHIR defines for every expression, which need no
/// declaration.
const FHIR_CONSTANTS: &[&str] = &["ucum", "sct", "loinc"];

struct Parameter {
    name: String,
    /// The declaring extension, and its place among the ValueSet's.
    at: NodeId,
    index: usize,
    used: bool,
}

impl Walker<'_> {
    pub(crate) fn value_set_parameters(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut parameters: Vec<Parameter> = Vec::new();
        let mut found: Vec<(Severity, NodeId, String, String)> = Vec::new();
        for (index, ext) in items(doc, node, "extension").enumerate() {
            if doc.get_str(ext, "url").as_deref() != Some(PARAMETER) {
                continue;
            }
            let Some(name) = sub_extension(doc, ext, "name").and_then(|v| doc.str(v)) else {
                continue;
            };
            if sub_extension(doc, ext, "documentation").is_none() {
                found.push((Severity::Warning, ext, format!("extension[{index}]"), format!(
                    "The value set parameter '{name}' has no documentation, so users are unlikely to be able to give it correctly")));
            }
            parameters.push(Parameter {
                name: name.into_owned(),
                at: ext,
                index,
                used: false,
            });
        }
        if let Some(compose) = doc.get(node, "compose") {
            for part in ["include", "exclude"] {
                for (i, include) in items(doc, compose, part).enumerate() {
                    for (j, filter) in items(doc, include, "filter").enumerate() {
                        let at = format!("compose.{part}[{i}].filter[{j}]");
                        filter_expression(doc, filter, &at, &mut parameters, &mut found);
                    }
                }
            }
        }
        for p in parameters.iter().filter(|p| !p.used) {
            found.push((
                Severity::Warning,
                p.at,
                format!("extension[{}]", p.index),
                format!(
                    "The value set parameter '{}' is not used by any filter",
                    p.name
                ),
            ));
        }
        for (severity, at, path, message) in found {
            let code = match severity {
                Severity::Warning => IssueCode::BusinessRule,
                _ => IssueCode::Invalid,
            };
            self.report(
                severity,
                code,
                rules::VALUE_SET_PARAMETER,
                at,
                Some(&path),
                message,
            );
        }
    }
}

/// The value of `ext`'s sub-extension `url` (its one `value[x]`).
fn sub_extension(doc: &Document<'_>, ext: NodeId, url: &str) -> Option<NodeId> {
    let sub =
        items(doc, ext, "extension").find(|&e| doc.get_str(e, "url").as_deref() == Some(url))?;
    doc.members(sub)
        .iter()
        .find(|m| doc.key(m).starts_with("value"))
        .map(|m| m.value)
}

/// Judges the expression that gives `filter`'s value, if one does.
fn filter_expression(
    doc: &Document<'_>,
    filter: NodeId,
    at: &str,
    parameters: &mut [Parameter],
    found: &mut Vec<(Severity, NodeId, String, String)>,
) {
    let Some(value_ext) = doc.get(filter, "_value") else {
        return;
    };
    let Some((k, expression)) = items(doc, value_ext, "extension")
        .enumerate()
        .find(|&(_, e)| doc.get_str(e, "url").as_deref() == Some(EXPRESSION))
        .and_then(|(k, e)| Some((k, doc.get(e, "valueExpression")?)))
    else {
        return;
    };
    let path = format!("{at}.value.extension[{k}].value.ofType(Expression)");
    let mut error =
        |message: String| found.push((Severity::Error, expression, path.clone(), message));
    if doc.get(filter, "value").is_some() {
        error("A filter cannot have both a value and an expression giving its value".into());
    }
    let language = doc.get_str(expression, "language");
    if language.as_deref() != Some("text/fhirpath") {
        error(format!(
            "A ValueSet filter's expression must be FHIRPath ('text/fhirpath'), not '{}'",
            language.as_deref().unwrap_or("")
        ));
        return;
    }
    let Some(text) = doc.get_str(expression, "expression") else {
        return;
    };
    if let Err(e) = conform_fhirpath::parse(&text) {
        error(format!(
            "The expression '{text}' is not valid FHIRPath: {e}"
        ));
        return;
    }
    for name in constants(&text) {
        if FHIR_CONSTANTS.contains(&name.as_str()) {
            continue;
        }
        match parameters.iter_mut().find(|p| p.name == name) {
            Some(p) => p.used = true,
            None => error(format!(
                "The expression '{text}' uses the parameter '{name}', which the ValueSet does not declare"
            )),
        }
    }
}

/// The `%`-names of FHIRPath text, outside its string literals.
fn constants(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                // a string literal, with its escapes
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'%' if b.get(i + 1) == Some(&b'`') => {
                let end = text[i + 2..].find('`').map_or(b.len(), |e| i + 2 + e);
                names.push(text[i + 2..end].to_string());
                i = end + 1;
            }
            b'%' => {
                let end = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':')))
                    .map_or(b.len(), |e| i + 1 + e);
                names.push(text[i + 1..end].to_string());
                i = end;
            }
            _ => i += 1,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::constants;

    #[test]
    fn constants_are_read_as_the_reference_reads_them() {
        assert_eq!(constants("%p-inactive3"), ["p-inactive3"]);
        assert_eq!(constants("$this and %p-a.b or %`p b`"), ["p-a", "p b"]);
        assert_eq!(constants("'%not-one' + %yes"), ["yes"]);
        assert_eq!(constants("'it\\'s %x' = %y_1"), ["y_1"]);
    }
}
