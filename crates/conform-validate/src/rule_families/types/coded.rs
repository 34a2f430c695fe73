//! Identifier, Coding and Quantity: the form of their `system` URIs, the
//! values the IETF identifier systems require, and UCUM unit codes.

use super::super::Report;
use crate::finding::{rules, IssueCode, Severity};
use conform_json::{Document, NodeId};

const UCUM: &str = "http://unitsofmeasure.org";
const RFC_3986: &str = "urn:ietf:rfc:3986";
const RFC_4122: &str = "https://tools.ietf.org/html/rfc4122";

/// A system must be a URL or URN (`http:`, `https:`, `urn:`), not a local
/// or relative name.
fn is_system_uri(system: &str) -> bool {
    system.starts_with("http:") || system.starts_with("https:") || system.starts_with("urn:")
}

pub(crate) fn identifier(r: &mut impl Report, doc: &Document, node: NodeId) {
    let Some(system) = doc.get_str(node, "system") else {
        return;
    };
    if !is_system_uri(&system) && !system.starts_with("ldap:") {
        let message = format!(
            "Identifier.system must be an absolute URI (http:, https:, urn: or ldap:) naming the identifier's namespace, not the local reference '{system}'"
        );
        r.report(
            Severity::Error,
            IssueCode::CodeInvalid,
            rules::IDENTIFIER_SYSTEM,
            node,
            None,
            message,
        );
    }
    let Some(value) = doc.get_str(node, "value") else {
        return;
    };
    let (severity, message) = match system.as_ref() {
        RFC_3986 if !has_scheme(&value) => (
            Severity::Error,
            format!("With the system {RFC_3986} the identifier's value is itself a URI, so it must start with a scheme (such as urn:uuid: or https:), not '{value}'"),
        ),
        RFC_4122 if value.starts_with("urn:uuid:") => (
            Severity::Warning,
            format!("The system {RFC_4122} is not meant for identifiers such as '{value}': use the system {RFC_3986} for a urn:uuid: value"),
        ),
        RFC_4122 if is_plain_uuid(&value) => (
            Severity::Warning,
            format!("The system {RFC_4122} is not meant for UUID identifiers: write the value as 'urn:uuid:{value}' with the system {RFC_3986}"),
        ),
        RFC_4122 => (
            Severity::Error,
            format!("The system {RFC_4122} is not correct for the identifier '{value}'"),
        ),
        _ => return,
    };
    r.report(
        severity,
        IssueCode::CodeInvalid,
        rules::IDENTIFIER_VALUE,
        node,
        None,
        message,
    );
}

/// A URI scheme before the first `:` (letters, then letters, digits, `_`,
/// `[` or `]`); a `file:` URI must go on with `/` or hold another `:`.
fn has_scheme(value: &str) -> bool {
    let Some((scheme, tail)) = value.split_once(':') else {
        return false;
    };
    let token = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '[' | ']'));
    token && (scheme != "file" || tail.starts_with('/') || tail.contains(':'))
}

fn is_plain_uuid(u: &str) -> bool {
    u.len() == 36
        && u.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// A Coding (`in_codeable_concept`: one of a CodeableConcept's codings,
/// which the reference judges through the CodeableConcept instead).
pub(crate) fn coding(r: &mut impl Report, doc: &Document, node: NodeId, in_codeable_concept: bool) {
    if in_codeable_concept {
        return;
    }
    let code = doc.get_str(node, "code");
    let system = doc.get_str(node, "system");
    match (system, code) {
        (None, Some(code)) => r.report(
            Severity::Warning,
            IssueCode::CodeInvalid,
            rules::CODING_NO_SYSTEM,
            node,
            None,
            format!("The code '{code}' has no system, so it has no defined meaning and cannot be checked: give the system it comes from"),
        ),
        (Some(system), Some(_)) => system_form(r, node, &system),
        _ => {}
    }
}

/// The form of a coded value's system, when it has both a system and a
/// code: a URI, not a page of the FHIR build or specification, and not a
/// variant of a well-known terminology's URI.
fn system_form(r: &mut impl Report, node: NodeId, system: &str) {
    let on_hl7_site = [
        "http://hl7.org/fhir",
        "https://hl7.org/fhir",
        "http://www.hl7.org/fhir",
        "https://www.hl7.org/fhir",
    ]
    .iter()
    .any(|p| system.starts_with(p));
    let message = if !is_system_uri(system) {
        format!("The system '{system}' is a local reference: a code system is named by an absolute URI (http:, https: or urn:)")
    } else if system.starts_with("http://build.fhir.org")
        || system.starts_with("https://build.fhir.org")
    {
        format!("The system '{system}' points at the FHIR continuous-build site, which is never a code system's identity: use the code system's canonical URL")
    } else if on_hl7_site && system.ends_with(".html") {
        format!("The system '{system}' is a web page of the FHIR specification, not a code system's URI: use the code system's canonical URL")
    } else if let Some(known) = [
        "http://snomed.info/sct",
        "http://loinc.org",
        UCUM,
        "http://www.nlm.nih.gov/research/umls/rxnorm",
    ]
    .into_iter()
    .find(|k| system != *k && system.starts_with(k))
    {
        format!("The system '{system}' is not a valid code system URI: the system for this terminology is exactly '{known}'")
    } else {
        return;
    };
    r.report(
        Severity::Error,
        IssueCode::CodeInvalid,
        rules::CODING_SYSTEM,
        node,
        None,
        message,
    );
}

pub(crate) fn quantity(r: &mut impl Report, doc: &Document, node: NodeId) {
    let (Some(system), Some(code)) = (doc.get_str(node, "system"), doc.get_str(node, "code"))
    else {
        return;
    };
    system_form(r, node, &system);
    if system != UCUM {
        return;
    }
    if let Err(e) = ucum::validate(&code) {
        let message = format!("The unit code '{code}' is not valid UCUM: {e}");
        r.report(
            Severity::Error,
            IssueCode::CodeInvalid,
            rules::QUANTITY_UCUM,
            node,
            None,
            message,
        );
        return;
    }
    if let (Some(b), Some(e)) = (code.find('{'), code.find('}')) {
        if b < e {
            let annotation = &code[b..=e];
            let unit = doc.get_str(node, "unit");
            let shown = match unit.as_deref() {
                None => " and the Quantity has no unit text to show it".to_string(),
                Some(u) if !u.to_lowercase().contains(&code[b + 1..e].to_lowercase()) => {
                    format!(" and the unit text '{u}' does not show it")
                }
                Some(_) => String::new(),
            };
            let message = format!("The UCUM code '{code}' carries the annotation {annotation}, which is ignored when units are compared or converted{shown}: best practice is not to rely on annotations");
            r.report(
                Severity::Information,
                IssueCode::BusinessRule,
                rules::QUANTITY_UCUM_ANNOTATION,
                node,
                None,
                message,
            );
        }
    }
}

impl crate::walk::Walker<'_> {
    /// A Coding's system must be a code system, not a supplement to one
    /// (R4 CodeSystem.supplements: a supplement adds designations and
    /// properties to another code system's concepts; codes are always
    /// that system's), judged when the context holds the CodeSystem.
    pub(crate) fn supplement_as_system(&mut self, node: NodeId) {
        if !self.context.has_supplements() {
            return;
        }
        let Some(system) = self.doc.get_str(node, "system") else {
            return;
        };
        if !self.context.is_supplement(&system) {
            return;
        }
        let Some(cs) = self.context.held(&system) else {
            return;
        };
        let base = cs["supplements"].as_str().unwrap_or("another code system");
        let message = format!("The CodeSystem {system} is a supplement (to {base}), so it cannot be a Coding's system: use the system it supplements");
        let at = self.doc.get(node, "system").unwrap_or(node);
        self.path.push(crate::walk::Seg::Name("system"));
        self.error(IssueCode::CodeInvalid, rules::CODING_SYSTEM, at, message);
        self.path.pop();
    }

    /// A SNOMED CT Coding's code, when it is an identifier (all digits),
    /// must have an identifier's form ([`super::sctid`]): a malformed one
    /// names no concept in any release, as a terminology server would
    /// answer. Whether the finding was made (the server is then not asked).
    pub(crate) fn snomed_concept_id(&mut self, node: NodeId) -> bool {
        let doc = self.doc;
        if doc.get_str(node, "system").as_deref() != Some(super::sctid::SNOMED_CT) {
            return false;
        }
        let Some((at, code)) = doc
            .get(node, "code")
            .and_then(|at| Some((at, doc.str(at)?)))
        else {
            return false;
        };
        let Some(why) = super::sctid::concept_id_problem(&code) else {
            return false;
        };
        let message = format!("The code '{code}' is not a SNOMED CT concept identifier: {why}");
        self.emit(
            Severity::Error,
            IssueCode::CodeInvalid,
            rules::CODE_INVALID,
            doc.offset(at),
            Some("code"),
            message,
        );
        true
    }

    /// A Coding's code must be one of its system's when the context holds
    /// that CodeSystem with its content (R4 CodeSystem.content: `complete`
    /// lists every code, so a code it lacks does not exist; a `fragment`
    /// lists some, so one it lacks is only a warning, and is left to a
    /// terminology server when one is asked about the system). A version
    /// other than the held one is not judged here.
    pub(crate) fn code_in_held_system(&mut self, node: NodeId) {
        let doc = self.doc;
        // most systems are not held: the code is read only for one that is
        let Some(system) = doc.get_str(node, "system") else {
            return;
        };
        let Some(codes) = self.context.system_codes(&system) else {
            return;
        };
        let Some((at, code)) = doc
            .get(node, "code")
            .and_then(|at| Some((at, doc.str(at)?)))
        else {
            return;
        };
        let other_version = codes.other_version(doc.get_str(node, "version").as_deref());
        if let Some(i) = codes.position(&code) {
            if !other_version {
                self.held_display(node, &system, &code, codes, i);
            }
            return;
        }
        if other_version {
            return;
        }
        let shown_version = codes
            .version
            .as_deref()
            .map_or(String::new(), |v| format!(" (version {v})"));
        let (severity, message) = if codes.fragment {
            if self.checker.is_some_and(|c| c.asks_about(&system)) {
                return;
            }
            (Severity::Warning, format!("The code '{code}' is not among those listed by the code system {system}{shown_version}, of which the loaded packages hold a fragment"))
        } else {
            (Severity::Error, format!("The code '{code}' is not in the code system {system}{shown_version}, whose complete content the loaded packages hold"))
        };
        self.emit(
            severity,
            IssueCode::CodeInvalid,
            rules::CODE_INVALID,
            doc.offset(at),
            Some("code"),
            message,
        );
    }

    /// A Coding's display must be one its held CodeSystem gives the code:
    /// the concept's display or a designation, ignoring case (the
    /// reference's `Display_Name_for__should_be_one_of__instead_of`). An
    /// error, or a warning with `--display-issues-are-warnings`, as in the
    /// reference.
    fn held_display(
        &mut self,
        node: NodeId,
        system: &str,
        code: &str,
        codes: &crate::terminology::ListedCodes,
        at_code: usize,
    ) {
        let doc = self.doc;
        let Some((at, display)) = doc
            .get(node, "display")
            .and_then(|at| Some((at, doc.str(at)?)))
        else {
            return;
        };
        if codes
            .displays_at(at_code)
            .any(|d| same_display(d, &display))
        {
            return;
        }
        let displays: Vec<&str> = codes.displays_at(at_code).collect();
        if displays.is_empty() {
            return;
        }
        let spacing = displays
            .iter()
            .any(|d| same_display(&spaced(d), &spaced(&display)));
        let choices = match &displays[..] {
            [one] => format!("'{one}'"),
            many => format!(
                "one of {}",
                many.iter()
                    .map(|d| format!("'{d}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let message = format!(
            "Wrong display '{display}' for {system}#{code}: the code system's display is {choices}{}",
            if spacing { " (they differ in spacing)" } else { "" }
        );
        let severity = if self.options.display_issues_are_warnings {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.emit(
            severity,
            IssueCode::Invalid,
            rules::CODE_DISPLAY,
            doc.offset(at),
            Some("display"),
            message,
        );
    }
}

/// Displays match ignoring case (ASCII first: most are).
fn same_display(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// A display with its runs of whitespace as one space, trimmed.
fn spaced(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
