//! What a scorecard says about one region: serialised as-is in
//! `conform.scorecard/1` (docs/scorecard-json.md).

use serde::{Deserialize, Serialize};

/// Red/Amber/Green, or grey when there was no evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Rag {
    Red,
    Amber,
    Green,
    NotAssessed,
}

impl Rag {
    pub fn as_str(self) -> &'static str {
        match self {
            Rag::Green => "green",
            Rag::Amber => "amber",
            Rag::Red => "red",
            Rag::NotAssessed => "not-assessed",
        }
    }

    /// `Green`, `Amber`, `Red`, `Not assessed`.
    pub fn label(self) -> &'static str {
        match self {
            Rag::Green => "Green",
            Rag::Amber => "Amber",
            Rag::Red => "Red",
            Rag::NotAssessed => "Not assessed",
        }
    }

    /// Whether this meets `at_least` (not assessed meets nothing).
    pub fn meets(self, at_least: Rag) -> bool {
        self != Rag::NotAssessed && at_least != Rag::NotAssessed && self >= at_least
    }

    /// The worse of two assessed RAGs.
    pub fn worst(self, other: Rag) -> Rag {
        match (self, other) {
            (Rag::NotAssessed, x) | (x, Rag::NotAssessed) => x,
            (a, b) => a.min(b),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RegionScorecard {
    pub region: String,
    pub level: LevelResult,
    pub overall: Overall,
    pub gate: GateResult,
    pub dimensions: Vec<DimensionResult>,
    /// Shown, never scored.
    pub attestations: Vec<AttestationResult>,
    /// Evidence files read, relative to the evidence folder.
    pub evidence_files: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LevelResult {
    pub id: String,
    pub label: String,
    /// The next level's id and its unmet requirements, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub next_unmet: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overall {
    /// Weighted mean of the assessed dimensions (none assessed: null).
    pub score: Option<f64>,
    pub rag: Rag,
    /// % of criteria with evidence.
    pub evidence_coverage: f64,
    /// Why the RAG is what it is, when not simply the score band.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GateResult {
    /// Whether this region fails the CI gate.
    pub failed: bool,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DimensionResult {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub score: Option<f64>,
    pub rag: Rag,
    pub criteria: Vec<CriterionResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CriterionResult {
    pub id: String,
    pub title: String,
    pub gating: bool,
    pub score: Option<f64>,
    pub rag: Rag,
    pub evidence: EvidenceCount,
    /// What lies behind a Red or Amber (and why a criterion was not assessed).
    pub findings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
}

/// What a score was computed from.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EvidenceCount {
    /// `payloads`, `validate`, `probe`, `scenarios`, or `none`.
    pub source: String,
    pub checked: f64,
    pub passed: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverified: Option<u64>,
}

/// Change of a criterion's score against stored runs (None: no such run or
/// not assessed then).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Trend {
    pub previous: Option<f64>,
    pub previous_rag: Option<Rag>,
    pub delta_since_last: Option<f64>,
    pub since: Option<f64>,
    pub delta_since: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AttestationResult {
    pub id: String,
    pub title: String,
    /// `attested`, `in-progress`, `missing`... (`missing` when not in the file).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RegionScorecard {
    pub fn criterion(&self, id: &str) -> Option<&CriterionResult> {
        self.dimensions
            .iter()
            .flat_map(|d| &d.criteria)
            .find(|c| c.id == id)
    }

    pub fn criteria(&self) -> impl Iterator<Item = &CriterionResult> {
        self.dimensions.iter().flat_map(|d| &d.criteria)
    }
}
