//! The FHIRPath evaluator, expression × resource: the first line is the
//! expression, the rest the resource (JSON); when the rest is not JSON, a
//! fixed Patient is used, so every parseable expression is evaluated.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::fhirpath_eval(data));
