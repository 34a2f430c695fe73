//! The JSON parser: any bytes parse or fail with an error inside the
//! input; a parsed document can be walked and its strings decoded.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::json(data));
