//! The regions file loader (YAML, `${NAME}` expansion, checks).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conform_regions::RegionsFile::parse_with_env(text, |name| {
            (name.len() < 8).then(|| format!("value-of-{name}"))
        });
    }
});
