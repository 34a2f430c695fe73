//! The narrative XHTML checker (txt-1, txt-2): any text passes or fails
//! with a reason.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::xhtml(data));
