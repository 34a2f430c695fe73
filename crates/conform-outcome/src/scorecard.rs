//! The `conform.scorecard/1` document: every region's scorecard and the
//! national roll-up (docs/scorecard-json.md). The scorecard crate computes
//! it, the writers render it, and anything downstream reads it back as
//! these types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The JSON schema id; bumped only when a field is removed or retyped.
pub const SCHEMA: &str = "conform.scorecard/1";

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub schema: String,
    pub definition: DefinitionRef,
    /// When this run was taken (UTC).
    pub generated_at: String,
    pub regions: Vec<RegionScorecard>,
    pub rollup: Rollup,
    /// Which stored runs the trends compare with (absent without history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<TrendInfo>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DefinitionRef {
    pub id: String,
    pub title: String,
    pub version: String,
    /// The definition's levels, lowest first.
    pub levels: Vec<LevelRef>,
    /// Dimension ids and titles, in order.
    pub dimensions: Vec<LevelRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LevelRef {
    pub id: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TrendInfo {
    /// The `--since` date asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Overall score per stored run (this one last), per region: trend lines.
    pub series: BTreeMap<String, Vec<SeriesPoint>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SeriesPoint {
    pub at: String,
    pub score: Option<f64>,
    pub level: String,
}

/// The national picture: regions × dimensions and how many are at each level.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Rollup {
    pub regions: usize,
    /// Regions failing the CI gate.
    pub gate_failed: usize,
    pub levels: Vec<RollupLevel>,
    pub rows: Vec<RollupRow>,
    /// Mean score per dimension over the regions where it was assessed.
    pub dimension_means: Vec<DimensionMean>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RollupLevel {
    pub id: String,
    pub label: String,
    /// Regions exactly at this level.
    pub count: usize,
    /// Regions at this level or above ("37 of 42 at MVS 1.0").
    pub at_or_above: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RollupRow {
    pub region: String,
    pub level: String,
    pub score: Option<f64>,
    pub rag: Rag,
    pub evidence_coverage: f64,
    pub dimensions: Vec<RollupCell>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RollupCell {
    pub id: String,
    pub score: Option<f64>,
    pub rag: Rag,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DimensionMean {
    pub id: String,
    pub score: Option<f64>,
    pub assessed: usize,
}

impl Report {
    /// Whether any region fails the CI gate.
    pub fn gate_failed(&self) -> bool {
        self.rollup.gate_failed > 0
    }
}

/// Red/Amber/Green, or grey when there was no evidence.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, PartialOrd, Ord, JsonSchema,
)]
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

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
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

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LevelResult {
    pub id: String,
    pub label: String,
    /// The next level's id and its unmet requirements, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    pub next_unmet: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Overall {
    /// Weighted mean of the assessed dimensions (none assessed: null).
    pub score: Option<f64>,
    pub rag: Rag,
    /// % of criteria with evidence.
    pub evidence_coverage: f64,
    /// Why the RAG is what it is, when not simply the score band.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct GateResult {
    /// Whether this region fails the CI gate.
    pub failed: bool,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DimensionResult {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub score: Option<f64>,
    pub rag: Rag,
    pub criteria: Vec<CriterionResult>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
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
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct EvidenceCount {
    /// `payloads`, `validate`, `probe`, `scenarios`, or `none`.
    pub source: String,
    pub checked: f64,
    pub passed: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverified: Option<u64>,
    /// Codes a terminology server decided (valid or not), for terminology
    /// criteria.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<u64>,
}

/// Change of a criterion's score against stored runs (None: no such run or
/// not assessed then).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Trend {
    pub previous: Option<f64>,
    pub previous_rag: Option<Rag>,
    pub delta_since_last: Option<f64>,
    pub since: Option<f64>,
    pub delta_since: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
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
