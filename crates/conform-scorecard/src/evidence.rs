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

use crate::connectivity::{observed_ods, OdsSighting};
use crate::error::ScorecardError;
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

// ---- conform.validate/1 ----

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ValidateReport {
    #[serde(default)]
    pub summary: ValidateSummary,
    #[serde(default)]
    pub files: Vec<ValidateFile>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ValidateSummary {
    #[serde(default)]
    pub resources: u64,
    #[serde(default)]
    pub unverified: u64,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ValidateFile {
    pub path: String,
    pub error: Option<String>,
    #[serde(default)]
    pub resources: Vec<ValidateResource>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ValidateResource {
    #[serde(rename = "resourceType", default)]
    pub resource_type: String,
    pub id: Option<String>,
    #[serde(default)]
    pub issues: Vec<ValidateIssue>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ValidateIssue {
    pub severity: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub message: String,
}

// ---- conform.probe/1 ----

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProbeReport {
    #[serde(default)]
    pub checks: Vec<ProbeCheck>,
    #[serde(default)]
    pub latency: Vec<ProbeLatency>,
    #[serde(default)]
    pub summary: ProbeSummary,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProbeSummary {
    /// Share (0–1) of requests with no response or a 5xx.
    #[serde(default)]
    pub error_rate: f64,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProbeCheck {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProbeLatency {
    pub interaction: String,
    pub p95_ms: f64,
}

// ---- conform.scenario/1 ----

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScenarioReport {
    #[serde(default)]
    pub scenarios: Vec<ScenarioResult>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScenarioResult {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Requirement ids the scenario verifies as a whole, e.g. `S1`.
    #[serde(default)]
    pub requirements: Vec<String>,
    #[serde(default, deserialize_with = "region_names")]
    pub regions: Vec<String>,
    /// `pass`, `warn` (passed with warnings), `fail` or `skip` (anything
    /// else counts as a failure).
    pub status: String,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    #[serde(default)]
    pub steps: Vec<ScenarioStep>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScenarioStep {
    #[serde(default, alias = "title")]
    pub name: String,
    #[serde(default)]
    pub assertions: Vec<ScenarioAssertion>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScenarioAssertion {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub severity: String,
    /// `pass`, `fail`, `warn` (a SHOULD/MAY that did not hold), `skip`, or
    /// a `passed` boolean instead.
    pub status: Option<String>,
    pub passed: Option<bool>,
    #[serde(default)]
    pub message: String,
    #[serde(default, alias = "requirement_ids")]
    pub requirements: Vec<String>,
}

/// `regions` may list names or objects with a `name` (or `region`).
fn region_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    let list = match v {
        Value::Array(a) => a,
        Value::Object(m) => return Ok(m.keys().cloned().collect()),
        _ => return Ok(Vec::new()),
    };
    Ok(list
        .into_iter()
        .filter_map(|x| match x {
            Value::String(s) => Some(s),
            Value::Object(m) => m
                .get("name")
                .or_else(|| m.get("region"))
                .and_then(|n| n.as_str())
                .map(str::to_string),
            _ => None,
        })
        .collect())
}

impl ScenarioAssertion {
    /// `Some(true)` passed, `Some(false)` failed, `None` not evaluated.
    pub fn outcome(&self) -> Option<bool> {
        match (&self.status, self.passed) {
            (Some(s), _) => match s.as_str() {
                "pass" | "passed" => Some(true),
                "skip" | "skipped" => None,
                _ => Some(false),
            },
            (None, Some(p)) => Some(p),
            (None, None) => None,
        }
    }
}

impl ScenarioResult {
    /// Whether the scenario is `name`: its id, or a requirement it verifies
    /// as a whole (`S1` names `s1-out-of-area-ae` with `requirements: [S1]`).
    pub fn is(&self, name: &str) -> bool {
        self.id == name || self.requirements.iter().any(|r| r == name)
    }

    /// 1 pass, `warnings` pass with warnings, 0 fail, None skip.
    pub fn points(&self, warnings: f64) -> Option<f64> {
        match self.status.as_str() {
            "skip" | "skipped" => None,
            "warn" => Some(warnings),
            "pass" | "passed" => {
                let warned = self
                    .steps
                    .iter()
                    .flat_map(|s| &s.assertions)
                    .any(|a| a.outcome() == Some(false));
                Some(if warned { warnings } else { 1.0 })
            }
            _ => Some(0.0),
        }
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
            let mut files = Vec::new();
            walk(&dir, &mut files)?;
            files.sort();
            for f in files {
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
                let r: ScenarioReport = parse(&f, v)?;
                let mine: Vec<ScenarioResult> = r
                    .scenarios
                    .into_iter()
                    .filter(|s| s.regions.iter().any(|n| n == region))
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
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if in_payloads && (ext == "json" || ext == "ndjson") {
            let text = read_text(f)?;
            let values: Vec<Value> = if ext == "ndjson" {
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect()
            } else {
                serde_json::from_str(&text).into_iter().collect()
            };
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
        if ext != "json" {
            return Ok(());
        }
        let v = read_json(f)?;
        let s = schema(&v);
        if s.starts_with("conform.validate/") {
            self.validate.push(parse(f, v)?);
        } else if s.starts_with("conform.probe/") {
            self.probe.push(parse(f, v)?);
        } else if s.starts_with("conform.scenario/") {
            let r: ScenarioReport = parse(f, v)?;
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

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScorecardError> {
    for p in read_dir(dir)? {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn rel(root: &Path, f: &Path) -> String {
    f.strip_prefix(root)
        .unwrap_or(f)
        .to_string_lossy()
        .replace('\\', "/")
}
