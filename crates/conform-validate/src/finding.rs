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
    /// A question for a terminology server about the value at `node`; the
    /// issue itself is its placeholder finding when `reported`, and is not
    /// reported otherwise.
    pub ask: Option<Box<Ask>>,
}

/// A question about a coded value for a terminology server, as a rule asks
/// it (the walker adds where it is).
pub(crate) struct Ask {
    pub questions: Vec<conform_outcome::terminology::CodeQuestion>,
    pub strength: Option<conform_outcome::terminology::BindingStrength>,
    pub label: String,
    /// The rule a code outside the value set is reported under, when not
    /// the binding's.
    pub not_in_rule: Option<&'static str>,
    /// Whether the issue carrying it is reported meanwhile (a "not checked"
    /// finding that the answer replaces).
    pub reported: bool,
}

/// Defines each rule id once, and [`rules::ALL`] from the same list, so a
/// new rule cannot be left out of it.
macro_rules! rule_ids {
    ($($(#[$doc:meta])* $name:ident = $value:expr,)*) => {
        $($(#[$doc])* pub const $name: &str = $value;)*
        /// Every rule id the validator reports under (invariants report
        /// under their own keys besides).
        pub const ALL: &[&str] = &[$($name),*];
    };
}

/// The rule identifiers, one place so renderers and baselines agree.
pub mod rules {
    rule_ids! {
        JSON_SYNTAX = "json-syntax",
        RESOURCE_TYPE = "resource-type",
        FHIR_RELEASE = "fhir-version",
        UNKNOWN_ELEMENT = "unknown-element",
        DUPLICATE_ELEMENT = "duplicate-element",
        DUPLICATE_ID = "duplicate-id",
        CHOICE_MULTIPLE = "choice-multiple",
        CARDINALITY_MIN = "cardinality-min",
        CARDINALITY_MAX = "cardinality-max",
        ARRAY_EXPECTED = "array-expected",
        ARRAY_UNEXPECTED = "array-unexpected",
        JSON_TYPE = "json-type",
        EMPTY = "empty",
        NULL_VALUE = "null-value",
        PRIMITIVE_ALIGNMENT = "primitive-alignment",
        PRIMITIVE_FORMAT = "primitive-format",
        BINDING_REQUIRED = "binding-required",
        BINDING_NOT_CHECKED = conform_outcome::validate::UNVERIFIED_RULE,
        // Answers of a terminology server (docs/terminology.md).
        CODE_INVALID = "code-invalid",
        CODE_DISPLAY = "code-display",
        CODE_INACTIVE = "code-inactive",
        CODE_SYSTEM_VERSION = "code-system-version",
        REFERENCE_FORMAT = "reference-format",
        REFERENCE_TARGET = "reference-target",
        REFERENCE_AGGREGATION = "reference-aggregation",
        CONTAINED_NOT_FOUND = "contained-not-found",
        REFERENCE_NOT_RESOLVED = "reference-not-resolved",
        REFERENCE_TARGET_PROFILE = "reference-target-profile",
        BUNDLE_FULLURL = "bundle-fullurl",
        BUNDLE_DUPLICATE = "bundle-duplicate",
        BUNDLE_LINK = "bundle-link",
        BUNDLE_ENTRY = "bundle-entry",
        BUNDLE_REFERENCE = "bundle-reference",
        BUNDLE_ORPHAN = "bundle-orphan",
        BUNDLE_SEARCH = "bundle-search",
        INPUT = conform_outcome::validate::INPUT_RULE,
        // QuestionnaireResponse against its Questionnaire.
        QUESTIONNAIRE_NOT_FOUND = "questionnaire-not-found",
        QUESTIONNAIRE_CANONICAL_TYPE = "questionnaire-canonical-type",
        QUESTIONNAIRE_STATUS = "questionnaire-status",
        QUESTIONNAIRE_ITEM_NOT_FOUND = "questionnaire-item-not-found",
        QUESTIONNAIRE_ITEM_ORDER = "questionnaire-item-order",
        QUESTIONNAIRE_ITEM_TEXT = "questionnaire-item-text",
        QUESTIONNAIRE_ITEM_STRUCTURE = "questionnaire-item-structure",
        QUESTIONNAIRE_REQUIRED = "questionnaire-required",
        QUESTIONNAIRE_REPEATS = "questionnaire-repeats",
        QUESTIONNAIRE_NOT_ENABLED = "questionnaire-not-enabled",
        QUESTIONNAIRE_ANSWER_TYPE = "questionnaire-answer-type",
        QUESTIONNAIRE_ANSWER_OPTION = "questionnaire-answer-option",
        QUESTIONNAIRE_EXCLUSIVE = "questionnaire-exclusive",
        QUESTIONNAIRE_ANSWER_VALUE_SET = "questionnaire-answer-value-set",
        QUESTIONNAIRE_DISPLAY = "questionnaire-display",
        QUESTIONNAIRE_MIN_MAX = "questionnaire-min-max",
        QUESTIONNAIRE_LENGTH = "questionnaire-length",
        QUESTIONNAIRE_REGEX = "questionnaire-regex",
        QUESTIONNAIRE_DECIMAL_PLACES = "questionnaire-decimal-places",
        QUESTIONNAIRE_ATTACHMENT = "questionnaire-attachment",
        QUESTIONNAIRE_QUANTITY_UNIT = "questionnaire-quantity-unit",
        QUESTIONNAIRE_REFERENCE_TYPE = "questionnaire-reference-type",
        NARRATIVE = "narrative",
        EMBEDDED_HTML = "embedded-html",
        PROFILE_UNKNOWN = "profile-unknown",
        PROFILE_VITAL_SIGNS = "profile-vital-signs",
        PROFILE_FIXED = "profile-fixed",
        PROFILE_PATTERN = "profile-pattern",
        PROFILE_TYPE = "profile-type",
        PROFILE_NO_MATCH = "profile-no-match",
        PROFILE_MAX_LENGTH = "profile-max-length",
        PROFILE_VALUE_LIMIT = "profile-value-limit",
        PROFILE_MIN_LENGTH = "profile-min-length",
        PROFILE_SLICE_CLOSED = "profile-slice-closed",
        PROFILE_SLICE_ORDER = "profile-slice-order",
        PROFILE_SLICE_CARDINALITY = "profile-slice-cardinality",
        PROFILE_SLICE_MULTIPLE = "profile-slice-multiple",
        MUST_SUPPORT = "must-support",
        BINDING_EXTENSIBLE = "binding-extensible",
        BINDING_PREFERRED = "binding-preferred",
        EXTENSION_UNKNOWN = "extension-unknown",
        EXTENSION_ON_ID = "extension-on-id",
        SECURITY_LABEL_DUPLICATE = "security-label-duplicate",
        NARRATIVE_LANGUAGE = "narrative-language",
        EXPERIMENTAL_CONTENT = "experimental-content",
        EXTENSION_CONTEXT = "extension-context",
        EXTENSION_MODIFIER = "extension-modifier",
        EXTENSION_URL = "extension-url",
        INVARIANT_NOT_EVALUATED = "invariant-not-evaluated",
        // Type-specific rules (rule_families::types).
        STRING_WHITESPACE = "string-whitespace",
        UNICODE_CONTROL = "unicode-control",
        UNICODE_BIDI = "unicode-bidi",
        BASE64_WHITESPACE = "base64-whitespace",
        DATE_REASONABLE = "date-reasonable",
        DECIMAL_RANGE = "decimal-range",
        CANONICAL_URL = "canonical-url",
        ATTACHMENT_CONTENT = "attachment-content",
        ATTACHMENT_BASE64 = "attachment-base64",
        ATTACHMENT_SIZE = "attachment-size",
        ATTACHMENT_HASH = "attachment-hash",
        IDENTIFIER_SYSTEM = "identifier-system",
        IDENTIFIER_VALUE = "identifier-value",
        CODING_SYSTEM = "coding-system",
        CODING_NO_SYSTEM = "coding-no-system",
        QUANTITY_UCUM = "quantity-ucum",
        QUANTITY_UCUM_ANNOTATION = "quantity-ucum-annotation",
        // Conformance resources (rule_families::canonical).
        SEARCH_PARAMETER_DERIVATION = "search-parameter-derivation",
        SEARCH_PARAMETER_EXPRESSION = "search-parameter-expression",
        SEARCH_PARAMETER_CODE = "search-parameter-code",
        SEARCH_PARAMETER_COMPONENTS = "search-parameter-components",
        CAPABILITY_SEARCH_PARAM = "capability-search-param",
        CODE_SYSTEM_SUPPLEMENT = "code-system-supplement",
        CODE_SYSTEM_COUNT = "code-system-count",
        CODE_SYSTEM_DESIGNATION = "code-system-designation",
        CODE_SYSTEM_PROPERTY = "code-system-property",
        CODE_SYSTEM_CONCEPT_PROPERTY = "code-system-concept-property",
        VALUE_SET_FILTER = "value-set-filter",
        VALUE_SET_PARAMETER = "value-set-parameter",
        CONCEPT_MAP_CODE = "concept-map-code",
        QUESTIONNAIRE_ENABLE_WHEN = "questionnaire-enable-when",
        STRUCTURE_DEFINITION_TYPE_PROFILE = "structure-definition-type-profile",
        MEASURE_GROUP = "measure-group",
        MEASURE_CRITERIA = "measure-criteria",
        MEASURE_REPORT_MEASURE = "measure-report-measure",
        MEASURE_REPORT_GROUP = "measure-report-group",
        MEASURE_REPORT_SCORE = "measure-report-score",
        OPERATION_DEFINITION_PROFILE = "operation-definition-profile",
        OPERATION_DEFINITION_BASE = "operation-definition-base",
        // FHIR XML (conform_xml, which reads XML into the JSON tree).
        XML_SYNTAX = conform_xml::rules::XML_SYNTAX,
        XML_NAMESPACE = conform_xml::rules::XML_NAMESPACE,
        XML_VALUE_ATTRIBUTE = conform_xml::rules::XML_VALUE_ATTRIBUTE,
        XML_UNKNOWN_ATTRIBUTE = conform_xml::rules::XML_UNKNOWN_ATTRIBUTE,
        XML_EMPTY_ELEMENT = conform_xml::rules::XML_EMPTY_ELEMENT,
        XML_ELEMENT_ORDER = conform_xml::rules::XML_ELEMENT_ORDER,
        XML_XHTML_NAMESPACE = conform_xml::rules::XML_XHTML_NAMESPACE,
        // Limits on input (docs/limits.md).
        LIMIT_EXCEEDED = "limit-exceeded",
        FINDINGS_TRUNCATED = "findings-truncated",
    }

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
