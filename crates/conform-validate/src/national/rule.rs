//! One national rule as a pack states it (`[[rule]]` in a pack's TOML):
//! an id, a severity, why it matters, and a kind of check with its
//! parameters. The kinds are generic; which systems they apply to is data.

use super::check_digit::Algorithm;
use super::system;
use crate::finding::Severity;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// A national rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id, used as the rule id of its findings (for baselines).
    pub id: String,
    pub severity: RuleSeverity,
    /// One sentence saying why the rule matters; ends every message.
    pub why: String,
    /// `kind` and the kind's parameters, side by side with the above.
    #[serde(flatten)]
    pub check: Check,
}

/// The severities a pack may give a rule (fatal is for unreadable input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    Error,
    Warning,
    Information,
}

impl From<RuleSeverity> for Severity {
    fn from(s: RuleSeverity) -> Severity {
        match s {
            RuleSeverity::Error => Severity::Error,
            RuleSeverity::Warning => Severity::Warning,
            RuleSeverity::Information => Severity::Information,
        }
    }
}

impl RuleSeverity {
    pub fn as_str(self) -> &'static str {
        Severity::from(self).as_str()
    }
}

/// What a rule checks, by `kind`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Check {
    /// The value of identifiers in `system` must pass a check-digit algorithm.
    CheckDigit(CheckDigit),
    /// The whole value of identifiers in `system` must match a regex.
    Pattern(Pattern),
    /// `system` is the right spelling; `wrong` lists legacy or misspelt
    /// ones. Near misses of any of them (http for https, other letter case,
    /// a trailing slash or spaces) are caught too.
    DeprecatedSystem(DeprecatedSystem),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDigit {
    pub system: String,
    pub algorithm: Algorithm,
}

/// A value format. The regex must match the whole value (it is anchored
/// for you, like FHIR's own `ElementDefinition` regexes).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "PatternSpec", into = "PatternSpec")]
pub struct Pattern {
    pub system: String,
    pub regex: String,
    compiled: Regex,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeprecatedSystem {
    /// The right system.
    pub system: String,
    /// Legacy or misspelt forms of it.
    pub wrong: Vec<String>,
}

/// How a pattern is written in a pack; compiled on the way in so a bad
/// regex is reported where the pack is read, not while validating.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternSpec {
    system: String,
    regex: String,
}

impl TryFrom<PatternSpec> for Pattern {
    type Error = String;
    fn try_from(spec: PatternSpec) -> Result<Pattern, String> {
        // The regex as written first, so an error quotes what the author
        // wrote; the crate's message spans lines, its last says what is wrong.
        let compiled = Regex::new(&spec.regex)
            .and_then(|_| Regex::new(&format!("^(?:{})$", spec.regex)))
            .map_err(|e| {
                let e = e.to_string();
                let what = e.lines().last().unwrap_or_default();
                format!(
                    "invalid regex '{}': {}",
                    spec.regex,
                    what.trim_start_matches("error: ")
                )
            })?;
        Ok(Pattern {
            system: spec.system,
            regex: spec.regex,
            compiled,
        })
    }
}

impl From<Pattern> for PatternSpec {
    fn from(p: Pattern) -> PatternSpec {
        PatternSpec {
            system: p.system,
            regex: p.regex,
        }
    }
}

/// Which part of the identifier a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum About {
    System,
    Value,
}

/// What is wrong with one identifier, before the rule's `why` is added.
pub(super) struct Problem {
    pub about: About,
    pub message: String,
}

/// Longest value quoted back in a message: identifiers can be anything,
/// and a megabyte of it helps nobody.
const QUOTE_MAX: usize = 64;

impl Check {
    /// The kind's name as a pack writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::CheckDigit(_) => "check-digit",
            Check::Pattern(_) => "pattern",
            Check::DeprecatedSystem(_) => "deprecated-system",
        }
    }

    /// The system the rule is about (for deprecated systems: the right one).
    pub fn system(&self) -> &str {
        match self {
            Check::CheckDigit(c) => &c.system,
            Check::Pattern(p) => &p.system,
            Check::DeprecatedSystem(d) => &d.system,
        }
    }

    /// What is wrong with an identifier with this system and value, if
    /// anything. Value rules skip identifiers without a string value.
    pub(super) fn problem(&self, system: &str, value: Option<&str>) -> Option<Problem> {
        match self {
            Check::CheckDigit(c) => {
                let value = value.filter(|_| system == c.system)?;
                let reason = c.algorithm.check(value).err()?;
                Some(Problem {
                    about: About::Value,
                    message: format!(
                        "Identifier value '{}' ({}) fails the {} check: {reason}.",
                        quote_value(&c.system, value),
                        c.system,
                        c.algorithm.label()
                    ),
                })
            }
            Check::Pattern(p) => {
                let value = value.filter(|_| system == p.system)?;
                if p.compiled.is_match(value) {
                    return None;
                }
                Some(Problem {
                    about: About::Value,
                    message: format!(
                        "Identifier value '{}' is not in the format of {} (must match {}).",
                        quote_value(&p.system, value),
                        p.system,
                        p.regex
                    ),
                })
            }
            Check::DeprecatedSystem(d) => {
                if system == d.system || !system::near(system, &d.system, &d.wrong) {
                    return None;
                }
                let value = value.map(|v| format!(" (value '{}')", quote_value(&d.system, v)));
                Some(Problem {
                    about: About::System,
                    message: format!(
                        "Identifier system '{}'{} is a legacy or misspelt form of '{}'.",
                        quote(system),
                        value.unwrap_or_default(),
                        d.system
                    ),
                })
            }
        }
    }
}

/// A value made safe to quote in a one-line message: shortened, with
/// control characters (newlines...) escaped.
/// A value quoted in a finding: an NHS number (by its system) with every
/// digit but the last three masked, since the number is patient data and
/// findings end up in CI artefacts; the reason explains the check digit
/// and the location points at the value (docs/patient-data.md).
fn quote_value(system: &str, value: &str) -> String {
    if system != conform_outcome::privacy::NHS_NUMBER_SYSTEM {
        return quote(value);
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    let masked: String = value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen + 3 <= digits {
                '*'
            } else {
                c
            }
        })
        .collect();
    quote(&masked)
}

fn quote(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == QUOTE_MAX {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
