//! Findings as data: the validator reports [`Outcome`]s (the one outcome
//! type of every command, from `conform-outcome`), independent of how they
//! are rendered (text, JSON, OperationOutcome, JUnit, SARIF...).

pub use conform_outcome::{IssueCode, Location, Outcome, Severity, Status};

/// A finding from a sub-check (profiles, QuestionnaireResponses) before the
/// walker places it: located by node (for line and column) and by a path
/// relative to where the sub-check started (empty for that place itself).
pub(crate) struct LocalIssue {
    pub node: conform_json::NodeId,
    pub path: String,
    pub severity: Severity,
    pub code: IssueCode,
    /// A rule id of [`rules`], or an invariant's key.
    pub rule: std::borrow::Cow<'static, str>,
    pub message: String,
}

/// The rule identifiers, one place so renderers and baselines agree.
pub mod rules {
    pub const JSON_SYNTAX: &str = "json-syntax";
    pub const RESOURCE_TYPE: &str = "resource-type";
    pub const UNKNOWN_ELEMENT: &str = "unknown-element";
    pub const DUPLICATE_ELEMENT: &str = "duplicate-element";
    pub const CHOICE_MULTIPLE: &str = "choice-multiple";
    pub const CARDINALITY_MIN: &str = "cardinality-min";
    pub const CARDINALITY_MAX: &str = "cardinality-max";
    pub const ARRAY_EXPECTED: &str = "array-expected";
    pub const ARRAY_UNEXPECTED: &str = "array-unexpected";
    pub const JSON_TYPE: &str = "json-type";
    pub const EMPTY: &str = "empty";
    pub const NULL_VALUE: &str = "null-value";
    pub const PRIMITIVE_ALIGNMENT: &str = "primitive-alignment";
    pub const PRIMITIVE_FORMAT: &str = "primitive-format";
    pub const BINDING_REQUIRED: &str = "binding-required";
    pub const BINDING_NOT_CHECKED: &str = conform_outcome::validate::UNVERIFIED_RULE;
    pub const REFERENCE_FORMAT: &str = "reference-format";
    pub const REFERENCE_TARGET: &str = "reference-target";
    pub const CONTAINED_NOT_FOUND: &str = "contained-not-found";
    pub const BUNDLE_FULLURL: &str = "bundle-fullurl";
    pub const BUNDLE_DUPLICATE: &str = "bundle-duplicate";
    pub const BUNDLE_LINK: &str = "bundle-link";
    pub const BUNDLE_ENTRY: &str = "bundle-entry";
    pub const BUNDLE_REFERENCE: &str = "bundle-reference";
    pub const BUNDLE_ORPHAN: &str = "bundle-orphan";
    pub const BUNDLE_SEARCH: &str = "bundle-search";
    pub const INPUT: &str = conform_outcome::validate::INPUT_RULE;
    // QuestionnaireResponse against its Questionnaire.
    pub const QUESTIONNAIRE_NOT_FOUND: &str = "questionnaire-not-found";
    pub const QUESTIONNAIRE_CANONICAL_TYPE: &str = "questionnaire-canonical-type";
    pub const QUESTIONNAIRE_STATUS: &str = "questionnaire-status";
    pub const QUESTIONNAIRE_ITEM_NOT_FOUND: &str = "questionnaire-item-not-found";
    pub const QUESTIONNAIRE_ITEM_ORDER: &str = "questionnaire-item-order";
    pub const QUESTIONNAIRE_ITEM_TEXT: &str = "questionnaire-item-text";
    pub const QUESTIONNAIRE_ITEM_STRUCTURE: &str = "questionnaire-item-structure";
    pub const QUESTIONNAIRE_REQUIRED: &str = "questionnaire-required";
    pub const QUESTIONNAIRE_REPEATS: &str = "questionnaire-repeats";
    pub const QUESTIONNAIRE_NOT_ENABLED: &str = "questionnaire-not-enabled";
    pub const QUESTIONNAIRE_ANSWER_TYPE: &str = "questionnaire-answer-type";
    pub const QUESTIONNAIRE_ANSWER_OPTION: &str = "questionnaire-answer-option";
    pub const QUESTIONNAIRE_ANSWER_VALUE_SET: &str = "questionnaire-answer-value-set";
    pub const QUESTIONNAIRE_DISPLAY: &str = "questionnaire-display";
    pub const QUESTIONNAIRE_MIN_MAX: &str = "questionnaire-min-max";
    pub const QUESTIONNAIRE_LENGTH: &str = "questionnaire-length";
    pub const QUESTIONNAIRE_REGEX: &str = "questionnaire-regex";
    pub const QUESTIONNAIRE_DECIMAL_PLACES: &str = "questionnaire-decimal-places";
    pub const QUESTIONNAIRE_ATTACHMENT: &str = "questionnaire-attachment";
    pub const QUESTIONNAIRE_QUANTITY_UNIT: &str = "questionnaire-quantity-unit";
    pub const QUESTIONNAIRE_REFERENCE_TYPE: &str = "questionnaire-reference-type";
    pub const NARRATIVE: &str = "narrative";
    pub const EMBEDDED_HTML: &str = "embedded-html";
    pub const PROFILE_UNKNOWN: &str = "profile-unknown";
    pub const PROFILE_FIXED: &str = "profile-fixed";
    pub const PROFILE_PATTERN: &str = "profile-pattern";
    pub const PROFILE_TYPE: &str = "profile-type";
    pub const PROFILE_MAX_LENGTH: &str = "profile-max-length";
    pub const PROFILE_VALUE_LIMIT: &str = "profile-value-limit";
    pub const PROFILE_SLICE_CLOSED: &str = "profile-slice-closed";
    pub const PROFILE_SLICE_ORDER: &str = "profile-slice-order";
    pub const PROFILE_SLICE_CARDINALITY: &str = "profile-slice-cardinality";
    pub const BINDING_EXTENSIBLE: &str = "binding-extensible";
    pub const BINDING_PREFERRED: &str = "binding-preferred";
    pub const EXTENSION_UNKNOWN: &str = "extension-unknown";
    pub const EXTENSION_ON_ID: &str = "extension-on-id";
    pub const EXTENSION_CONTEXT: &str = "extension-context";
    pub const EXTENSION_MODIFIER: &str = "extension-modifier";
    pub const INVARIANT_NOT_EVALUATED: &str = "invariant-not-evaluated";
    // Type-specific rules (rule_families::types).
    pub const STRING_WHITESPACE: &str = "string-whitespace";
    pub const UNICODE_CONTROL: &str = "unicode-control";
    pub const UNICODE_BIDI: &str = "unicode-bidi";
    pub const BASE64_WHITESPACE: &str = "base64-whitespace";
    pub const DATE_REASONABLE: &str = "date-reasonable";
    pub const DECIMAL_RANGE: &str = "decimal-range";
    pub const CANONICAL_URL: &str = "canonical-url";
    pub const ATTACHMENT_CONTENT: &str = "attachment-content";
    pub const ATTACHMENT_BASE64: &str = "attachment-base64";
    pub const ATTACHMENT_SIZE: &str = "attachment-size";
    pub const ATTACHMENT_HASH: &str = "attachment-hash";
    pub const IDENTIFIER_SYSTEM: &str = "identifier-system";
    pub const IDENTIFIER_VALUE: &str = "identifier-value";
    pub const CODING_SYSTEM: &str = "coding-system";
    pub const CODING_NO_SYSTEM: &str = "coding-no-system";
    pub const QUANTITY_UCUM: &str = "quantity-ucum";
    pub const QUANTITY_UCUM_ANNOTATION: &str = "quantity-ucum-annotation";

    /// Every rule id above, for checks that a rule id named elsewhere (the
    /// reference parity table, baselines) is one conform has. Keep it next
    /// to the constants: a new rule goes in both places.
    pub const ALL: &[&str] = &[
        JSON_SYNTAX,
        RESOURCE_TYPE,
        UNKNOWN_ELEMENT,
        DUPLICATE_ELEMENT,
        CHOICE_MULTIPLE,
        CARDINALITY_MIN,
        CARDINALITY_MAX,
        ARRAY_EXPECTED,
        ARRAY_UNEXPECTED,
        JSON_TYPE,
        EMPTY,
        NULL_VALUE,
        PRIMITIVE_ALIGNMENT,
        PRIMITIVE_FORMAT,
        BINDING_REQUIRED,
        BINDING_NOT_CHECKED,
        REFERENCE_FORMAT,
        REFERENCE_TARGET,
        CONTAINED_NOT_FOUND,
        BUNDLE_FULLURL,
        BUNDLE_DUPLICATE,
        INPUT,
        QUESTIONNAIRE_NOT_FOUND,
        QUESTIONNAIRE_CANONICAL_TYPE,
        QUESTIONNAIRE_STATUS,
        QUESTIONNAIRE_ITEM_NOT_FOUND,
        QUESTIONNAIRE_ITEM_ORDER,
        QUESTIONNAIRE_ITEM_TEXT,
        QUESTIONNAIRE_ITEM_STRUCTURE,
        QUESTIONNAIRE_REQUIRED,
        QUESTIONNAIRE_REPEATS,
        QUESTIONNAIRE_NOT_ENABLED,
        QUESTIONNAIRE_ANSWER_TYPE,
        QUESTIONNAIRE_ANSWER_OPTION,
        QUESTIONNAIRE_ANSWER_VALUE_SET,
        QUESTIONNAIRE_DISPLAY,
        QUESTIONNAIRE_MIN_MAX,
        QUESTIONNAIRE_LENGTH,
        QUESTIONNAIRE_REGEX,
        QUESTIONNAIRE_DECIMAL_PLACES,
        QUESTIONNAIRE_ATTACHMENT,
        QUESTIONNAIRE_QUANTITY_UNIT,
        QUESTIONNAIRE_REFERENCE_TYPE,
        NARRATIVE,
        EMBEDDED_HTML,
        PROFILE_UNKNOWN,
        PROFILE_FIXED,
        PROFILE_PATTERN,
        PROFILE_TYPE,
        PROFILE_MAX_LENGTH,
        PROFILE_VALUE_LIMIT,
        PROFILE_SLICE_CLOSED,
        PROFILE_SLICE_ORDER,
        PROFILE_SLICE_CARDINALITY,
        BINDING_EXTENSIBLE,
        BINDING_PREFERRED,
        EXTENSION_UNKNOWN,
        EXTENSION_ON_ID,
        EXTENSION_CONTEXT,
        INVARIANT_NOT_EVALUATED,
    ];

    /// Rules that say a check could not be made (a value set that is not
    /// expanded, an invariant that cannot be evaluated there): their
    /// outcomes are skipped checks, never passes.
    pub const NOT_CHECKED: [&str; 2] = [BINDING_NOT_CHECKED, INVARIANT_NOT_EVALUATED];

    #[cfg(test)]
    mod tests {
        #[test]
        fn all_lists_each_rule_once() {
            let mut seen = std::collections::HashSet::new();
            for r in super::ALL {
                assert!(seen.insert(*r), "rule id {r} is listed twice in rules::ALL");
            }
            for r in super::NOT_CHECKED {
                assert!(seen.contains(r), "rules::ALL lacks {r}");
            }
        }
    }
}
