//! The official FHIRPath R4 test suite again, with type information from
//! the compiled R4 definitions (the model invariants are evaluated with)
//! instead of the engine's built-in fallback: the plans must answer every
//! type question the suite asks (choice elements, `is`/`as`/`ofType`,
//! `type()`, strict-mode unknown elements).

mod common;

#[path = "../../conform-fhirpath/tests/suite/mod.rs"]
mod suite;

#[test]
fn official_suite_with_types_from_the_definitions() {
    let known = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fhirpath-known-failures-with-definitions.toml");
    suite::run_suite(common::r4().fhirpath_model(), &known);
}
