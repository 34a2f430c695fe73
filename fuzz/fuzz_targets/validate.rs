//! The whole validator on one payload (JSON, or XML when it starts with
//! `<`), with the base R4 definitions from the shared test data
//! ($CONFORM_TESTDATA): parsing, the walk, profiles, invariants (FHIRPath
//! on the definitions' own expressions), narrative and the limits on
//! findings. Any bytes give a result, never a panic.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::validate(data));
