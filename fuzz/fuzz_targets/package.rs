//! The package tarball reader: any bytes are read as a `.tgz` the way
//! loading reads one (entries checked, limits kept) or refused with an
//! error.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::package(data));
