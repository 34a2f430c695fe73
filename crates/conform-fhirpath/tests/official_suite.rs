//! The official FHIRPath R4 test suite with the built-in model (types
//! inferred from the JSON plus a few known elements).

mod suite;

#[test]
fn official_suite() {
    let known =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/known-failures.toml");
    suite::run_suite(&conform_fhirpath::BuiltinModel, &known);
}
