//! A region's evidence, read from a folder tree (docs/scorecards.md):
//!
//! ```text
//! EVIDENCE/<region>/**/*.json      validate, probe or scenario reports, told
//!                                  apart by their "schema" field
//! EVIDENCE/<region>/payloads/**    sampled FHIR payloads (.json, .ndjson):
//!                                  where care-setting connectivity is read
//! EVIDENCE/<region>/attestations.yaml
//! EVIDENCE/*.json                  scenario reports shared by regions: each
//!                                  result counts for the regions it names
//! ```
//!
//! Readers are tolerant: unknown fields are ignored, so newer minor
//! versions of a report still load.

mod v1;

use crate::connectivity::{observed_ods, OdsSighting};
use crate::error::ScorecardError;
use conform_json::files::JsonFile;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything known about one region.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub validate: Vec<ValidateReport>,
    pub probe: Vec<ProbeReport>,
    pub scenarios: Vec<ScenarioResult>,
    /// ODS codes seen in sampled payloads, with where they were seen.
    pub ods_seen: Vec<OdsSighting>,
    /// Number of sampled payload files read.
    pub payload_files: usize,
    pub attestations: BTreeMap<String, Attestation>,
    /// Evidence files that were read, relative to the evidence folder.
    pub files: Vec<String>,
}

// ---- conform.validate/1: the document type of conform-outcome ----

pub use conform_outcome::validate::{
    Document as ValidateReport, FileDocument as ValidateFile, ResourceDocument as ValidateResource,
};

/// A validate document; issues written before they carried a status are
/// given one (see [`v1::fill_status`]).
fn validate_report(f: &Path, mut v: Value) -> Result<ValidateReport, ScorecardError> {
    let schema = conform_outcome::validate::SCHEMA;
    if self::schema(&v) != schema {
        return Err(ScorecardError::input(format!(
            "{}: {} is not a version this scorecard reads ({schema})",
            f.display(),
            self::schema(&v),
        )));
    }
    v1::fill_status(&mut v);
    parse(f, v)
}

// ---- conform.probe (the document type of conform-outcome) ----

pub use conform_outcome::probe::{
    LatencyStat as ProbeLatency, ProbeCheck, ProbeReport, Summary as ProbeSummary,
};

/// A probe document of either version, as the current type.
fn probe_report(f: &Path, v: Value) -> Result<ProbeReport, ScorecardError> {
    match schema(&v) {
        conform_outcome::probe::SCHEMA => parse(f, v),
        v1::PROBE_V1 => parse::<v1::ProbeReportV1>(f, v)?
            .upgrade()
            .map_err(|e| ScorecardError::input(format!("{}: {e}", f.display()))),
        other => Err(ScorecardError::input(format!(
            "{}: {other} is not a version this scorecard reads ({} or {})",
            f.display(),
            conform_outcome::probe::SCHEMA,
            v1::PROBE_V1
        ))),
    }
}

// ---- conform.scenario (the document type of conform-outcome) ----

pub use conform_outcome::scenario::{RunResult as ScenarioReport, ScenarioResult};
use conform_outcome::{Outcome, Status};

/// Whether the scenario is `name`: its id, or a requirement it verifies as
/// a whole (`S1` names `s1-out-of-area-ae` with `requirements: [S1]`).
pub fn scenario_is(s: &ScenarioResult, name: &str) -> bool {
    s.identity.id == name || s.identity.requirements.iter().any(|r| r == name)
}

/// Whether an assertion held: `Some(true)` passed, `Some(false)` failed,
/// warned (a SHOULD or MAY that did not hold) or could not be made, `None`
/// skipped (not evaluated).
pub fn held(a: &Outcome) -> Option<bool> {
    match a.status {
        Status::Pass => Some(true),
        Status::Skip => None,
        Status::Warn | Status::Fail | Status::Error => Some(false),
    }
}

/// A scenario's points: 1 pass, `warnings` pass with warnings, 0 fail,
/// `None` skipped.
pub fn scenario_points(s: &ScenarioResult, warnings: f64) -> Option<f64> {
    match s.status {
        Status::Skip => None,
        Status::Warn => Some(warnings),
        Status::Pass => {
            let warned = s
                .steps
                .iter()
                .flat_map(|st| &st.assertions)
                .any(|a| held(a) == Some(false));
            Some(if warned { warnings } else { 1.0 })
        }
        Status::Fail | Status::Error => Some(0.0),
    }
}

/// A scenario document of either version, as the current type.
fn scenario_report(f: &Path, v: Value) -> Result<ScenarioReport, ScorecardError> {
    match schema(&v) {
        conform_outcome::scenario::SCHEMA => parse(f, v),
        v1::SCENARIO_V1 => parse::<v1::ScenarioRunV1>(f, v).map(v1::ScenarioRunV1::upgrade),
        other => Err(ScorecardError::input(format!(
            "{}: {other} is not a version this scorecard reads ({} or {})",
            f.display(),
            conform_outcome::scenario::SCHEMA,
            v1::SCENARIO_V1
        ))),
    }
}

// ---- attestations.yaml ----

/// One attested item, e.g. `delivery-plan: { status: attested, date: 2026-10-01 }`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Attestation {
    /// `attested`, `in-progress` or `missing` (free text allowed).
    pub status: String,
    pub date: Option<String>,
    pub by: Option<String>,
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttestationsFile {
    region: Option<String>,
    #[serde(default)]
    attestations: BTreeMap<String, Attestation>,
}

impl Evidence {
    /// Reads `root/<region>/` (missing: empty evidence) plus the scenario
    /// results in `root/*.json` that name the region.
    pub fn load(root: &Path, region: &str) -> Result<Evidence, ScorecardError> {
        let mut ev = Evidence::default();
        let dir = root.join(region);
        if dir.is_dir() {
            for f in conform_json::files::walk_files(&dir, |_| true, |_| true) {
                let f = f.map_err(|e| ScorecardError::input(e.to_string()))?;
                ev.read_file(root, &dir, &f)?;
            }
        }
        let mut shared = Vec::new();
        for entry in read_dir(root)? {
            if entry.is_file() && entry.extension().is_some_and(|e| e == "json") {
                shared.push(entry);
            }
        }
        shared.sort();
        for f in shared {
            let v = read_json(&f)?;
            if schema(&v).starts_with("conform.scenario/") {
                let r = scenario_report(&f, v)?;
                let mine: Vec<ScenarioResult> = r
                    .scenarios
                    .into_iter()
                    .filter(|s| s.identity.regions.iter().any(|n| n == region))
                    .collect();
                if !mine.is_empty() {
                    ev.files.push(rel(root, &f));
                    ev.scenarios.extend(mine);
                }
            }
        }
        Ok(ev)
    }

    fn read_file(&mut self, root: &Path, dir: &Path, f: &Path) -> Result<(), ScorecardError> {
        let in_payloads = f
            .strip_prefix(dir)
            .ok()
            .and_then(|p| p.components().next())
            .is_some_and(|c| c.as_os_str() == "payloads");
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let kind = JsonFile::of(f);
        if in_payloads && kind.is_some() {
            let values = conform_json::files::read_values(f)
                .map_err(|e| ScorecardError::input(format!("cannot read {}: {e}", f.display())))?;
            let file = rel(root, f);
            for v in &values {
                self.ods_seen.extend(observed_ods(v, &file));
            }
            self.payload_files += 1;
            return Ok(());
        }
        if name == "attestations.yaml" || name == "attestations.yml" {
            let a: AttestationsFile = serde_yaml_ng::from_str(&read_text(f)?)
                .map_err(|e| ScorecardError::input(format!("{}: {e}", f.display())))?;
            if let Some(r) = &a.region {
                let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if r != folder {
                    return Err(ScorecardError::input(format!(
                        "{}: attestations for region '{r}' in the folder of '{folder}'",
                        f.display()
                    )));
                }
            }
            self.attestations.extend(a.attestations);
            self.files.push(rel(root, f));
            return Ok(());
        }
        if kind != Some(JsonFile::Document) {
            return Ok(());
        }
        let v = read_json(f)?;
        let s = schema(&v);
        if s.starts_with("conform.validate/") {
            self.validate.push(validate_report(f, v)?);
        } else if s.starts_with("conform.probe/") {
            self.probe.push(probe_report(f, v)?);
        } else if s.starts_with("conform.scenario/") {
            let r = scenario_report(f, v)?;
            self.scenarios.extend(r.scenarios);
        } else {
            return Ok(());
        }
        self.files.push(rel(root, f));
        Ok(())
    }
}

fn schema(v: &Value) -> &str {
    v.get("schema").and_then(|s| s.as_str()).unwrap_or("")
}

fn parse<T: serde::de::DeserializeOwned>(f: &Path, v: Value) -> Result<T, ScorecardError> {
    serde_json::from_value(v).map_err(|e| ScorecardError::input(format!("{}: {e}", f.display())))
}

fn read_text(f: &Path) -> Result<String, ScorecardError> {
    std::fs::read_to_string(f)
        .map_err(|e| ScorecardError::input(format!("cannot read {}: {e}", f.display())))
}

fn read_json(f: &Path) -> Result<Value, ScorecardError> {
    serde_json::from_str(&read_text(f)?)
        .map_err(|e| ScorecardError::input(format!("{}: not JSON: {e}", f.display())))
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, ScorecardError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| ScorecardError::input(format!("cannot read {}: {e}", dir.display())))?;
    Ok(rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

fn rel(root: &Path, f: &Path) -> String {
    f.strip_prefix(root)
        .unwrap_or(f)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use conform_outcome::probe::{LatencyStat, Summary, Target};
    use conform_outcome::{Location, Requirement, Severity};

    /// A region folder holding one probe document.
    fn evidence_with_probe(document: &str) -> Evidence {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("north")).unwrap();
        std::fs::write(root.path().join("north/probe.json"), document).unwrap();
        Evidence::load(root.path(), "north").unwrap()
    }

    #[test]
    fn a_probe_v2_document_written_by_the_probe_types_is_read_typed() {
        let failed_should = ProbeCheck {
            outcome: Outcome::check(
                "tls.in-use",
                Requirement::Should,
                Status::Fail,
                "plain http://",
            )
            .with_location(Location {
                url: Some("http://x/fhir".into()),
                ..Location::default()
            }),
            interaction: None,
            latency_ms: None,
        };
        let written = ProbeReport {
            schema: conform_outcome::probe::SCHEMA.into(),
            target: Target {
                base_url: "http://x/fhir".into(),
                region: Some("north".into()),
                auth: "none".into(),
                fhir_version: Some("4.0.1".into()),
                software: None,
                writes: false,
            },
            started: "2026-12-03T14:00:00Z".parse().unwrap(),
            duration_ms: 12.5,
            checks: vec![failed_should],
            latency: vec![LatencyStat {
                interaction: "read".into(),
                count: 2,
                p50_ms: 3.0,
                p95_ms: 4.0,
            }],
            summary: Summary {
                error_rate: 0.25,
                ..Summary::default()
            },
            must_support: None,
        };
        let ev = evidence_with_probe(&serde_json::to_string_pretty(&written).unwrap());
        assert_eq!(ev.probe, [written]);
        assert_eq!(ev.files, ["north/probe.json"]);
        assert_eq!(ev.probe[0].checks[0].outcome.status, Status::Warn);
    }

    #[test]
    fn a_probe_v1_document_is_upgraded() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/evidence/river-vale/probe.json");
        let ev = evidence_with_probe(&std::fs::read_to_string(fixture).unwrap());
        let r = &ev.probe[0];
        assert_eq!(r.schema, conform_outcome::probe::SCHEMA);
        assert_eq!(r.started.to_string(), "2026-11-29T14:04:30Z");
        // a failed SHOULD reads as a warning, placed at the endpoint
        let tls = &r.checks[0].outcome;
        assert_eq!(tls.rule, "tls.in-use");
        assert_eq!(
            (tls.requirement, tls.status, tls.severity),
            (Some(Requirement::Should), Status::Warn, Severity::Warning)
        );
        assert_eq!(
            tls.location.url.as_deref(),
            Some(r.target.base_url.as_str())
        );
        assert!(tls
            .why
            .as_deref()
            .is_some_and(|w| w.contains("unencrypted")));
        assert!(r.checks.iter().any(|c| c.latency_ms.is_some()));
        assert!(!r.latency.is_empty());
    }

    #[test]
    fn an_unknown_probe_version_is_refused_by_name() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("north")).unwrap();
        std::fs::write(
            root.path().join("north/probe.json"),
            r#"{"schema": "conform.probe/9"}"#,
        )
        .unwrap();
        let e = Evidence::load(root.path(), "north")
            .unwrap_err()
            .to_string();
        assert!(e.contains("conform.probe/9 is not a version"), "{e}");
    }
}
