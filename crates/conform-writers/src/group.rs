//! The one shape every writer reads: a run's outcomes grouped by what they
//! are about. A validation run groups by file, a probe by endpoint, a
//! scenario run by scenario, the doctor by area; writers need not know
//! which command produced them.

use conform_outcome::scenario::RunResult;
use conform_outcome::validate::ValidationReport;
use conform_outcome::Outcome;

/// What a group of outcomes is about; decides where SARIF places them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// A payload file (a path as given on the command line, or `<stdin>`).
    File(&'a str),
    /// An endpoint, by its base URL.
    Endpoint(&'a str),
    /// A scenario, by its id.
    Scenario(&'a str),
    /// A part of the set-up the doctor looked at (`packages`, `regions`).
    Area(&'a str),
}

impl<'a> Scope<'a> {
    pub fn name(&self) -> &'a str {
        match *self {
            Scope::File(s) | Scope::Endpoint(s) | Scope::Scenario(s) | Scope::Area(s) => s,
        }
    }
}

/// Outcomes about one scope, in the order they were found.
#[derive(Clone, Debug)]
pub struct Group<'a> {
    pub scope: Scope<'a>,
    pub outcomes: Vec<&'a Outcome>,
}

/// A validation report's outcomes grouped by file (a file's failure first).
pub fn validation_groups(report: &ValidationReport) -> Vec<Group<'_>> {
    report
        .files
        .iter()
        .map(|f| Group {
            scope: Scope::File(&f.path),
            outcomes: f
                .failure
                .iter()
                .chain(f.resources.iter().flat_map(|r| &r.findings))
                .collect(),
        })
        .collect()
}

/// A run's assertions grouped by scenario, in step order. A step that got
/// no response already carries it as an `error` assertion (`request`), so
/// it is among them.
pub fn scenario_groups(run: &RunResult) -> Vec<Group<'_>> {
    run.scenarios
        .iter()
        .map(|sc| Group {
            scope: Scope::Scenario(&sc.identity.id),
            outcomes: sc.steps.iter().flat_map(|st| &st.assertions).collect(),
        })
        .collect()
}
