//! Type references (`ElementDefinition.type`) and what kind of type a code
//! names. Decisions such as "can the differential walk into this element's
//! children?" depend on whether a type is a datatype, a primitive or a
//! resource, which only the type's own StructureDefinition says.

use serde_json::Value;

use crate::context::Context;

/// Where the core types' definitions live.
pub(crate) const CORE: &str = "http://hl7.org/fhir/StructureDefinition/";
/// Gives the FHIR type of the `System.String` code used for `id` and primitive `value`s.
const FHIR_TYPE_EXT: &str = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

/// `type.code`.
pub(crate) fn code(t: &Value) -> &str {
    t.get("code").and_then(Value::as_str).unwrap_or("")
}

/// The FHIR type a type reference stands for: the `fhir-type` extension of
/// a FHIRPath system type, else its code.
pub(crate) fn working_code(t: &Value) -> &str {
    let ext = t
        .get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| e.get("url").and_then(Value::as_str) == Some(FHIR_TYPE_EXT));
    ext.and_then(|e| {
        e.get("valueUrl")
            .or_else(|| e.get("valueUri"))
            .or_else(|| e.get("valueString"))
            .and_then(Value::as_str)
    })
    .unwrap_or_else(|| code(t))
}

/// `type.profile` canonicals.
pub(crate) fn profiles(t: &Value) -> Vec<&str> {
    canonicals(t, "profile")
}

/// `type.targetProfile` canonicals.
pub(crate) fn target_profiles(t: &Value) -> Vec<&str> {
    canonicals(t, "targetProfile")
}

fn canonicals<'a>(t: &'a Value, key: &str) -> Vec<&'a str> {
    t.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The first `type.profile`.
pub(crate) fn first_profile(t: &Value) -> Option<&str> {
    profiles(t).into_iter().next()
}

/// Absolute URLs are used as-is; core type codes resolve under [`CORE`].
pub(crate) fn type_url(code: &str) -> String {
    if is_absolute_url(code) {
        code.to_string()
    } else {
        format!("{CORE}{code}")
    }
}

pub(crate) fn is_absolute_url(s: &str) -> bool {
    s.starts_with("http:") || s.starts_with("https:") || s.starts_with("urn:")
}

/// Complex datatypes, for when the definitions are not loaded.
const DATATYPES: &[&str] = &[
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Count",
    "Distance",
    "Duration",
    "HumanName",
    "Identifier",
    "Money",
    "Period",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "SampledData",
    "Signature",
    "Timing",
    "ContactDetail",
    "Contributor",
    "DataRequirement",
    "Expression",
    "ParameterDefinition",
    "RelatedArtifact",
    "TriggerDefinition",
    "UsageContext",
];
/// Primitive types, for when the definitions are not loaded.
const PRIMITIVES: &[&str] = &[
    "base64Binary",
    "boolean",
    "canonical",
    "code",
    "date",
    "dateTime",
    "decimal",
    "id",
    "instant",
    "integer",
    "integer64",
    "markdown",
    "oid",
    "positiveInt",
    "string",
    "time",
    "unsignedInt",
    "uri",
    "url",
    "uuid",
];

impl Context<'_> {
    fn type_sd(&self, code: &str) -> Option<&Value> {
        if code.is_empty() {
            return None;
        }
        self.lookup(&type_url(code))
    }

    fn kind_and_derivation(&self, code: &str) -> Option<(&str, &str)> {
        let sd = self.type_sd(code)?;
        let s = |k| sd.get(k).and_then(Value::as_str).unwrap_or("");
        Some((s("kind"), s("derivation")))
    }

    /// A complex datatype (not a profile of one).
    pub fn is_data_type(&self, code: &str) -> bool {
        match self.kind_and_derivation(code) {
            Some((kind, derivation)) => kind == "complex-type" && derivation == "specialization",
            None => DATATYPES.contains(&code),
        }
    }

    /// A profile of a complex datatype (`SimpleQuantity`).
    pub fn is_constrained_data_type(&self, code: &str) -> bool {
        match self.kind_and_derivation(code) {
            Some((kind, derivation)) => kind == "complex-type" && derivation == "constraint",
            None => matches!(code, "SimpleQuantity" | "MoneyQuantity"),
        }
    }

    /// The type a constrained datatype constrains.
    pub fn base_type(&self, code: &str) -> Option<String> {
        match self.type_sd(code) {
            Some(sd) => sd.get("type").and_then(Value::as_str).map(str::to_string),
            None => {
                matches!(code, "SimpleQuantity" | "MoneyQuantity").then(|| "Quantity".to_string())
            }
        }
    }

    pub fn is_primitive(&self, code: &str) -> bool {
        match self.kind_and_derivation(code) {
            Some((kind, _)) => kind == "primitive-type",
            None => PRIMITIVES.contains(&code),
        }
    }

    /// Every type is a datatype or a primitive (so its children can be
    /// expanded from its definition).
    pub fn all_data_types(&self, types: &[Value]) -> bool {
        !types.is_empty()
            && types.iter().all(|t| {
                let c = working_code(t);
                self.is_data_type(c) || self.is_primitive(c)
            })
    }

    /// Java `isBaseResource`: typed, and not by `Resource`.
    pub fn not_resource_typed(types: &[Value]) -> bool {
        !types.is_empty() && types.iter().all(|t| working_code(t) != "Resource")
    }

    /// `code`'s definition is abstract or a logical model (so its
    /// specialisations may stand in for it).
    pub fn is_abstract_or_logical(&self, code: &str) -> bool {
        self.type_sd(code).is_some_and(|sd| {
            sd.get("abstract").and_then(Value::as_bool) == Some(true)
                || sd.get("kind").and_then(Value::as_str) == Some("logical")
        })
    }

    /// The chain of types `code` specialises, itself first (`Patient`,
    /// `DomainResource`, `Resource`). Bounded, in case definitions loop.
    pub fn type_ancestry(&self, code: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut sd = self.type_sd(code);
        while let Some(s) = sd {
            let url = s.get("url").and_then(Value::as_str).unwrap_or("");
            if seen.contains(&url) || seen.len() > 20 {
                break;
            }
            seen.push(url);
            if let Some(t) = s.get("type").and_then(Value::as_str) {
                if !out.iter().any(|o| o == t) {
                    out.push(t.to_string());
                }
            }
            sd = s
                .get("baseDefinition")
                .and_then(Value::as_str)
                .and_then(|b| self.lookup(b));
        }
        out
    }
}
