//! The JSON Schemas of the documents conform writes, generated from the
//! types (schemars), so the published schema can never drift from what the
//! writers serialise and the scorecard reads: `docs/schemas/` holds them and
//! a test fails when a checked-in file differs from [`documents`].

use schemars::{JsonSchema, Schema};

/// Every document: its schema id (`conform.validate/1`) and its JSON Schema.
pub fn documents() -> Vec<(&'static str, Schema)> {
    vec![
        document::<crate::validate::Document>(crate::validate::SCHEMA),
        document::<crate::probe::ProbeReport>(crate::probe::SCHEMA),
        document::<crate::probe::RegionsReport>(crate::probe::REGIONS_SCHEMA),
        document::<crate::scenario::RunResult>(crate::scenario::SCHEMA),
        document::<crate::doctor::DoctorReport>(crate::doctor::SCHEMA),
        document::<crate::scorecard::Report>(crate::scorecard::SCHEMA),
    ]
}

/// The file a document's schema is published in: `conform.validate/1` →
/// `conform.validate-1.schema.json`.
pub fn file_name(schema_id: &str) -> String {
    format!("{}.schema.json", schema_id.replace('/', "-"))
}

fn document<T: JsonSchema>(id: &'static str) -> (&'static str, Schema) {
    let mut schema = schemars::schema_for!(T);
    schema.insert("title".into(), id.into());
    // The `schema` field of a document holds exactly its id.
    if let Some(field) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("schema"))
        .and_then(|s| s.as_object_mut())
    {
        field.insert("const".into(), id.into());
    }
    (id, schema)
}
