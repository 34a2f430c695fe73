//! The scenario loader: any text, saved as a scenario file in a folder of
//! its own, compiles (YAML, includes, matrix, schema) or fails with an
//! error naming the file.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::scenario(data));
