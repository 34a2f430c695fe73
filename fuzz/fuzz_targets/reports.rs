//! The readers of files conform takes back: baselines (JSON), waivers
//! (TOML), and the conform.validate documents, SARIF logs and JUnit
//! reports `conform report merge` joins. Each input goes to all of them.
#![no_main]

#[path = "../bodies.rs"]
#[allow(dead_code)] // each target calls one body
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::reports(data));
