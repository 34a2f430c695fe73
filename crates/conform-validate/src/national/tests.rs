//! The national rule kinds, through the rules the uk-core pack really ships.

use super::{Algorithm, RuleSet};
use crate::finding::Severity;
use crate::pack::Pack;

fn uk_core() -> RuleSet {
    Pack::builtin("uk-core")
        .expect("uk-core is built in")
        .expect("uk-core parses")
        .rule_set()
}

/// (rule id, path below the identifier, message) for one identifier.
fn hits(rules: &RuleSet, identifier: &str) -> Vec<(String, &'static str, String)> {
    let doc = conform_json::parse(identifier.as_bytes()).expect("test JSON parses");
    rules
        .check_identifier(&doc, doc.root())
        .into_iter()
        .map(|h| {
            assert_eq!(h.severity, Severity::Error);
            (h.rule, h.child, h.message)
        })
        .collect()
}

fn rule_ids(rules: &RuleSet, system: &str, value: &str) -> Vec<String> {
    let identifier = serde_json::json!({ "system": system, "value": value }).to_string();
    hits(rules, &identifier).into_iter().map(|h| h.0).collect()
}

const NHS: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_ORG: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const ODS_SITE: &str = "https://fhir.nhs.uk/Id/ods-site-code";

#[test]
fn mod11_accepts_valid_nhs_numbers() {
    for n in [
        "9000000009",
        "9000000017",
        "9449305552",
        "9912003888",
        "9999999999",
        "4010232137",
        "0000000000",
    ] {
        assert_eq!(Algorithm::NhsNumberMod11.check(n), Ok(()), "{n}");
    }
}

#[test]
fn mod11_rejects_wrong_check_digits() {
    let e = Algorithm::NhsNumberMod11.check("9912003890").unwrap_err();
    assert_eq!(e, "its check digit is 0 but its first nine digits give 6");
    assert!(Algorithm::NhsNumberMod11.check("9000000000").is_err());
    assert!(Algorithm::NhsNumberMod11.check("9495456001").is_err());
}

#[test]
fn mod11_rejects_nine_digits_whose_check_digit_would_be_10() {
    let e = Algorithm::NhsNumberMod11.check("1234567890").unwrap_err();
    assert!(e.contains("would be 10"), "{e}");
}

#[test]
fn mod11_rejects_wrong_lengths_and_non_digits() {
    for n in [
        "",
        "900000000",
        "90000000099",
        "900 000 0009",
        "900000000X",
        "９000000009",
        "-900000009",
    ] {
        let e = Algorithm::NhsNumberMod11.check(n).unwrap_err();
        assert!(e.contains("exactly 10 digits"), "{n}: {e}");
    }
}

#[test]
fn check_digit_findings_point_at_the_value_and_say_why() {
    let found = hits(
        &uk_core(),
        r#"{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9912003890"}"#,
    );
    assert_eq!(found.len(), 1);
    let (rule, child, message) = &found[0];
    assert_eq!(rule, "nhs-number-check-digit");
    assert_eq!(*child, "value");
    assert!(message.starts_with("Identifier value '*******890' (https://fhir.nhs.uk/Id/nhs-number) fails the NHS number Modulus 11 check: its check digit is 0 but its first nine digits give 6. UK Core does not check it"), "{message}");
}

#[test]
fn ods_organisation_codes_are_3_to_6_upper_case_alphanumerics() {
    let rules = uk_core();
    for ok in ["X26", "RR8", "Y12345", "C4B2A", "GP5", "C88006", "8HB12"] {
        assert!(rule_ids(&rules, ODS_ORG, ok).is_empty(), "{ok}");
    }
    for bad in ["rr8", "X2", "Y123456", "RR8 ", "R-R8", "", "RR807X1"] {
        assert_eq!(
            rule_ids(&rules, ODS_ORG, bad),
            ["ods-organization-code-format"],
            "{bad:?}"
        );
    }
}

#[test]
fn ods_site_codes_are_5_to_9_upper_case_alphanumerics() {
    let rules = uk_core();
    for ok in ["RR807", "RR8D7", "GP8D7", "LSP0101"] {
        assert!(rule_ids(&rules, ODS_SITE, ok).is_empty(), "{ok}");
    }
    for bad in ["RR8", "rr807", "RR8-07", "RR8070000X"] {
        assert_eq!(
            rule_ids(&rules, ODS_SITE, bad),
            ["ods-site-code-format"],
            "{bad:?}"
        );
    }
}

#[test]
fn legacy_and_misspelt_systems_are_flagged_at_the_system() {
    let rules = uk_core();
    for (system, rule) in [
        ("http://fhir.nhs.net/Id/nhs-number", "nhs-number-system"),
        ("http://fhir.nhs.uk/Id/nhs-number", "nhs-number-system"),
        ("https://fhir.nhs.uk/Id/NHS-number", "nhs-number-system"),
        ("https://fhir.nhs.uk/Id/nhs-number ", "nhs-number-system"),
        ("urn:oid:2.16.840.1.113883.2.1.4.1", "nhs-number-system"),
        (
            "http://fhir.nhs.net/Id/ods-organization-code",
            "ods-organization-code-system",
        ),
        (
            "https://fhir.nhs.uk/Id/ods-organisation-code",
            "ods-organization-code-system",
        ),
        (
            "http://fhir.nhs.uk/Id/ods-organisation-code",
            "ods-organization-code-system",
        ),
        (
            "http://fhir.nhs.net/Id/ods-site-code",
            "ods-site-code-system",
        ),
    ] {
        let identifier = serde_json::json!({ "system": system, "value": "9000000009" });
        let found = hits(&rules, &identifier.to_string());
        assert_eq!(found.len(), 1, "{system}: {found:?}");
        assert_eq!(found[0].0, rule, "{system}");
        assert_eq!(found[0].1, "system");
    }
    let found = hits(
        &rules,
        r#"{"system": "http://fhir.nhs.net/Id/nhs-number", "value": "9000000009"}"#,
    );
    assert!(found[0].2.starts_with("Identifier system 'http://fhir.nhs.net/Id/nhs-number' (value '*******009') is a legacy or misspelt form of 'https://fhir.nhs.uk/Id/nhs-number'. Identifier systems are compared"), "{}", found[0].2);
}

#[test]
fn right_systems_with_good_values_pass() {
    let rules = uk_core();
    assert!(rule_ids(&rules, NHS, "9000000009").is_empty());
    assert!(rule_ids(&rules, ODS_ORG, "Y12345").is_empty());
    assert!(rule_ids(&rules, ODS_SITE, "RR807").is_empty());
    assert!(rule_ids(&rules, "https://example.org/mrn", "anything").is_empty());
}

#[test]
fn identifiers_without_a_string_system_or_value_are_left_to_the_structure_checks() {
    let rules = uk_core();
    for identifier in [
        r#"{}"#,
        r#"{"value": "9912003890"}"#,
        r#"{"system": 42, "value": "9912003890"}"#,
        r#"{"system": "https://fhir.nhs.uk/Id/nhs-number"}"#,
        r#"{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": 9912003890}"#,
        r#"{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": null}"#,
        r#"[]"#,
        r#""text""#,
    ] {
        assert!(hits(&rules, identifier).is_empty(), "{identifier}");
    }
}

#[test]
fn quoted_values_are_short_and_on_one_line() {
    let long = format!("9{}\n", "é".repeat(10_000));
    let identifier = serde_json::json!({ "system": NHS, "value": long });
    let found = hits(&uk_core(), &identifier.to_string());
    let message = &found[0].2;
    assert!(message.len() < 700, "{} bytes", message.len());
    assert!(!message.contains('\n'));
}

#[test]
fn an_empty_rule_set_finds_nothing() {
    let identifier = r#"{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "1"}"#;
    assert!(hits(&RuleSet::default(), identifier).is_empty());
}

proptest::proptest! {
    /// Whatever an identifier holds, checking it never panics, and every
    /// hit points at its value or its system.
    #[test]
    fn any_identifier_is_checked_without_panicking(
        system in "(https?://)?(FHIR|fhir)?(\\.nhs\\.(uk|net)/Id/)?(nhs-number|ods-[a-z-]{0,20})?[ /\\PC]{0,3}",
        value in "\\PC{0,20}",
    ) {
        static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        let rules = RULES.get_or_init(uk_core);
        let identifier = serde_json::json!({ "system": system, "value": value }).to_string();
        let doc = conform_json::parse(identifier.as_bytes()).expect("JSON from serde parses");
        for hit in rules.check_identifier(&doc, doc.root()) {
            proptest::prop_assert!(hit.child == "value" || hit.child == "system");
        }
    }
}
