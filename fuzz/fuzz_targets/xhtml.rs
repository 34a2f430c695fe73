//! The narrative XHTML checker (txt-1, txt-2): any text passes or fails
//! with a reason.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conform_validate::check_narrative(text);
    }
});
