//! The FHIRPath parser: any text parses or fails with an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conform_fhirpath::parse(text);
    }
});
