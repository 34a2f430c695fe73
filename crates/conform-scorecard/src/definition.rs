//! The scorecard definition: data, not code (`testkits/mvs/scorecard.yaml`
//! is the MVS one). A programme ships its own file to score differently.

use crate::error::ScorecardError;
use crate::glob::Patterns;
use conform_outcome::scorecard::Rag;
use conform_regions::CareSetting;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The MVS definition shipped with conform (`testkits/mvs/scorecard.yaml`).
pub const MVS_DEFINITION: &str = include_str!("../../../testkits/mvs/scorecard.yaml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub id: String,
    pub title: String,
    pub version: String,
    /// Default criterion RAG bands.
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub overall: OverallThresholds,
    #[serde(default)]
    pub gate: Gate,
    pub dimensions: Vec<Dimension>,
    pub levels: Vec<Level>,
    /// Shown on the scorecard, never scored.
    #[serde(default)]
    pub attestations: Vec<AttestationDef>,
}

/// Green at or above `green`, Amber at or above `amber`, Red below.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub green: f64,
    pub amber: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            green: 95.0,
            amber: 80.0,
        }
    }
}

impl Thresholds {
    pub fn band(&self, score: f64) -> Rag {
        if score >= self.green {
            Rag::Green
        } else if score >= self.amber {
            Rag::Amber
        } else {
            Rag::Red
        }
    }
}

/// Overall RAG: Green needs `green`, no Red gating criterion and at least
/// `min_coverage` % evidence coverage; Red below `amber` or on a Red gating
/// criterion; Amber otherwise (including any Red dimension).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OverallThresholds {
    pub green: f64,
    pub amber: f64,
    pub min_coverage: f64,
}

impl Default for OverallThresholds {
    fn default() -> Self {
        OverallThresholds {
            green: 85.0,
            amber: 65.0,
            min_coverage: 80.0,
        }
    }
}

/// What fails the CI gate (exit 1).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    pub overall_red: bool,
    pub gating_red: bool,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            overall_red: true,
            gating_red: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub criteria: Vec<Criterion>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub gating: bool,
    /// Weight within its dimension (default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Overrides the definition's bands for this criterion.
    pub thresholds: Option<Thresholds>,
    /// Any failing item makes the criterion Red whatever its score.
    #[serde(default)]
    pub red_if_any_failure: bool,
    pub measure: Measure,
}

fn one() -> f64 {
    1.0
}

/// How a criterion is measured from evidence.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Measure {
    /// Organisations of the register whose ODS code is seen in sampled
    /// payloads (custodian, author, source, performer, managingOrganization...).
    CareSettings {
        settings: Vec<CareSetting>,
        mode: CareSettingsMode,
    },
    /// Resources of `conform.validate/1` reports without an error whose rule
    /// matches `rules` (all errors when empty). `unverified_amber_above`:
    /// a share (%) of unverified codes above which the criterion is at most Amber.
    Validate {
        #[serde(default)]
        rules: Patterns,
        unverified_amber_above: Option<f64>,
    },
    /// Probe checks (`conform.probe/1` or `/2`) whose id matches `checks`: passed ÷ (passed +
    /// failed); skipped checks are not evidence.
    Probe { checks: Patterns },
    /// p95 latency of one probe interaction (worst across reports): 100 at
    /// or under `target_ms`, falling linearly to 0 at three times it. A
    /// report whose request error rate (%) is over `max_error_rate` caps
    /// the criterion at Amber.
    ProbeLatency {
        interaction: String,
        target_ms: f64,
        max_error_rate: Option<f64>,
    },
    /// Scenario results: Σ w·p ÷ Σ w, p = 1 pass, `warnings_score`
    /// pass with warnings, 0 fail; skips are not evidence. `ids` name a
    /// scenario by id or by a scenario-level requirement (`S1`); `weights`
    /// use the same names (default 1).
    Scenarios {
        #[serde(default)]
        ids: Vec<String>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        weights: BTreeMap<String, f64>,
        #[serde(default = "half")]
        warnings_score: f64,
    },
    /// Assertions of the selected scenarios (optionally only those naming a
    /// requirement matching `requirements`): passed ÷ evaluated.
    ScenarioAssertions {
        #[serde(default)]
        ids: Vec<String>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        requirements: Patterns,
    },
    /// Must-Support population (`conform validate --must-support`), the
    /// Interweave rule: of every element the profiles applied mark
    /// mustSupport, those populated in at least one sampled instance
    /// (pooled over the region's validate reports, per profile): populated
    /// ÷ Must-Support elements.
    MustSupport,
    /// No evidence source exists yet: always "not assessed".
    NotMeasured { reason: String },
}

fn half() -> f64 {
    0.5
}

/// Which scenarios a criterion looks at: by name (id or scenario-level
/// requirement) and/or tag (both empty: all).
#[derive(Clone, Copy, Debug)]
pub struct ScenarioSelect<'a> {
    pub ids: &'a [String],
    pub tags: &'a [String],
}

impl ScenarioSelect<'_> {
    pub fn selects(&self, s: &crate::evidence::ScenarioResult) -> bool {
        (self.ids.is_empty() && self.tags.is_empty())
            || self.ids.iter().any(|i| crate::evidence::scenario_is(s, i))
            || self.tags.iter().any(|t| s.identity.tags.contains(t))
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CareSettingsMode {
    /// % of the register's organisations of these settings seen.
    Organisations,
    /// Mean over the settings of the % of each setting's organisations seen;
    /// a setting with none seen is a failure (for `red_if_any_failure`).
    MeanPerSetting,
    /// % of the settings with at least one organisation seen.
    SettingsWithContributor,
}

/// A level: met when every requirement is met and every lower level is met.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub requires: Vec<Requirement>,
}

/// One element of a level. Exactly one target (`criterion`, `dimension`,
/// `overall: true` or `scenarios_pass`); for the first three, `at_least`
/// (a RAG) and/or `min_score`. Not-assessed never meets a requirement.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub criterion: Option<String>,
    pub dimension: Option<String>,
    #[serde(default)]
    pub overall: bool,
    #[serde(default)]
    pub scenarios_pass: Vec<String>,
    pub at_least: Option<Rag>,
    pub min_score: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationDef {
    pub id: String,
    pub title: String,
}

impl Definition {
    /// The MVS definition shipped with conform.
    pub fn mvs() -> Definition {
        Definition::parse(MVS_DEFINITION).expect("the shipped MVS definition is valid")
    }

    pub fn load(path: &Path) -> Result<Definition, ScorecardError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScorecardError::input(format!("cannot read {}: {e}", path.display())))?;
        Definition::parse(&text)
            .map_err(|e| ScorecardError::input(format!("{}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Definition, ScorecardError> {
        let d: Definition =
            serde_yaml_ng::from_str(text).map_err(|e| ScorecardError::input(e.to_string()))?;
        d.check()?;
        Ok(d)
    }

    pub fn criteria(&self) -> impl Iterator<Item = (&Dimension, &Criterion)> {
        self.dimensions
            .iter()
            .flat_map(|d| d.criteria.iter().map(move |c| (d, c)))
    }

    fn check(&self) -> Result<(), ScorecardError> {
        let bad = |m: String| Err(ScorecardError::input(m));
        let mut ids = std::collections::BTreeSet::new();
        for d in &self.dimensions {
            if !ids.insert(d.id.as_str()) {
                return bad(format!("id '{}' is used twice", d.id));
            }
            if d.weight.is_nan() || d.weight < 0.0 || d.criteria.is_empty() {
                return bad(format!(
                    "dimension '{}' needs a weight ≥ 0 and criteria",
                    d.id
                ));
            }
            for c in &d.criteria {
                if !ids.insert(c.id.as_str()) {
                    return bad(format!("id '{}' is used twice", c.id));
                }
                if c.weight.is_nan() || c.weight <= 0.0 {
                    return bad(format!("criterion '{}' needs a weight > 0", c.id));
                }
            }
        }
        if self.levels.is_empty() {
            return bad("at least one level (the lowest, with no requirements) is needed".into());
        }
        for l in &self.levels {
            for r in &l.requires {
                let targets = r.criterion.is_some() as u8
                    + r.dimension.is_some() as u8
                    + r.overall as u8
                    + !r.scenarios_pass.is_empty() as u8;
                if targets != 1 {
                    return bad(format!(
                        "level '{}': each requirement needs exactly one of criterion, dimension, overall, scenarios_pass",
                        l.id
                    ));
                }
                let known = |id: &Option<String>, dims: bool| match id {
                    None => true,
                    Some(id) => {
                        if dims {
                            self.dimensions.iter().any(|d| &d.id == id)
                        } else {
                            self.criteria().any(|(_, c)| &c.id == id)
                        }
                    }
                };
                if !known(&r.criterion, false) || !known(&r.dimension, true) {
                    return bad(format!("level '{}': unknown criterion or dimension", l.id));
                }
                if r.scenarios_pass.is_empty() && r.at_least.is_none() && r.min_score.is_none() {
                    return bad(format!(
                        "level '{}': a requirement needs at_least or min_score",
                        l.id
                    ));
                }
                if r.at_least == Some(Rag::NotAssessed) {
                    return bad(format!(
                        "level '{}': at_least must be green, amber or red",
                        l.id
                    ));
                }
            }
        }
        Ok(())
    }
}
