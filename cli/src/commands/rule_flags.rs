//! The validator's options as flags, spelled after the HL7 validator's
//! command line (docs/validator-options.md); `validate` and `baseline`
//! take them, and each overrides conform.toml's `[validate]` key.

/// The validator's options, as the HL7 validator's CLI has them
/// (docs/validator-options.md); each overrides conform.toml's `[validate]`.
#[derive(clap::Args)]
pub struct RuleFlags {
    /// Extension URLs on example domains (example.org...) need no
    /// definition (default true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    allow_example_urls: Option<bool>,
    /// Active content (script, event handlers) in strings and narrative is
    /// an error (default false).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    security_checks: Option<bool>,
    /// HTML in markdown is an error (default false).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    no_html_in_markdown: Option<bool>,
    /// A reference that resolves nowhere here names its target's type, which
    /// is then checked (default true; the HL7 validator's default is false).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    assume_valid_rest_references: Option<bool>,
    /// What is checked of referenced resources: ignore, check-type
    /// (default), check-exists or check-valid (a reference must resolve
    /// here: conform fetches nothing).
    #[arg(long, value_name = "POLICY")]
    references: Option<conform_validate::ReferencePolicy>,
    /// Validate contained resources: check (default) or ignore.
    #[arg(long, value_name = "POLICY")]
    contained: Option<conform_validate::ContainedPolicy>,
    /// How failed best-practice invariants are reported: ignore, hint
    /// (default), warning or error.
    #[arg(long, value_name = "LEVEL")]
    best_practice: Option<conform_validate::Level>,
    /// Warn about codes outside extensible bindings (default true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    extensible_binding_warnings: Option<bool>,
    /// Report wrong displays as warnings, not errors (default false).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    display_issues_are_warnings: Option<bool>,
    /// Extensions under this URL prefix (or `any`) need no definition
    /// (repeatable).
    #[arg(long = "extension-domain", value_name = "URL")]
    extension_domains: Vec<String>,
    /// Report (as information) elements present that a profile does not
    /// mark mustSupport (default false).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    must_support_hints: Option<bool>,
    /// Report, per profile, which mustSupport elements the payloads
    /// populated: counts, percentage, those never populated (default
    /// false; docs/must-support.md).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    must_support: Option<bool>,
    /// Resources marked experimental are errors (default false).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    no_experimental_content: Option<bool>,
    /// Observations of a vital sign (by LOINC or SNOMED CT code) are also
    /// validated against that sign's core profile, as FHIR R4 requires
    /// (default true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    vital_signs_profiles: Option<bool>,
    /// A profile's `bundled` aggregation holds for a resource outside a
    /// Bundle too, whose references then lead to no Bundle entry (default
    /// true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    enforce_aggregation_outside_bundles: Option<bool>,
    /// Largest file read whole (JSON, XML, NDJSON on stdin), in bytes
    /// (default 268435456, 256 MiB); see docs/limits.md.
    #[arg(long, value_name = "BYTES", help_heading = "Limits")]
    max_file_bytes: Option<u64>,
    /// Longest NDJSON line, in bytes (default 67108864, 64 MiB).
    #[arg(long, value_name = "BYTES", help_heading = "Limits")]
    max_line_bytes: Option<u64>,
    /// Deepest nesting of JSON arrays and objects, and of XML elements
    /// (default 512, at most 2048).
    #[arg(long, value_name = "LEVELS", help_heading = "Limits",
          value_parser = clap::value_parser!(u32).range(1..=conform_setup::MAX_DEPTH_CEILING as i64))]
    max_depth: Option<u32>,
    /// Longest JSON string, in bytes (default 67108864, 64 MiB).
    #[arg(long, value_name = "BYTES", help_heading = "Limits")]
    max_string_bytes: Option<u32>,
    /// Findings listed per resource; the rest are counted in one
    /// findings-truncated finding (default 1000).
    #[arg(long, value_name = "N", help_heading = "Limits")]
    max_findings: Option<usize>,
    /// Steps one FHIRPath evaluation (an invariant on one element) may
    /// take; past it the invariant is a not-evaluated warning (default
    /// 20000000).
    #[arg(long, value_name = "N", help_heading = "Limits")]
    max_fhirpath_steps: Option<u64>,
}

impl RuleFlags {
    pub fn overrides(&self) -> conform_setup::RuleOverrides {
        conform_setup::RuleOverrides {
            allow_example_urls: self.allow_example_urls,
            security_checks: self.security_checks,
            no_html_in_markdown: self.no_html_in_markdown,
            assume_valid_rest_references: self.assume_valid_rest_references,
            references: self.references,
            contained: self.contained,
            best_practice: self.best_practice,
            extensible_binding_warnings: self.extensible_binding_warnings,
            display_issues_are_warnings: self.display_issues_are_warnings,
            extension_domains: (!self.extension_domains.is_empty())
                .then(|| self.extension_domains.clone()),
            must_support_hints: self.must_support_hints,
            must_support: self.must_support,
            no_experimental_content: self.no_experimental_content,
            vital_signs_profiles: self.vital_signs_profiles,
            enforce_aggregation_outside_bundles: self.enforce_aggregation_outside_bundles,
            max_file_bytes: self.max_file_bytes,
            max_line_bytes: self.max_line_bytes,
            max_depth: self.max_depth,
            max_string_bytes: self.max_string_bytes,
            max_findings: self.max_findings,
            max_fhirpath_steps: self.max_fhirpath_steps,
        }
    }
}
