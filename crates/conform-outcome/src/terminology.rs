//! Questions about codes that the loaded packages cannot answer (SNOMED CT,
//! dm+d, LOINC...), and a terminology server's answers to them. The
//! validator records the questions while it walks (it never waits for a
//! server), a [`CodeChecker`] answers all the questions of a batch at once,
//! and the validator turns the answers into findings. The answers are also
//! what a terminology cache stores and exports, so they are evidence.

use crate::{Location, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One question: is this code valid in its code system (no value set), or
/// is it in this value set? The display is asked about only in code system
/// questions (whether it is one of the concept's displays).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct CodeQuestion {
    /// The value set canonical (`url` or `url|version`); `None` asks about
    /// the code in its code system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_set: Option<String>,
    pub system: String,
    /// The code system version the payload names (`Coding.version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl CodeQuestion {
    /// `system|version#code` (and ` in value set`), for messages.
    pub fn coding_label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}|{v}#{}", self.system, self.code),
            None => format!("{}#{}", self.system, self.code),
        }
    }
}

/// What the server said of one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The code is valid (in its code system, or in the value set).
    Valid,
    /// The code is valid in its code system but not in the value set.
    NotInValueSet,
    /// The code does not exist in its code system.
    InvalidCode,
    /// The question could not be decided (unknown code system, version or
    /// value set, server error, time-out, cache miss in replay): neither
    /// passed nor failed.
    NotChecked,
}

/// A server's answer to one [`CodeQuestion`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CodeAnswer {
    pub verdict: Verdict,
    /// The server's own words (or, for `not-checked`, why it was not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The concept's preferred display, as the server gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `Some(false)` when the display asked about is not one of the
    /// concept's displays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_valid: Option<bool>,
    /// The concept is inactive (retired) in the code system version used.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inactive: bool,
    /// The code system version the server judged against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_version: Option<String>,
    /// The server did not know the code system (or this version of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_system: Option<String>,
}

impl CodeAnswer {
    /// An answer that decides nothing, with the reason.
    pub fn not_checked(reason: impl Into<String>) -> CodeAnswer {
        CodeAnswer {
            verdict: Verdict::NotChecked,
            message: Some(reason.into()),
            display: None,
            display_valid: None,
            inactive: false,
            system_version: None,
            unknown_system: None,
        }
    }
}

/// Answers questions about codes, all of a batch at once (a terminology
/// client with its cache). One answer per question, in order.
pub trait CodeChecker: Send + Sync {
    fn check(&self, questions: &[CodeQuestion]) -> Vec<CodeAnswer>;

    /// [`Self::check`], with the value sets the validator holds
    /// (`value_set(canonical)`), to send along with a question about a value
    /// set the server does not know (as the HL7 validator does).
    fn check_with(
        &self,
        questions: &[CodeQuestion],
        _value_set: &(dyn Fn(&str) -> Option<serde_json::Value> + Sync),
    ) -> Vec<CodeAnswer> {
        self.check(questions)
    }

    /// Whether Codings of this system (not bound to a value set the
    /// packages cannot expand) are worth asking about: the server knows
    /// the system, or it is configured to go to the server.
    fn asks_about(&self, _system: &str) -> bool {
        true
    }
}

/// How strongly a value is bound to a value set (FHIR binding strength).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingStrength {
    Required,
    Extensible,
}

/// A question the validator could not answer itself, waiting for a
/// [`CodeChecker`], with what it needs to report the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingCode {
    /// For a value bound to a value set: the codings asked about (any one
    /// in the set passes), and how strong the binding is. For a code system
    /// question: one coding and no strength.
    pub questions: Vec<CodeQuestion>,
    pub strength: Option<BindingStrength>,
    /// The element, for messages (`Observation.code`).
    pub label: String,
    /// The rule a code outside the value set is reported under, when not
    /// the binding's (`questionnaire-answer-value-set` for an answer).
    pub not_in_rule: Option<&'static str>,
    pub location: Location,
    /// The "not checked" finding that stands for the question until it is
    /// answered (a required binding has one; other questions report
    /// nothing unless answered).
    pub placeholder: Option<Outcome>,
}
