//! A CodeSystem's properties: how each is declared (`CodeSystem.property`)
//! and the values its concepts give them (`concept.property`), as the
//! reference validator's CodeSystem checks judge them.
//!
//! A property is known by its URI and referred to by its code. The FHIR
//! specification defines a set of concept properties at
//! `http://hl7.org/fhir/concept-properties` with a code and a type each
//! ([`KNOWN`]); a declaration that names one of them by URI must use its
//! code and type, and one that uses only a known code is probably meant
//! to be it. Concept property values must be of the declared type, and a
//! property that points at another concept of the system (`parent`,
//! `child`, `partOf`, `synonym`, or any `code` property the system does
//! not bind to a value set) must name a code the system has.

use super::items;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::{Document, NodeId};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;

/// Where the specification's concept properties are defined.
const CONCEPT_PROPERTIES: &str = "http://hl7.org/fhir/concept-properties";

/// The concept properties the specification defines, with their types:
/// R5's list, which the reference applies to every release, and R4's own
/// `deprecated` (R4 defines it where R5 has `deprecationDate`).
const KNOWN: &[(&str, &str)] = &[
    ("status", "code"),
    ("inactive", "boolean"),
    ("effectiveDate", "dateTime"),
    ("deprecated", "dateTime"),
    ("deprecationDate", "dateTime"),
    ("retirementDate", "dateTime"),
    ("notSelectable", "boolean"),
    ("parent", "code"),
    ("child", "code"),
    ("partOf", "code"),
    ("synonym", "code"),
    ("comment", "string"),
    ("itemWeight", "decimal"),
];

/// Known properties whose values are codes of the same system.
const POINT_AT_CONCEPTS: &[&str] = &["parent", "child", "partOf", "synonym"];

/// The extension that binds a `code` (or `Coding`) property to a value set.
const PROPERTY_VALUE_SET: &[&str] = &[
    "http://hl7.org/fhir/StructureDefinition/codesystem-property-valueset",
    "http://hl7.org/fhir/6.0/StructureDefinition/extension-CodeSystem.property.valueSet",
];

/// The types of `concept.property.value[x]` by their JSON key.
const VALUE_TYPES: &[(&str, &str)] = &[
    ("valueCode", "code"),
    ("valueCoding", "Coding"),
    ("valueString", "string"),
    ("valueInteger", "integer"),
    ("valueBoolean", "boolean"),
    ("valueDateTime", "dateTime"),
    ("valueDecimal", "decimal"),
];

fn known_code(code: &str) -> Option<&'static (&'static str, &'static str)> {
    KNOWN.iter().find(|(c, _)| *c == code)
}

/// What a `code` value of a property must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeRule {
    /// A code of this system, or it is an error.
    Concept,
    /// A code of this system, or it is a warning (a `code` property the
    /// system neither defines by a known URI nor binds to a value set).
    ConceptWarning,
    /// Not checked here (bound to a value set, or a known property whose
    /// codes come from elsewhere, such as `status`).
    Unchecked,
}

struct Declared {
    /// `CodeSystem.property.type`.
    ty: Option<String>,
    rule: CodeRule,
}

type Found = (Severity, IssueCode, NodeId, String, String);

impl Walker<'_> {
    /// The property declarations of the CodeSystem `node`, then the
    /// property values of its concepts (at any depth). `codes` are the
    /// concepts' codes, `supplement` whether the system supplements
    /// another (whose codes conform does not check values against).
    pub(crate) fn code_system_properties(
        &mut self,
        node: NodeId,
        codes: &HashSet<Cow<'_, str>>,
        supplement: bool,
    ) {
        let doc = self.doc;
        let url = doc.get_str(node, "url");
        let mut found: Vec<Found> = Vec::new();
        let mut declared: Vec<Declared> = Vec::new();
        // URIs and codes in one table, as the reference keeps them: a
        // concept's property code finds its declaration by either.
        let mut by_name: HashMap<String, usize> = HashMap::default();
        for (i, p) in items(doc, node, "property").enumerate() {
            let d = declare(
                doc,
                p,
                url.as_deref(),
                &mut by_name,
                declared.len(),
                |s, c, m| found.push((s, c, p, format!("property[{i}]"), m)),
            );
            declared.push(d);
        }
        let mut checked = HashSet::default();
        for_each_concept(doc, node, &mut |concept, at| {
            for (i, prop) in items(doc, concept, "property").enumerate() {
                concept_property(
                    doc,
                    prop,
                    &by_name,
                    &declared,
                    codes,
                    supplement,
                    &mut checked,
                    |s, c, m| {
                        found.push((s, c, prop, format!("{}.property[{i}]", concept_path(at)), m))
                    },
                );
            }
        });
        for (severity, code, at, path, message) in found {
            self.report(
                severity,
                code,
                if path.starts_with("property") {
                    rules::CODE_SYSTEM_PROPERTY
                } else {
                    rules::CODE_SYSTEM_CONCEPT_PROPERTY
                },
                at,
                Some(&path),
                message,
            );
        }
    }
}

/// Each concept of `node` and of its concepts, depth first, with its
/// place below the CodeSystem (the index at each depth): paths are
/// written only for findings, since a code system may have thousands of
/// concepts.
pub(super) fn for_each_concept(
    doc: &Document<'_>,
    node: NodeId,
    f: &mut dyn FnMut(NodeId, &[usize]),
) {
    fn walk(
        doc: &Document<'_>,
        node: NodeId,
        at: &mut Vec<usize>,
        f: &mut dyn FnMut(NodeId, &[usize]),
    ) {
        for (i, concept) in items(doc, node, "concept").enumerate() {
            at.push(i);
            f(concept, at);
            walk(doc, concept, at, f);
            at.pop();
        }
    }
    walk(doc, node, &mut Vec::new(), f);
}

/// `concept[0].concept[2]` for the place `[0, 2]`.
pub(super) fn concept_path(at: &[usize]) -> String {
    let parts: Vec<String> = at.iter().map(|i| format!("concept[{i}]")).collect();
    parts.join(".")
}

/// Judges one property declaration and enters it in `by_name` under its
/// URI and its code, unless another took either already.
fn declare(
    doc: &Document<'_>,
    p: NodeId,
    system_url: Option<&str>,
    by_name: &mut HashMap<String, usize>,
    index: usize,
    mut report: impl FnMut(Severity, IssueCode, String),
) -> Declared {
    let uri = doc.get_str(p, "uri");
    let code = doc.get_str(p, "code");
    let ty = doc.get_str(p, "type").map(|t| t.into_owned());
    // the known property the URI names
    let mut by_uri = None;
    if let Some(uri) = uri.as_deref() {
        if !is_absolute(uri) {
            report(
                Severity::Error,
                IssueCode::BusinessRule,
                format!("The property URI '{uri}' is not an absolute URI"),
            );
        } else {
            if by_name.contains_key(uri) {
                report(
                    Severity::Error,
                    IssueCode::BusinessRule,
                    format!("Another property of this CodeSystem has the URI '{uri}' already"),
                );
            } else {
                by_name.insert(uri.to_string(), index);
            }
            if uri.contains("://hl7.org/fhir") {
                by_uri = uri
                    .strip_prefix(CONCEPT_PROPERTIES)
                    .and_then(|rest| rest.strip_prefix('#'))
                    .and_then(known_code);
                let exempt =
                    system_url.is_some_and(|url| is_core_system(url) || uri.starts_with(url));
                if by_uri.is_none() && !exempt {
                    report(Severity::Error, IssueCode::BusinessRule, format!(
                        "The property URI '{uri}' is in HL7's space but is not one of the concept properties the FHIR specification defines ({CONCEPT_PROPERTIES}#...)"));
                }
            }
        }
    }
    let by_code = code.as_deref().and_then(known_code);
    if let Some(code) = code.as_deref() {
        if by_name.contains_key(code) {
            report(
                Severity::Error,
                IssueCode::BusinessRule,
                format!("Another property of this CodeSystem has the code '{code}' already"),
            );
        } else {
            by_name.insert(code.to_string(), index);
        }
    }
    let mut rule = CodeRule::Unchecked;
    if let Some(&(known, known_type)) = by_uri {
        let uri = uri.as_deref().unwrap_or_default();
        if let Some((other, _)) = by_code.filter(|(c, _)| *c != known) {
            report(Severity::Error, IssueCode::BusinessRule, format!(
                "The property URI '{uri}' stands for the property '{known}', but this declaration gives it the code '{other}', which is another known property's"));
        }
        if let Some(ty) = ty.as_deref().filter(|t| *t != known_type) {
            report(
                Severity::Error,
                IssueCode::BusinessRule,
                format!("The property URI '{uri}' has the type '{known_type}', not '{ty}'"),
            );
        }
        if POINT_AT_CONCEPTS.contains(&known) {
            rule = CodeRule::Concept;
        }
    } else if ty.as_deref() == Some("code") && !has_value_set(doc, p) {
        rule = CodeRule::ConceptWarning;
    }
    if uri.is_none() {
        if let Some(&(known, known_type)) = by_code {
            report(Severity::Warning, IssueCode::BusinessRule, format!(
                "The property code '{known}' is one the FHIR specification defines, but without its URI ({CONCEPT_PROPERTIES}#{known}) the property's meaning is not defined for other systems"));
            if let Some(ty) = ty.as_deref().filter(|t| *t != known_type) {
                report(Severity::Warning, IssueCode::BusinessRule, format!(
                    "The property code '{known}' is the specification's property of type '{known_type}', not '{ty}'"));
            }
        }
    }
    Declared { ty, rule }
}

/// Judges one `concept.property`: declared, with a value of the declared
/// type, and, for a property that points at concepts, a code this
/// system has (each code checked once a system, as the reference does).
#[allow(clippy::too_many_arguments)]
fn concept_property(
    doc: &Document<'_>,
    prop: NodeId,
    by_name: &HashMap<String, usize>,
    declared: &[Declared],
    codes: &HashSet<Cow<'_, str>>,
    supplement: bool,
    checked: &mut HashSet<String>,
    mut report: impl FnMut(Severity, IssueCode, String),
) {
    let Some(code) = doc.get_str(prop, "code") else {
        return; // cardinality's
    };
    let definition = by_name.get(&*code).map(|&i| &declared[i]);
    if definition.is_none() {
        report(Severity::Warning, IssueCode::BusinessRule, format!(
            "The property '{code}' is not declared in CodeSystem.property, so what it means is unknown to other systems"));
    }
    let Some((value, ty)) = value_of(doc, prop) else {
        report(
            Severity::Error,
            IssueCode::BusinessRule,
            format!("The property '{code}' has no value"),
        );
        return;
    };
    let text = value.and_then(|v| primitive_text(doc, v));
    if let Some(d) = definition {
        match (&d.ty, ty) {
            (Some(declared), Some(ty)) if declared != ty => {
                report(Severity::Error, IssueCode::BusinessRule, format!(
                    "The property '{code}' is declared with the type '{declared}', but this value is of type '{ty}'"));
            }
            (_, Some("code")) if d.rule != CodeRule::Unchecked && !supplement => {
                if let Some(text) = &text {
                    if !codes.contains(text.as_str()) && checked.insert(text.clone()) {
                        let severity = match d.rule {
                            CodeRule::Concept => Severity::Error,
                            _ => Severity::Warning,
                        };
                        report(severity, IssueCode::Invalid, format!(
                            "The property '{code}' names the code '{text}', which this CodeSystem does not have"));
                    }
                }
            }
            _ => {}
        }
    }
    if code == "synonym" && !text.as_deref().is_some_and(|t| codes.contains(t)) {
        let shown = text.as_deref().unwrap_or("(not a code)");
        report(Severity::Warning, IssueCode::BusinessRule, format!(
            "The synonym '{shown}' is not a code of this CodeSystem; a synonym should name another of its codes that means the same"));
    }
}

/// The value of a `concept.property` and its type: `None` when it has
/// none; the node is absent when only the `_value...` twin is there, and
/// the type is absent for a key the walk reports as unknown.
#[allow(clippy::type_complexity)]
fn value_of(doc: &Document<'_>, prop: NodeId) -> Option<(Option<NodeId>, Option<&'static str>)> {
    for m in doc.members(prop) {
        let key = doc.key(m);
        let (twin, name) = match key.strip_prefix('_') {
            Some(name) => (true, name),
            None => (false, &*key),
        };
        if !name.starts_with("value") {
            continue;
        }
        let ty = VALUE_TYPES
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, t)| *t);
        return Some(((!twin).then_some(m.value), ty));
    }
    None
}

/// A primitive value as text (a string's decoded, a number's lexical
/// form, a boolean's word); `None` for anything else.
fn primitive_text(doc: &Document<'_>, v: NodeId) -> Option<String> {
    match doc.kind(v) {
        conform_json::Kind::String => doc.str(v).map(|s| s.into_owned()),
        conform_json::Kind::Number => doc.raw(v).map(str::to_string),
        conform_json::Kind::Bool => doc.bool(v).map(|b| b.to_string()),
        _ => None,
    }
}

fn has_value_set(doc: &Document<'_>, p: NodeId) -> bool {
    items(doc, p, "extension").any(|e| {
        doc.get_str(e, "url")
            .is_some_and(|u| PROPERTY_VALUE_SET.contains(&&*u))
    })
}

/// A URI with a scheme (`http:`, `urn:`...), as the reference tells one.
fn is_absolute(uri: &str) -> bool {
    uri.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// A code system of the FHIR specification itself
/// (`http://hl7.org/fhir/<name>`), which may define properties in HL7's
/// space.
fn is_core_system(url: &str) -> bool {
    url.strip_prefix("http://hl7.org/fhir/")
        .is_some_and(|rest| !rest.contains('/'))
}
