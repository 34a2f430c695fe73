//! The published JSON Schema of scenario files
//! (`testkits/schema/scenario.schema.json`), built into the binary so the
//! loader holds every file to the same contract editors and CI lint with.
//! Serde reports type mistakes first, with their line; the schema then
//! catches what types alone allow (an unknown method, a bad duration...).

use serde_json::Value;
use std::sync::OnceLock;

pub const SCENARIO_SCHEMA: &str = include_str!("../../../testkits/schema/scenario.schema.json");

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(SCENARIO_SCHEMA).expect("the built-in schema is JSON");
        jsonschema::validator_for(&schema).expect("the built-in schema compiles")
    })
}

/// What the schema finds wrong with a scenario or fragment, as
/// `at /steps/0/request/method: ...` lines (empty when it conforms).
pub fn schema_errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| {
            let at = e.instance_path.to_string();
            format!("at {}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect()
}
