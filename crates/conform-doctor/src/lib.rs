//! `conform doctor`: checks a set-up before a pipeline depends on it and
//! says what to fix. Each check is an `Outcome` of an [`Area`]
//! (`conform_outcome::doctor`); the writers render them
//! (`conform_writers::doctor`). Secrets are looked for, never read out: a
//! finding names the environment variable or file, not its value.

mod packages;
mod regions;
mod terminology;

pub use conform_outcome::doctor::Area;
pub use packages::{cache_dir, packages};
pub use regions::regions;
pub use terminology::terminology;

use conform_outcome::{Outcome, Status};

/// What kind of problem, for the exit code: set-up problems are the user's
/// to fix (exit 2); an unreachable endpoint is infrastructure (exit 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Setup,
    Infrastructure,
}

/// A check that found what it looked for.
pub(crate) fn ok(area: Area, subject: impl Into<String>, detail: impl Into<String>) -> Outcome {
    area.check(subject, Status::Pass, detail)
}

/// A set-up problem, with what to do about it.
pub(crate) fn problem(
    area: Area,
    subject: impl Into<String>,
    detail: impl Into<String>,
    fix: impl Into<String>,
) -> Outcome {
    area.check(subject, Status::Fail, detail).with_fix(fix)
}

/// A check that could not apply, and why.
pub(crate) fn skipped(area: Area, subject: impl Into<String>, why: impl Into<String>) -> Outcome {
    area.check(subject, Status::Skip, why)
}

/// A problem with infrastructure (an endpoint that did not answer) rather
/// than the set-up: an error, not a failure.
pub(crate) fn infrastructure(mut problem: Outcome) -> Outcome {
    problem.status = Status::Error;
    problem
}

/// The worst problem among `checks`: `None` when all passed or were
/// skipped; a set-up problem outranks infrastructure.
pub fn worst(checks: &[Outcome]) -> Option<Kind> {
    let mut worst = None;
    for c in checks {
        match c.status {
            Status::Fail | Status::Warn => return Some(Kind::Setup),
            Status::Error => worst = Some(Kind::Infrastructure),
            Status::Pass | Status::Skip => {}
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_problem_outranks_an_unreachable_endpoint() {
        let unreachable = infrastructure(problem(Area::Region("a"), "u", "down", "f"));
        let missing = problem(Area::Packages, "p", "missing", "install");
        let fine = ok(Area::Cache, "c", "writable");
        assert_eq!(worst(std::slice::from_ref(&fine)), None);
        assert_eq!(
            worst(&[fine.clone(), unreachable.clone()]),
            Some(Kind::Infrastructure)
        );
        assert_eq!(worst(&[unreachable, missing, fine]), Some(Kind::Setup));
    }
}
