//! The JSON Schemas in docs/schemas/ are the ones generated from the types.
//! After changing a document type, regenerate them with
//! `CONFORM_WRITE_SCHEMAS=1 cargo test -p conform-outcome --test schemas`
//! and review the diff: a field removed or retyped needs a new schema id.

use conform_outcome::schemas::{documents, file_name};
use std::path::PathBuf;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

#[test]
fn checked_in_schemas_are_the_generated_ones() {
    let write = std::env::var_os("CONFORM_WRITE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (id, schema) in documents() {
        let path = folder().join(file_name(id));
        let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if write {
            std::fs::create_dir_all(folder()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (regenerate with CONFORM_WRITE_SCHEMAS=1 and review): {stale:?}"
    );
}

#[test]
fn the_schema_field_is_pinned_to_the_id() {
    for (id, schema) in documents() {
        let schema = schema.as_value();
        assert_eq!(schema["title"], id);
        assert_eq!(schema["properties"]["schema"]["const"], id, "{id}");
    }
}
