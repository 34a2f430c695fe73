//! The FHIRPath parser: any text parses or fails with an error.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::fhirpath_parse(data));
