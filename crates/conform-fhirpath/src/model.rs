//! Pluggable type information. The validator answers from its compiled
//! structure definitions; [`BuiltinModel`] is a small fallback that knows the
//! FHIR primitive types, a few type hierarchies and infers the rest from the
//! JSON (resourceType, choice suffixes).

use std::sync::{Arc, OnceLock};

/// What the model knows about a child element, borrowed from the model so
/// that a path step allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChildInfo<'m> {
    /// FHIR type name (`string`, `HumanName`, `Quantity`, a backbone path
    /// such as `Patient.contact`...). For choice elements, the possible
    /// types in JSON key suffix form (`Quantity`, `String`); empty means
    /// any suffix is accepted.
    pub types: &'m [Arc<str>],
    /// Whether the element is a choice (`value[x]`).
    pub is_choice: bool,
}

/// Type information used by navigation, `is`/`as`/`ofType` and `type()`.
pub trait Model: Send + Sync {
    /// Type of `name` under an element of `parent_type`; `None` when unknown.
    fn child_type(&self, parent_type: &str, name: &str) -> Option<ChildInfo<'_>>;
    /// Whether FHIR type `t` is `of` or derives from it.
    fn is_subtype(&self, t: &str, of: &str) -> bool;
    /// Whether `name` is a FHIR type the model knows (resources, data types).
    fn is_type(&self, name: &str) -> bool {
        let _ = name;
        true
    }
    /// Whether the model knows all elements of `type_name`, so an unknown
    /// child is an error in strict mode rather than just absent.
    fn has_elements(&self, type_name: &str) -> bool {
        let _ = type_name;
        false
    }
    /// The names of the elements of `type_name`, its inherited ones too;
    /// empty when unknown.
    fn element_names(&self, type_name: &str) -> Vec<Arc<str>> {
        let _ = type_name;
        Vec::new()
    }
}

/// FHIR primitive types and the System type each maps to.
pub const PRIMITIVES: &[(&str, &str)] = &[
    ("boolean", "Boolean"),
    ("string", "String"),
    ("code", "String"),
    ("id", "String"),
    ("uri", "String"),
    ("url", "String"),
    ("canonical", "String"),
    ("oid", "String"),
    ("uuid", "String"),
    ("markdown", "String"),
    ("base64Binary", "String"),
    ("xhtml", "String"),
    ("integer", "Integer"),
    ("positiveInt", "Integer"),
    ("unsignedInt", "Integer"),
    ("integer64", "Integer"),
    ("decimal", "Decimal"),
    ("date", "Date"),
    ("dateTime", "DateTime"),
    ("instant", "DateTime"),
    ("time", "Time"),
];

/// The System type a FHIR primitive maps to.
pub fn system_type_of(fhir: &str) -> Option<&'static str> {
    PRIMITIVES.iter().find(|p| p.0 == fhir).map(|p| p.1)
}

/// The fallback model: primitives, common derivations and a few element
/// types the official tests rely on.
#[derive(Default, Debug, Clone, Copy)]
pub struct BuiltinModel;

const DERIVED: &[(&str, &str)] = &[
    ("code", "string"),
    ("id", "string"),
    ("markdown", "string"),
    ("url", "uri"),
    ("canonical", "uri"),
    ("oid", "uri"),
    ("uuid", "uri"),
    ("positiveInt", "integer"),
    ("unsignedInt", "integer"),
    ("Age", "Quantity"),
    ("Distance", "Quantity"),
    ("Duration", "Quantity"),
    ("Count", "Quantity"),
    ("SimpleQuantity", "Quantity"),
    ("MoneyQuantity", "Quantity"),
];

/// Element types the fallback knows: (parent, child, type).
const ELEMENTS: &[(&str, &str, &str)] = &[
    ("Patient", "birthDate", "date"),
    ("Patient", "active", "boolean"),
    ("Patient", "gender", "code"),
    ("Patient", "name", "HumanName"),
    ("Patient", "telecom", "ContactPoint"),
    ("Patient", "address", "Address"),
    ("Patient", "identifier", "Identifier"),
    ("Patient", "maritalStatus", "CodeableConcept"),
    ("Patient", "contact", "BackboneElement"),
    ("Patient", "managingOrganization", "Reference"),
    ("Patient", "generalPractitioner", "Reference"),
    ("Patient", "link", "BackboneElement"),
    ("Patient", "communication", "BackboneElement"),
    ("Patient", "text", "Narrative"),
    ("Patient", "meta", "Meta"),
    ("Patient", "id", "id"),
    ("HumanName", "given", "string"),
    ("HumanName", "family", "string"),
    ("HumanName", "use", "code"),
    ("HumanName", "text", "string"),
    ("HumanName", "period", "Period"),
    ("HumanName", "prefix", "string"),
    ("HumanName", "suffix", "string"),
    ("Coding", "userSelected", "boolean"),
    ("Quantity", "comparator", "code"),
    ("Period", "start", "dateTime"),
    ("Period", "end", "dateTime"),
    ("Identifier", "value", "string"),
    ("Identifier", "system", "uri"),
    ("Identifier", "period", "Period"),
    ("Identifier", "type", "CodeableConcept"),
    ("Identifier", "assigner", "Reference"),
    ("CodeableConcept", "coding", "Coding"),
    ("CodeableConcept", "text", "string"),
    ("Coding", "system", "uri"),
    ("Coding", "code", "code"),
    ("Coding", "display", "string"),
    ("Coding", "version", "string"),
    ("Observation", "status", "code"),
    ("Observation", "code", "CodeableConcept"),
    ("Observation", "subject", "Reference"),
    ("Observation", "issued", "instant"),
    ("Quantity", "value", "decimal"),
    ("Quantity", "unit", "string"),
    ("Quantity", "system", "uri"),
    ("Quantity", "code", "code"),
    ("Reference", "reference", "string"),
    ("Reference", "display", "string"),
    ("Address", "city", "string"),
    ("Address", "line", "string"),
    ("Address", "use", "code"),
    ("Address", "period", "Period"),
    ("ContactPoint", "value", "string"),
    ("ContactPoint", "use", "code"),
    ("ContactPoint", "system", "code"),
    ("ContactPoint", "rank", "positiveInt"),
    ("Extension", "url", "uri"),
    ("Questionnaire", "url", "uri"),
    ("Element", "id", "string"),
    ("Resource", "id", "id"),
    ("Meta", "lastUpdated", "instant"),
];

/// Choice elements the fallback knows: (parent, name).
const CHOICES: &[(&str, &str)] = &[
    ("Observation", "value"),
    ("Observation", "effective"),
    ("Observation", "onset"),
    ("Observation", "component.value"),
    ("BackboneElement", "value"),
    ("Extension", "value"),
    ("Patient", "deceased"),
    ("Patient", "multipleBirth"),
    ("Parameters", "value"),
    ("Questionnaire", "answer"),
];

/// The fallback's element types as shared names, built on first use.
struct BuiltinTables {
    elements: Vec<(&'static str, &'static str, [Arc<str>; 1])>,
    extension: [Arc<str>; 1],
    string: [Arc<str>; 1],
}

fn builtin_tables() -> &'static BuiltinTables {
    static TABLES: OnceLock<BuiltinTables> = OnceLock::new();
    TABLES.get_or_init(|| BuiltinTables {
        elements: ELEMENTS
            .iter()
            .map(|(p, c, t)| (*p, *c, [Arc::from(*t)]))
            .collect(),
        extension: [Arc::from("Extension")],
        string: [Arc::from("string")],
    })
}

impl Model for BuiltinModel {
    fn child_type(&self, parent_type: &str, name: &str) -> Option<ChildInfo<'_>> {
        if CHOICES.iter().any(|c| c.1 == name && c.0 == parent_type)
            || name == "value" && parent_type == "Extension"
        {
            return Some(ChildInfo {
                types: &[],
                is_choice: true,
            });
        }
        let tables = builtin_tables();
        let common = match name {
            "extension" | "modifierExtension" => Some(&tables.extension),
            "id" if parent_type.starts_with(char::is_lowercase) || is_datatype(parent_type) => {
                Some(&tables.string)
            }
            _ => None,
        };
        if let Some(t) = common {
            return Some(ChildInfo {
                types: t,
                is_choice: false,
            });
        }
        tables
            .elements
            .iter()
            .find(|e| e.1 == name && (e.0 == parent_type))
            .map(|e| ChildInfo {
                types: &e.2,
                is_choice: false,
            })
    }

    fn has_elements(&self, type_name: &str) -> bool {
        // only the data types whose elements the table lists completely
        matches!(type_name, "HumanName" | "Coding" | "Period" | "Quantity")
    }

    fn is_subtype(&self, t: &str, of: &str) -> bool {
        let mut cur = t;
        for _ in 0..8 {
            if cur == of {
                return true;
            }
            match DERIVED.iter().find(|d| d.0 == cur) {
                Some(d) => cur = d.1,
                None => break,
            }
        }
        match of {
            "Resource" | "DomainResource" => {
                cur.starts_with(char::is_uppercase)
                    && system_type_of(cur).is_none()
                    && !is_datatype(cur)
            }
            "Element" => true,
            _ => false,
        }
    }
}

fn is_datatype(t: &str) -> bool {
    matches!(
        t,
        "HumanName"
            | "Period"
            | "Identifier"
            | "CodeableConcept"
            | "Coding"
            | "Quantity"
            | "Reference"
            | "Address"
            | "ContactPoint"
            | "Extension"
            | "Meta"
            | "Narrative"
            | "BackboneElement"
            | "Element"
            | "Age"
            | "Duration"
            | "Range"
            | "Ratio"
            | "Attachment"
            | "Annotation"
            | "Money"
            | "SampledData"
            | "Signature"
            | "Timing"
    )
}
