//! The FHIR XML reader (tree parser and conversion to JSON), with the
//! small Patient model of conform-xml's own tests: any bytes read or fail
//! with an error; what is read is JSON the JSON parser accepts, and writes
//! back to XML.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::xml(data));
