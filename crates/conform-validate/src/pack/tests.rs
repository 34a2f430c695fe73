//! Pack loading: the built-in packs, the search order, and errors that
//! name file, line and problem.

use super::{builtin_names, Pack, PackError};
use std::path::PathBuf;

const MINIMAL: &str = r#"
name = "mini"
packages = ["hl7.fhir.r4.core#4.0.1"]

[profiles]
Patient = "https://example.org/StructureDefinition/MyPatient"

[[rule]]
id = "mrn-format"
severity = "warning"
kind = "pattern"
system = "https://example.org/mrn"
regex = "[0-9]{6}"
why = "Our MRNs are six digits."
"#;

fn error_of(text: &str) -> String {
    Pack::parse(text, "test.toml").unwrap_err().to_string()
}

#[test]
fn builtin_packs_parse() {
    assert_eq!(builtin_names(), ["base", "uk-core", "gp-connect"]);
    for name in builtin_names() {
        let pack = Pack::builtin(name).expect("listed").expect("parses");
        assert_eq!(pack.name, name);
        assert_eq!(pack.origin, format!("built-in {name}"));
    }
    assert!(Pack::builtin("no-such-pack").is_none());
}

#[test]
fn base_pack_is_r4_core_only() {
    let base = Pack::builtin("base").unwrap().unwrap();
    assert_eq!(base.packages, ["hl7.fhir.r4.core#4.0.1"]);
    assert!(base.profiles.is_empty());
    assert!(base.rules.is_empty());
}

#[test]
fn uk_core_pack_names_its_package_profiles_and_rules() {
    let uk = Pack::builtin("uk-core").unwrap().unwrap();
    assert_eq!(uk.packages, ["fhir.r4.ukcore.stu2#2.0.2"]);
    assert_eq!(
        uk.profile_for("Patient"),
        Some("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient")
    );
    assert_eq!(
        uk.profile_for("Observation"),
        Some("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation")
    );
    assert_eq!(uk.profile_for("Basic"), None);
    assert_eq!(uk.profiles.len(), 27);
    let ids: Vec<&str> = uk.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "nhs-number-check-digit",
            "nhs-number-system",
            "ods-organization-code-format",
            "ods-site-code-format",
            "ods-organization-code-system",
            "ods-site-code-system",
        ]
    );
}

#[test]
fn gp_connect_pack_is_stu3_with_the_national_rules() {
    let gpc = Pack::builtin("gp-connect").unwrap().unwrap();
    assert_eq!(gpc.fhir_release, Some(conform_packages::FhirRelease::Stu3));
    assert_eq!(gpc.packages, ["nhsconnect.stu3-fhir-assets#2024.10.24"]);
    assert_eq!(
        gpc.profile_for("Patient"),
        Some("https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1")
    );
    // A structured record and a search result are both Bundles.
    assert_eq!(gpc.profile_for("Bundle"), None);
    let uk = Pack::builtin("uk-core").unwrap().unwrap();
    assert_eq!(uk.fhir_release, Some(conform_packages::FhirRelease::R4));
    let ids = |p: &Pack| p.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&gpc), ids(&uk));
}

#[test]
fn a_pack_with_an_unknown_fhir_version_is_refused_where_it_says_so() {
    let text = "name = \"x\"\nfhir-version = \"2.0\"\n";
    let err = Pack::parse(text, "x.toml").unwrap_err().to_string();
    assert!(
        err.contains("x.toml") && err.contains("2:") && err.contains("unknown FHIR version"),
        "{err}"
    );
}

#[test]
fn a_minimal_pack_parses() {
    let pack = Pack::parse(MINIMAL, "mini.toml").unwrap();
    assert_eq!(pack.name, "mini");
    assert_eq!(pack.description, "");
    assert_eq!(pack.origin, "mini.toml");
    assert_eq!(pack.rules[0].check.kind(), "pattern");
    assert_eq!(pack.rules[0].check.system(), "https://example.org/mrn");
    assert_eq!(pack.rule_set().rules().len(), 1);
}

#[test]
fn unknown_top_level_fields_are_rejected_with_their_line() {
    let e = error_of("name = \"x\"\npackage = [\"a#1\"]\n");
    assert!(
        e.starts_with("invalid pack test.toml:2:1: unknown field `package`"),
        "{e}"
    );
}

#[test]
fn unknown_rule_fields_are_rejected_with_the_rule_line() {
    let text = MINIMAL.replace("regex = ", "regexp = ");
    let e = error_of(&text);
    assert!(e.starts_with("invalid pack test.toml:"), "{e}");
    assert!(e.contains("unknown field `regexp`"), "{e}");
    assert!(
        e.contains(":8:") || e.contains(":9:") || e.contains(":15:"),
        "{e}"
    );
}

#[test]
fn parameters_of_another_kind_are_rejected() {
    let text = MINIMAL.replace("regex = ", "algorithm = \"nhs-number-mod11\"\nregex = ");
    assert!(error_of(&text).contains("unknown field `algorithm`"));
}

#[test]
fn bad_values_are_named() {
    for (from, to, expected) in [
        (
            "kind = \"pattern\"",
            "kind = \"checksum\"",
            "unknown variant `checksum`",
        ),
        (
            "severity = \"warning\"",
            "severity = \"fatal\"",
            "unknown variant `fatal`",
        ),
        (
            "regex = \"[0-9]{6}\"",
            "regex = \"[0-9\"",
            "invalid regex '[0-9': unclosed character class",
        ),
        (
            "why = \"Our MRNs are six digits.\"",
            "why = \" \"",
            "rule 'mrn-format' needs a `why`",
        ),
        (
            "id = \"mrn-format\"",
            "id = \"mrn format\"",
            "must be a non-empty word",
        ),
        (
            "name = \"mini\"",
            "name = \"Mini Pack\"",
            "name 'Mini Pack' must be lower-case",
        ),
        (
            "hl7.fhir.r4.core#4.0.1",
            "not a package spec",
            "is not id#version",
        ),
        ("Patient = ", "patient = ", "must map a resource type name"),
    ] {
        assert!(MINIMAL.contains(from), "{from}");
        let e = error_of(&MINIMAL.replace(from, to));
        assert!(e.contains(expected), "{to}: {e}");
    }
}

#[test]
fn a_missing_kind_or_parameter_is_named() {
    assert!(error_of(&MINIMAL.replace("kind = \"pattern\"\n", "")).contains("kind"));
    assert!(error_of(&MINIMAL.replace("regex = \"[0-9]{6}\"\n", "")).contains("regex"));
}

#[test]
fn duplicate_rule_ids_are_rejected_at_the_second() {
    let second = MINIMAL.split("[[rule]]").nth(1).unwrap();
    let text = format!("{MINIMAL}\n[[rule]]{second}");
    let e = error_of(&text);
    assert!(e.contains("rule id 'mrn-format' is used twice"), "{e}");
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.iter().rposition(|l| *l == "[[rule]]").unwrap() + 1;
    assert!(e.contains(&format!("test.toml:{line}:")), "{e}");
}

#[test]
fn toml_syntax_errors_have_positions() {
    let e = error_of("name = \"x\"\n[profiles\n");
    assert!(e.starts_with("invalid pack test.toml:2:"), "{e}");
}

#[test]
fn find_prefers_a_file_on_disk_then_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let own = MINIMAL.replace("name = \"mini\"", "name = \"uk-core\"");
    std::fs::write(dir.path().join("uk-core.toml"), own).unwrap();
    let dirs = vec![PathBuf::from("/no/such/folder"), dir.path().to_path_buf()];
    let found = Pack::find("uk-core", &dirs).unwrap();
    assert_eq!(found.rules[0].id, "mrn-format", "the file on disk wins");
    assert!(found.origin.ends_with("uk-core.toml"));
    let builtin = Pack::find("base", &dirs).unwrap();
    assert_eq!(builtin.origin, "built-in base");
}

#[test]
fn find_loads_paths_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    let pack = Pack::find(path.to_str().unwrap(), &[]).unwrap();
    assert_eq!(pack.name, "mini");
    let missing = Pack::find("missing.toml", &[]).unwrap_err();
    assert!(matches!(missing, PackError::Read { .. }), "{missing}");
}

#[test]
fn unknown_and_malformed_names_are_clear() {
    let e = Pack::find("nope", &[PathBuf::from("profiles")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no pack 'nope' (looked for nope.toml in profiles; built in: base, uk-core, gp-connect)"
    );
    let e = Pack::find("..", &[]).unwrap_err().to_string();
    assert!(e.contains("a pack name is lower-case letters"), "{e}");
}
