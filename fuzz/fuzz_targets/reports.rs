//! The readers of files conform takes back: baselines (JSON), waivers
//! (TOML), and the conform.validate documents, SARIF logs and JUnit
//! reports `conform report merge` joins. Each input goes to all of them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = conform_baseline::Baseline::parse(text);
    let _ = conform_baseline::Waivers::parse(text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(doc) =
            serde_json::from_value::<conform_outcome::validate::Document>(value.clone())
        {
            let _ = conform_outcome::validate::merge(vec![doc.clone(), doc]);
        }
        let _ = conform_writers::merge::merge_sarif(&[value.clone(), value]);
    }
    let _ = conform_writers::merge::merge_junit(&[text.to_string(), text.to_string()]);
});
