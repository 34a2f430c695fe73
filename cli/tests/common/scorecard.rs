//! Helpers of the scorecard CLI tests: `conform scorecard` on the fixture
//! evidence at a fixed time.

use std::process::Output;

/// A fixed run time, so outputs do not change from run to run.
pub const AT: &str = "2026-11-29T12:00:00Z";

pub fn scorecard(extra: &[&str]) -> Output {
    scorecard_at(AT, extra)
}

pub fn scorecard_at(at: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "scorecard",
        "--evidence",
        "fixtures/evidence",
        "--regions",
        "fixtures/regions-mvs.yaml",
        "--at",
        at,
    ];
    args.extend_from_slice(extra);
    super::run(&args)
}
