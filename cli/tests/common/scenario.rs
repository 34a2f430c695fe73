//! Helpers of the scenario CLI tests: the cross-ICS kit, reading a run's
//! JSON results, and sending a request outside conform.

use conform_endpoint::{Endpoint, Region, Request};
use serde_json::Value;
use std::process::Output;

/// The kit the national scenarios live in.
pub const KIT: &str = "testkits/cross-ics";

/// Sends one request outside conform (to break or repair the seed).
pub fn send(base: &str, req: Request) -> u16 {
    Endpoint::new(&Region::from_url(base))
        .unwrap()
        .send(&req)
        .unwrap()
        .status
}

/// A run's JSON results, or a panic showing what it printed instead.
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON results ({e}):\n{}\n{}",
            super::stdout(out),
            super::stderr(out)
        )
    })
}

/// The scenario of a run's results with this id.
pub fn scenario<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no scenario {id}"))
}
