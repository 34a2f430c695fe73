//! A ValueSet's filters (`compose.include.filter`, `compose.exclude.filter`)
//! as the reference validator's ValueSet checks judge them: the property a
//! filter names must be one its code system has (a warning, when conform
//! holds the system), the operation one that property allows, and the
//! value of the property's type: `true`/`false` for a boolean, a code with
//! no surrounding space (one the system has, where the property is the
//! concept itself or points at concepts and conform holds the system), a
//! date-time, a decimal, an integer, or a Coding written
//! `system(|version)#code` whose code its system has, when conform holds
//! it. The specification defines the properties every system has
//! (`concept`, `code`, the concept properties of
//! `http://hl7.org/fhir/concept-properties`); a system's own are its
//! `property` and `filter` declarations; SNOMED CT's and LOINC's are their
//! own (the filters their FHIR pages define).

use super::items;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::walk::Walker;
use conform_json::{Document, NodeId};
use serde_json::Value;

const SNOMED: &str = crate::rule_families::types::sctid::SNOMED_CT;
const LOINC: &str = "http://loinc.org";

/// What a filter's value must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueType {
    Boolean,
    Code,
    DateTime,
    Decimal,
    Integer,
    Coding,
}

/// Whether a filter's code value must be a code of the system.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeCheck {
    None,
    Warning,
    Error,
}

/// The rules for a filter on one property: its value's type (none: any
/// text), how its codes are judged, and the operations allowed (none
/// listed: any).
struct Rules {
    ty: Option<ValueType>,
    codes: CodeCheck,
    ops: Vec<String>,
}

impl Walker<'_> {
    pub(crate) fn value_set(&mut self, node: NodeId) {
        self.value_set_parameters(node);
        let doc = self.doc;
        let Some(compose) = doc.get(node, "compose") else {
            return;
        };
        let mut found: Vec<(Severity, &'static str, NodeId, String, String)> = Vec::new();
        // (the reference warns, not errs, of a retired ValueSet's codes)
        let retired = doc.get_str(node, "status").as_deref() == Some("retired");
        for part in ["include", "exclude"] {
            for (i, include) in items(doc, compose, part).enumerate() {
                let Some(system) = doc.get_str(include, "system") else {
                    continue;
                };
                let version = doc.get_str(include, "version");
                for (j, concept) in items(doc, include, "concept").enumerate() {
                    if let Some(why) =
                        self.concept_not_in(doc, concept, &system, version.as_deref())
                    {
                        let severity = if retired {
                            Severity::Warning
                        } else {
                            Severity::Error
                        };
                        let at = format!("compose.{part}[{i}].concept[{j}]");
                        found.push((severity, rules::CODE_INVALID, concept, at, why));
                    }
                }
                // the CodeSystem is read only for filters (DICOM's is 1.3 MB
                // of JSON)
                if doc.get(include, "filter").is_none() {
                    continue;
                }
                // only a system held at hand: the core's and THO's are not
                // (reading every definition to find one would slow every
                // run that validates ValueSets)
                let cs = self
                    .context
                    .held(&system)
                    .filter(|cs| cs["resourceType"] == "CodeSystem");
                for (j, filter) in items(doc, include, "filter").enumerate() {
                    let at = format!("compose.{part}[{i}].filter[{j}]");
                    self.filter(doc, filter, &system, version.as_deref(), cs, |s, m| {
                        found.push((s, rules::VALUE_SET_FILTER, filter, at.clone(), m))
                    });
                }
            }
        }
        for (severity, rule, at, path, message) in found {
            let code = if rule == rules::CODE_INVALID {
                IssueCode::CodeInvalid
            } else {
                IssueCode::Invalid
            };
            self.report(severity, code, rule, at, Some(&path), message);
        }
    }

    /// Why a concept a ValueSet lists (`compose.include.concept`) is no
    /// code of its system, as far as conform can tell without a server: a
    /// SNOMED CT code that has no concept identifier's form, or a code the
    /// held CodeSystem's complete content lacks (a fragment's, or another
    /// version's, is not judged).
    fn concept_not_in(
        &self,
        doc: &Document<'_>,
        concept: NodeId,
        system: &str,
        version: Option<&str>,
    ) -> Option<String> {
        let code = doc.get_str(concept, "code")?;
        if system == SNOMED {
            return crate::rule_families::types::sctid::concept_id_problem(&code)
                .map(|why| format!("The code '{code}' is not valid in the system {system}: it is not a SNOMED CT concept identifier ({why})"));
        }
        let codes = self.context.system_codes(system)?;
        if codes.fragment || codes.other_version(version) || codes.contains(&code) {
            return None;
        }
        Some(format!("The code '{code}' is not valid in the system {system}, whose complete content the loaded packages hold"))
    }

    fn filter(
        &self,
        doc: &Document<'_>,
        filter: NodeId,
        system: &str,
        version: Option<&str>,
        cs: Option<&Value>,
        mut report: impl FnMut(Severity, String),
    ) {
        let (Some(property), Some(op)) =
            (doc.get_str(filter, "property"), doc.get_str(filter, "op"))
        else {
            return;
        };
        // a value given by an expression (`_value` with cqf-expression,
        // a parameter of the expansion) is not known here
        let Some(value) = doc.get_str(filter, "value") else {
            return;
        };
        // a system whose definition lists no concepts (SNOMED CT's, LOINC's)
        // declares too few of its properties to say one is unknown
        if let Some(cs) = cs.filter(|cs| cs["content"] != "not-present") {
            let known = known_names(system, cs);
            if !known.iter().any(|k| *k == property) {
                report(Severity::Warning, format!(
                    "The code system {system} has no property '{property}' (it has: {}), so a terminology server may not understand this filter",
                    known.join(", ")));
                return;
            }
        }
        let Some(rules) = rules_for(system, cs, &property) else {
            return;
        };
        if !rules.ops.is_empty() && !rules.ops.iter().any(|o| *o == op) {
            report(Severity::Error, format!(
                "The operation '{op}' cannot be used on the property '{property}' of {system}, which allows {}",
                rules.ops.join(", ")));
        }
        let check = |v: &str, report: &mut dyn FnMut(Severity, String)| {
            self.filter_value(system, version, cs, &property, v, &rules, report)
        };
        match &*op {
            "exists" => {
                let rules = Rules {
                    ty: Some(ValueType::Boolean),
                    codes: CodeCheck::None,
                    ops: Vec::new(),
                };
                self.filter_value(system, version, cs, &property, &value, &rules, &mut report);
            }
            // (the pattern's syntax is Java's, which conform does not judge)
            "regex" => {
                if property == "concept" {
                    report(Severity::Error, "A regular expression cannot filter on the property 'concept' (a concept is not text): filter on 'code'".to_string());
                }
            }
            "in" | "not-in" => {
                for v in value.split(',') {
                    check(v, &mut report);
                }
            }
            _ => check(&value, &mut report),
        }
    }

    /// Judges one value of a filter on `property` by `rules`.
    #[allow(clippy::too_many_arguments)]
    fn filter_value(
        &self,
        system: &str,
        version: Option<&str>,
        cs: Option<&Value>,
        property: &str,
        value: &str,
        rules: &Rules,
        report: &mut dyn FnMut(Severity, String),
    ) {
        let Some(ty) = rules.ty else { return };
        let bad = |what: &str| format!("A filter on '{property}' takes {what}, not '{value}'");
        match ty {
            ValueType::Boolean if !matches!(value, "true" | "false") => {
                report(Severity::Error, bad("'true' or 'false'"))
            }
            ValueType::Code if value.trim() != value => {
                report(Severity::Error, bad("a code without spaces around it"))
            }
            ValueType::Code if rules.codes != CodeCheck::None && cs.is_some() => {
                let held = self.context.system_codes(system);
                let other_version =
                    version.is_some_and(|v| held.is_some_and(|h| h.version.as_deref() != Some(v)));
                if let Some(codes) = held.filter(|_| !other_version) {
                    if codes.lacks(value) {
                        let severity = match rules.codes {
                            CodeCheck::Error => Severity::Error,
                            _ => Severity::Warning,
                        };
                        report(severity, format!(
                            "A filter on '{property}' takes a code of {system}, and '{value}' is not one"));
                    }
                }
            }
            ValueType::DateTime if !is_date_time(value) => {
                report(Severity::Error, bad("a date-time"))
            }
            ValueType::Decimal if !is_decimal(value) => report(Severity::Error, bad("a decimal")),
            ValueType::Integer if !is_integer(value) => report(Severity::Error, bad("an integer")),
            ValueType::Coding => match value.split_once('#') {
                Some((system_version, code)) if !system_version.is_empty() && !code.is_empty() => {
                    let coded = system_version.split('|').next().unwrap_or_default();
                    if let Some(codes) = self.context.system_codes(coded) {
                        if codes.lacks(code) {
                            report(Severity::Error, format!(
                                "A filter on '{property}' takes a Coding, and {coded} has no code '{code}' ('{value}')"));
                        }
                    }
                }
                _ => report(
                    Severity::Error,
                    bad("a Coding written as system#code or system|version#code"),
                ),
            },
            _ => {}
        }
    }
}

/// The property names a filter on `system` may use, given its CodeSystem.
fn known_names(system: &str, cs: &Value) -> Vec<String> {
    let mut names: Vec<String> = [
        "concept",
        "code",
        "status",
        "inactive",
        "effectiveDate",
        "deprecationDate",
        "retirementDate",
        "notSelectable",
    ]
    .map(str::to_string)
    .to_vec();
    // a hierarchy's own properties, where the system says what its
    // hierarchy means
    if cs.get("hierarchyMeaning").is_some() {
        names.extend(["parent", "child", "partOf"].map(str::to_string));
    }
    names.extend(["synonym", "comment", "itemWeight"].map(str::to_string));
    for key in ["filter", "property"] {
        for declared in cs[key].as_array().into_iter().flatten() {
            if let Some(code) = declared["code"].as_str() {
                if !names.iter().any(|n| n == code) {
                    names.push(code.to_string());
                }
            }
        }
    }
    if system == LOINC {
        names.extend(
            [
                "parent",
                "ancestor",
                "copyright",
                "STATUS",
                "COMPONENT",
                "PROPERTY",
                "TIME_ASPCT",
                "SYSTEM",
                "SCALE_TYP",
                "METHOD_TYP",
                "CLASS",
                "CONSUMER_NAME",
                "CLASSTYPE",
                "ORDER_OBS",
                "DOCUMENT_SECTION",
            ]
            .map(str::to_string),
        );
    }
    names
}

/// The rules for a filter on `property`: the system's own declarations
/// first (a `filter` lists its operations, a `property` gives the type),
/// then the properties every system has, then SNOMED CT's and LOINC's.
fn rules_for(system: &str, cs: Option<&Value>, property: &str) -> Option<Rules> {
    let mut ops: Vec<String> = Vec::new();
    if let Some(cs) = cs {
        for f in cs["filter"].as_array().into_iter().flatten() {
            if f["code"] == property {
                ops.extend(
                    f["operator"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|o| o.as_str().map(str::to_string)),
                );
            }
        }
        for p in cs["property"].as_array().into_iter().flatten() {
            if p["code"] != property {
                continue;
            }
            let (ty, codes) = match p["type"].as_str() {
                Some("boolean") => (ValueType::Boolean, CodeCheck::None),
                // a `code` property names a concept of the system, by its
                // definition, but many systems use it for values of their
                // own: a warning
                Some("code") => (ValueType::Code, CodeCheck::Warning),
                Some("Coding") => (ValueType::Coding, CodeCheck::None),
                Some("dateTime") => (ValueType::DateTime, CodeCheck::None),
                Some("decimal") => (ValueType::Decimal, CodeCheck::None),
                Some("integer") => (ValueType::Integer, CodeCheck::None),
                Some("string") => return None,
                _ => continue,
            };
            return Some(Rules {
                ty: Some(ty),
                codes,
                ops,
            });
        }
    }
    let with = |ty: ValueType, codes: CodeCheck, extra: &[&str], mut ops: Vec<String>| {
        for o in extra {
            if !ops.iter().any(|x| x == o) {
                ops.push(o.to_string());
            }
        }
        Some(Rules {
            ty: Some(ty),
            codes,
            ops,
        })
    };
    use CodeCheck as C;
    use ValueType as T;
    match property {
        "concept" => {
            return with(
                T::Code,
                C::Error,
                &[
                    "=",
                    "in",
                    "is-a",
                    "descendent-of",
                    "descendent-leaf",
                    "is-not-a",
                    "not-in",
                ],
                ops,
            )
        }
        "code" => return with(T::Code, C::Error, &["=", "regex"], ops),
        "status" | "synonym" => return with(T::Code, C::None, &[], ops),
        "inactive" | "notSelectable" => return with(T::Boolean, C::None, &[], ops),
        "effectiveDate" | "deprecationDate" | "retirementDate" => {
            return with(T::DateTime, C::None, &[], ops)
        }
        "parent" | "child" | "partOf" => return with(T::Code, C::Error, &[], ops),
        "itemWeight" => return with(T::Decimal, C::None, &[], ops),
        "comment" => return None,
        _ => {}
    }
    match system {
        LOINC => match property {
            "copyright" | "STATUS" | "CLASS" | "CONSUMER_NAME" | "ORDER_OBS"
            | "DOCUMENT_SECTION" | "SCALE_TYP" => with(T::Code, C::None, &[], Vec::new()),
            "CLASSTYPE" => with(T::Integer, C::None, &["=", "in"], ops),
            _ => with(T::Code, C::Error, &["=", "in"], ops),
        },
        SNOMED => match property {
            "constraint" => None,
            "expressions" => with(T::Boolean, C::None, &["=", "in"], ops),
            _ => with(T::Code, C::Error, &["=", "in"], ops),
        },
        _ if !ops.is_empty() => Some(Rules {
            ty: None,
            codes: CodeCheck::None,
            ops,
        }),
        _ => None,
    }
}

/// FHIR's dateTime, as a value of that type is checked.
fn is_date_time(v: &str) -> bool {
    crate::primitive::Primitive::DateTime.check(v).is_ok()
}

/// FHIR's decimal: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_decimal(v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let v = v.strip_prefix('-').unwrap_or(v);
    let (number, exponent) = match v.split_once(['e', 'E']) {
        Some((n, e)) => (n, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (v, None),
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (number, None),
    };
    digits(whole)
        && (whole == "0" || !whole.starts_with('0'))
        && fraction.is_none_or(digits)
        && exponent.is_none_or(digits)
}

/// FHIR's integer: a 32-bit signed whole number.
fn is_integer(v: &str) -> bool {
    crate::primitive::Primitive::Integer.check(v).is_ok()
}
