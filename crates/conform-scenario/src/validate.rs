//! `validate:` in a step: the response body against a profile (canonical
//! URL) or a pack (its profile for each resource type, entries of a Bundle
//! included). The runner sees only [`BodyValidator`]; [`PackValidator`]
//! answers it with conform-validate.

use conform_outcome::validate::MustSupportReport;
use conform_validate::{ProfileSelection, Validator};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How many error messages a failed validation quotes.
const QUOTED: usize = 5;

pub trait BodyValidator: Send + Sync {
    /// The error findings of `body` against `target`; `Err` when the
    /// target is neither a loaded profile nor a loaded pack.
    fn errors(&self, body: &[u8], target: &str) -> Result<Vec<String>, String>;
    /// FHIRPath over `body` with the loaded definitions' types, when any.
    fn validator(&self) -> Option<&Validator> {
        None
    }
    /// The Must-Support population of the bodies validated so far, when
    /// it is recorded.
    fn must_support(&self) -> Option<MustSupportReport> {
        None
    }
}

/// The loaded definitions and the packs whose names `validate:` may use.
pub struct PackValidator {
    /// One validator per FHIR release (the first is the run's own).
    pub validators: Vec<Validator>,
    /// Pack name → (index in `validators`, resource type → profile URL).
    pub packs: BTreeMap<String, (usize, BTreeMap<String, String>)>,
    /// The Must-Support population of the bodies validated, added up
    /// when the validators record it (`--must-support`).
    pub must_support: Option<Mutex<MustSupportReport>>,
}

impl BodyValidator for PackValidator {
    fn errors(&self, body: &[u8], target: &str) -> Result<Vec<String>, String> {
        let (validator, selection, mut errors) =
            if let Some((i, per_type)) = self.packs.get(target) {
                let selection = ProfileSelection {
                    explicit: Vec::new(),
                    per_type: per_type.clone(),
                    meta_profiles: true,
                    bundle_rules: Vec::new(),
                };
                (&self.validators[*i], selection, Vec::new())
            } else if let Some(v) = self
                .validators
                .iter()
                .find(|v| base_definition(v, target).is_some())
            {
                // A base resource's definition (`.../StructureDefinition/Patient`):
                // the body is that resource, valid against the base definitions.
                let rtype = base_definition(v, target).unwrap_or_default();
                let selection = ProfileSelection {
                    explicit: Vec::new(),
                    per_type: BTreeMap::new(),
                    meta_profiles: false,
                    bundle_rules: Vec::new(),
                };
                let mut errors = Vec::new();
                let got = crate::assert::with_model(Some(self as &dyn BodyValidator), |m| {
                    crate::body::json_value(body, m)
                })?;
                if got["resourceType"] != rtype {
                    errors.push(format!(
                        "{}: expected a {rtype}, got {}",
                        got["resourceType"].as_str().unwrap_or("(no resourceType)"),
                        got["resourceType"].as_str().unwrap_or("no FHIR resource")
                    ));
                }
                (v, selection, errors)
            } else if target.contains("://") {
                let Some(validator) = self.validators.iter().find(|v| v.has_profile(target)) else {
                    return Err(format!(
                        "profile {target} is not loaded (add its package with --ig)"
                    ));
                };
                let selection = ProfileSelection {
                    explicit: vec![target.to_string()],
                    per_type: BTreeMap::new(),
                    meta_profiles: true,
                    bundle_rules: Vec::new(),
                };
                (validator, selection, Vec::new())
            } else {
                let names: Vec<&str> = self.packs.keys().map(String::as_str).collect();
                return Err(format!(
                "'{target}' is neither a profile URL nor a loaded pack (loaded: {}; use --pack)",
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ));
            };
        // XML or JSON, by the body's first byte.
        let mut result = validator.with_profiles(selection).validate_payload(body);
        if let Some(tally) = &self.must_support {
            tally
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take_from(&mut result);
        }
        errors.extend(result.error_sentences());
        Ok(errors)
    }

    fn validator(&self) -> Option<&Validator> {
        self.validators.first()
    }

    fn must_support(&self) -> Option<MustSupportReport> {
        let tally = self.must_support.as_ref()?;
        Some(
            tally
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        )
    }
}

/// The resource type whose base definition `target` is
/// (`http://hl7.org/fhir/StructureDefinition/Patient` → Patient), when
/// the validator holds it and no profile has that URL.
fn base_definition(v: &Validator, target: &str) -> Option<String> {
    let name = target.strip_prefix("http://hl7.org/fhir/StructureDefinition/")?;
    (!v.has_profile(target) && v.plans().resource(name).is_some()).then(|| name.to_string())
}

/// A one-line summary of validation errors.
pub fn summarise(target: &str, errors: &[String]) -> String {
    let mut m = format!(
        "{} error{} against {target}: {}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        errors[..errors.len().min(QUOTED)].join("; ")
    );
    if errors.len() > QUOTED {
        m.push_str(&format!(" (and {} more)", errors.len() - QUOTED));
    }
    m
}
