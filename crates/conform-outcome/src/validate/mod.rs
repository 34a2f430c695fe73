//! The `conform.validate` document: per file, per resource, the payload
//! findings of one validation run, and the [`Sink`] the validator streams
//! them into. Here rather than in the validator so writers, baselines and
//! the scorecard can use them without depending on the validator.

mod document;
mod merge;
mod must_support;

pub use document::{Document, FileDocument, ResourceDocument, Tool, SCHEMA};
pub use merge::{merge, ShardInfo};
pub use must_support::{
    ElementPopulation, MustSupportReport, ProfilePopulation, MUST_SUPPORT_RULE,
};

use crate::{IssueCode, Location, Outcome, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The rule of a file that could not be read at all.
pub const INPUT_RULE: &str = "input";
/// The rule of a code that could not be checked offline (counted apart in
/// the summary: neither passed nor failed).
pub const UNVERIFIED_RULE: &str = "binding-not-checked";

/// The outcome for one resource (one JSON file, or one NDJSON line).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct ResourceResult {
    /// `None` when the text was not a recognisable resource.
    pub resource_type: Option<String>,
    pub id: Option<String>,
    /// Line where the resource starts in its file.
    pub line: u32,
    pub findings: Vec<Outcome>,
    /// Codes a terminology server decided (valid or not) for this resource.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub codes_verified: usize,
    /// Questions about codes waiting for a terminology server; answered
    /// (and emptied) before the result is reported.
    #[serde(skip)]
    #[schemars(skip)]
    pub pending: Vec<crate::terminology::PendingCode>,
    /// Must-Support population of this resource, one tally per profile it
    /// was validated against (`--must-support`); taken into the run's
    /// [`MustSupportReport`] before the result is reported.
    #[serde(skip)]
    #[schemars(skip)]
    pub must_support: Vec<ProfilePopulation>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ResourceResult {
    /// The error findings as one-line sentences (`where: message [rule]`),
    /// as the probe and the scenario runner report a body's validation.
    pub fn error_sentences(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.severity.is_error())
            .map(|f| format!("{}: {} [{}]", f.expression(), f.message, f.rule))
            .collect()
    }

    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity.is_error())
            .count()
    }

    /// `Patient/p1 (line 3)`: how writers name the resource.
    pub fn label(&self) -> String {
        match (&self.resource_type, &self.id) {
            (Some(t), Some(id)) => format!("{t}/{id} (line {})", self.line),
            (Some(t), None) => format!("{t} (line {})", self.line),
            _ => format!("line {}", self.line),
        }
    }
}

/// A file that could not be read at all.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FileFailure {
    pub message: String,
}

impl FileFailure {
    /// The failure as an ordinary outcome (rule [`INPUT_RULE`], fatal), so
    /// writers and baselines treat it like any finding.
    pub fn into_outcome(self) -> Outcome {
        Outcome::finding(
            Severity::Fatal,
            IssueCode::Exception,
            INPUT_RULE,
            Location::default(),
            self.message,
        )
    }
}

/// Receives results as they are ready, in input order. Writers implement
/// it; the validator knows nothing of output.
pub trait Sink {
    fn file_start(&mut self, _name: &str) {}
    /// A resource's result, lent: a sink that keeps it takes it
    /// (`std::mem::take`), so the caller can free the rest where it was
    /// made.
    fn resource(&mut self, name: &str, result: &mut ResourceResult);
    /// A file that could not be read, as the ordinary outcome
    /// [`FileFailure::into_outcome`] makes of it: an outcome, so that a
    /// baseline passing results on to a writer can mark its triage like
    /// any finding's.
    fn file_failed(&mut self, name: &str, failure: Outcome);
    fn file_end(&mut self, _name: &str) {}
    /// The run's Must-Support population (`--must-support`), once, after
    /// the last file.
    fn must_support(&mut self, _report: &MustSupportReport) {}
}

/// Counts over a whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub errors: usize,
    pub warnings: usize,
    pub information: usize,
    /// Codes that could not be checked (their code system or value set is
    /// not in the loaded packages, and no terminology server decided them):
    /// neither passed nor failed.
    pub unverified: usize,
    /// Codes a terminology server (or its cache) decided.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub codes_verified: usize,
    /// Files that could not be read.
    pub unreadable: usize,
}

impl Summary {
    pub fn add(&mut self, r: &ResourceResult) {
        self.resources += 1;
        self.codes_verified += r.codes_verified;
        for f in &r.findings {
            match f.severity {
                Severity::Fatal | Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Information => self.information += 1,
            }
            if f.rule == UNVERIFIED_RULE {
                self.unverified += 1;
            }
        }
    }

    /// Errors or unreadable files: the run fails.
    pub fn fails(&self) -> bool {
        self.errors > 0 || self.unreadable > 0
    }
}

/// Everything one validation run found.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct ValidationReport {
    /// The packages the plans came from (`id#version`).
    pub packages: Vec<String>,
    /// Packages loaded in place of the version asked for (docs/packages.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitutions: Vec<PackageSubstitution>,
    /// Dependencies found nowhere and left out (`--allow-missing-deps`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_packages: Vec<MissingPackage>,
    pub summary: Summary,
    pub files: Vec<FileReport>,
    /// Which shard of a run this is (`--shard K/N`), when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Must-Support population per profile, when asked for
    /// (`--must-support`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_support: Option<MustSupportReport>,
}

/// A package loaded in place of the version asked for, by an explicit
/// substitution (`--substitute`, `[packages.substitute]` in conform.toml).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageSubstitution {
    /// What was asked for (`id#version`).
    pub requested: String,
    /// What was loaded instead (`id#version`).
    pub used: String,
    /// The packages whose dependencies asked for it; empty when it was
    /// asked for directly (configuration, pack or `--ig`).
    pub required_by: Vec<String>,
}

impl std::fmt::Display for PackageSubstitution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "loaded {} in place of {} ({}), by substitution",
            self.used,
            self.requested,
            asked_by(&self.required_by)
        )
    }
}

/// A dependency that was found nowhere and left out, because missing
/// dependencies were allowed (`--allow-missing-deps`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MissingPackage {
    /// The missing package (`id#version`).
    pub package: String,
    /// The packages whose dependencies ask for it.
    pub required_by: Vec<String>,
}

impl std::fmt::Display for MissingPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dependency {} ({}) was not found; loaded without it (missing dependencies allowed)",
            self.package,
            asked_by(&self.required_by)
        )
    }
}

fn asked_by(required_by: &[String]) -> String {
    if required_by.is_empty() {
        "asked for directly".to_string()
    } else {
        format!("required by {}", required_by.join(", "))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FileReport {
    pub path: String,
    /// The file's place in the run's input list, in a shard's report (so
    /// merged shards keep the unsharded order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<usize>,
    /// Why the file could not be read (rule [`INPUT_RULE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Outcome>,
    pub resources: Vec<ResourceResult>,
}

impl ValidationReport {
    /// Every outcome with the path of its file, in report order: per file,
    /// its failure first, then each resource's findings.
    pub fn outcomes(&self) -> impl Iterator<Item = (&str, &Outcome)> {
        self.files.iter().flat_map(|f| {
            f.failure
                .iter()
                .chain(f.resources.iter().flat_map(|r| r.findings.iter()))
                .map(|o| (f.path.as_str(), o))
        })
    }

    /// [`ValidationReport::outcomes`], to change (a baseline's triage).
    pub fn outcomes_mut(&mut self) -> impl Iterator<Item = (&str, &mut Outcome)> {
        self.files.iter_mut().flat_map(|f| {
            let FileReport {
                path,
                failure,
                resources,
                ..
            } = f;
            let path: &str = path;
            failure
                .iter_mut()
                .chain(resources.iter_mut().flat_map(|r| r.findings.iter_mut()))
                .map(move |o| (path, o))
        })
    }
}

/// A [`Sink`] that keeps every result, for formats written whole.
#[derive(Debug, Default)]
pub struct Collector {
    pub report: ValidationReport,
}

impl Collector {
    fn current(&mut self, name: &str) -> &mut FileReport {
        if self.report.files.last().is_none_or(|f| f.path != name) {
            self.report.summary.files += 1;
            self.report.files.push(FileReport {
                path: name.to_string(),
                order: None,
                failure: None,
                resources: Vec::new(),
            });
        }
        self.report.files.last_mut().expect("just pushed")
    }
}

impl Sink for Collector {
    fn file_start(&mut self, name: &str) {
        self.current(name);
    }

    fn resource(&mut self, name: &str, result: &mut ResourceResult) {
        self.report.summary.add(result);
        self.current(name).resources.push(std::mem::take(result));
    }

    fn file_failed(&mut self, name: &str, failure: Outcome) {
        self.report.summary.unreadable += 1;
        self.current(name).failure = Some(failure);
    }

    fn must_support(&mut self, report: &MustSupportReport) {
        self.report
            .must_support
            .get_or_insert_with(Default::default)
            .add(report);
    }
}

/// Passes a collected report to `sink` as the validator would have: per
/// file, its failure first, then its resources. How the writers render a
/// whole report (`conform report merge`, the `render_*` functions) with the
/// very sinks that stream a run.
pub fn replay(report: &ValidationReport, sink: &mut dyn Sink) {
    for file in &report.files {
        sink.file_start(&file.path);
        if let Some(failure) = &file.failure {
            sink.file_failed(&file.path, failure.clone());
        }
        for r in &file.resources {
            sink.resource(&file.path, &mut r.clone());
        }
        sink.file_end(&file.path);
    }
    if let Some(must_support) = &report.must_support {
        sink.must_support(must_support);
    }
}
