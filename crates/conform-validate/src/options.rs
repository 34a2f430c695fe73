//! What the validator is told about how strict to be, named after the HL7
//! validator's options (docs/validator-options.md has them side by side
//! with its command line).

use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// Choices about what to check, named after the reference validator's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Extension URLs on example domains (example.org, acme.com...) are
    /// accepted without a definition.
    pub allow_example_urls: bool,
    /// Strings that look like they embed HTML are errors (injection risk).
    pub security_checks: bool,
    /// Markdown that embeds HTML tags is an error.
    pub no_html_in_markdown: bool,
    /// Evaluate the definitions' invariants (FHIRPath constraints).
    pub invariants: bool,
    /// A literal reference that resolves nowhere here (not contained, not
    /// in the Bundle) is taken to point at the type its URL names, and
    /// that type is checked against the element's targets. The HL7
    /// validator does this only with `-assumeValidRestReferences`; conform
    /// does it by default, because a `Patient/…` where a Practitioner
    /// belongs is wrong data whatever the server holds.
    pub assume_valid_rest_references: bool,
    /// What is checked of the resources references point to.
    pub references: ReferencePolicy,
    /// Whether contained resources are validated.
    pub contained: ContainedPolicy,
    /// How a failed best-practice invariant is reported.
    pub best_practice: Level,
    /// A code outside an extensible binding is a warning (else nothing).
    pub extensible_binding_warnings: bool,
    /// A display that is not the code's is a warning rather than an error.
    pub display_issues_are_warnings: bool,
    /// URL prefixes (or `any`) whose extensions need no definition.
    pub extension_domains: Vec<String>,
    /// Elements present that a profile does not mark mustSupport are
    /// reported (as information).
    pub must_support_hints: bool,
    /// Record, per profile, which mustSupport elements each instance
    /// populates (docs/must-support.md).
    pub must_support: bool,
    /// Conformance resources marked `experimental` are errors.
    pub no_experimental_content: bool,
    /// An Observation of a vital sign (by its LOINC or SNOMED CT code) is
    /// validated against that sign's core profile too, as FHIR R4 requires
    /// and the HL7 validator does.
    pub vital_signs_profiles: bool,
    /// A profile's `bundled` aggregation holds outside a Bundle too: a
    /// reference from a resource on its own is then not to a Bundle entry,
    /// and fails it (the HL7 validator's default for R4).
    pub enforce_aggregation_outside_bundles: bool,
    // Limits on hostile or runaway input (docs/limits.md).
    /// Largest file read whole (a JSON or XML resource, or NDJSON on
    /// standard input), in bytes; a larger one is not read.
    pub max_file_bytes: u64,
    /// Longest NDJSON line, in bytes; a longer one is skipped unread.
    pub max_line_bytes: u64,
    /// Deepest nesting of JSON arrays and objects (XML elements: the same).
    pub max_depth: u32,
    /// Longest JSON string (a member name or a value), in bytes.
    pub max_string_bytes: u32,
    /// Findings reported for one resource; past it, one
    /// `findings-truncated` finding stands for the rest.
    pub max_findings: usize,
    /// Steps one FHIRPath evaluation (an invariant on one element) may
    /// take; past it the invariant is reported as not evaluated, as a
    /// warning naming the limit.
    pub max_fhirpath_steps: u64,
}

/// The default of [`Options::max_file_bytes`]: 256 MiB (the largest
/// real Bundles are tens of MB; parsing costs about three times the file).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 << 20;
/// The default of [`Options::max_line_bytes`]: 64 MiB.
pub const DEFAULT_MAX_LINE_BYTES: u64 = 64 << 20;
/// The default of [`Options::max_findings`].
pub const DEFAULT_MAX_FINDINGS: usize = 1000;

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_example_urls: true,
            security_checks: false,
            no_html_in_markdown: false,
            invariants: true,
            assume_valid_rest_references: true,
            references: ReferencePolicy::CheckType,
            contained: ContainedPolicy::Check,
            best_practice: Level::Hint,
            extensible_binding_warnings: true,
            display_issues_are_warnings: false,
            extension_domains: Vec::new(),
            must_support_hints: false,
            must_support: false,
            no_experimental_content: false,
            vital_signs_profiles: true,
            enforce_aggregation_outside_bundles: true,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_depth: conform_json::DEFAULT_MAX_DEPTH,
            max_string_bytes: conform_json::DEFAULT_MAX_STRING_BYTES,
            max_findings: DEFAULT_MAX_FINDINGS,
            max_fhirpath_steps: conform_fhirpath::DEFAULT_MAX_STEPS,
        }
    }
}

impl Options {
    /// Whether a reference that resolves nowhere here is taken to name the
    /// type in its URL (and that type checked).
    pub fn types_unresolved_references(&self) -> bool {
        self.assume_valid_rest_references && self.references != ReferencePolicy::Ignore
    }

    /// Whether a reference must resolve (to a contained resource or an
    /// entry of an enclosing Bundle or Parameters).
    pub fn references_must_resolve(&self) -> bool {
        matches!(
            self.references,
            ReferencePolicy::CheckExists | ReferencePolicy::CheckValid
        )
    }

    /// The JSON parser's limits.
    pub fn json_limits(&self) -> conform_json::Limits {
        conform_json::Limits {
            max_depth: self.max_depth,
            max_string_bytes: self.max_string_bytes,
        }
    }

    /// Whether an extension URL is in one of the allowed extension domains.
    pub fn extension_domain_allows(&self, url: &str) -> bool {
        self.extension_domains
            .iter()
            .any(|d| d == "any" || url.starts_with(d.as_str()))
    }
}

/// Declares an option's values: the enum, its kebab-case spellings (for
/// flags, `conform.toml` and messages), and their parsing.
macro_rules! choices {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every spelling, in order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("'{other}' is not one of: {}", Self::NAMES.join(", "))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choices! {
    /// What is checked of the resource a reference points to (the HL7
    /// validator's reference validation policy). conform has no fetcher:
    /// what it can resolve is a contained resource or an entry of the
    /// enclosing Bundle.
    ReferencePolicy {
        /// Only what the reference resolves to here is type-checked, as the
        /// reference does even when ignoring references.
        Ignore = "ignore",
        /// As `ignore`, and an unresolved RESTful reference is taken to
        /// name its target's type when `assume-valid-rest-references` is on.
        CheckType = "check-type",
        /// As `check-type`, and a reference that resolves nowhere here is an
        /// error (there is no server to fetch it from).
        CheckExists = "check-exists",
        /// As `check-exists`; the resolved resources are validated where
        /// they are (contained, Bundle entries), as always.
        CheckValid = "check-valid",
    }
}

choices! {
    /// Whether contained resources are validated (the HL7 validator's
    /// contained-resource policy).
    ContainedPolicy {
        Check = "check",
        /// Only their type and id are read (references to them still
        /// resolve); their content is not validated.
        Ignore = "ignore",
    }
}

choices! {
    /// How a failed best-practice invariant (one marked with the
    /// `elementdefinition-bestpractice` extension) is reported.
    Level {
        Ignore = "ignore",
        /// As information.
        Hint = "hint",
        Warning = "warning",
        Error = "error",
    }
}
