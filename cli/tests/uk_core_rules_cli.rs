//! The uk-core profile pack and its national rules as a user meets them:
//! `validate --pack uk-core` on our own broken fixtures (one defect each)
//! and on UK Core's own examples, `rules list`, `profiles list`, the
//! config's default pack, and pack errors.

mod common;

use common::{conform_in, root, run, stderr, stdout};
use std::path::{Path, PathBuf};

/// The UK Core package's examples, as extracted in the shared test data.
fn ukcore_examples() -> PathBuf {
    conform_testdata::path("ukcore/package-fhir.r4.ukcore.stu2-2.0.2/package/examples")
}

/// (file name, rule, expression) of every finding in a JSON report.
fn findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for file in report["files"].as_array().expect("files") {
        let path = file["path"].as_str().unwrap_or_default();
        let name = Path::new(path).file_name().unwrap().to_string_lossy();
        for resource in file["resources"].as_array().expect("resources") {
            // Errors and warnings; information (best-practice invariants
            // such as dom-6, codes not checked offline) is not a defect.
            for issue in resource["issues"].as_array().expect("issues") {
                if issue["severity"] == "information" {
                    continue;
                }
                out.push((
                    name.to_string(),
                    issue["rule"].as_str().unwrap_or_default().to_string(),
                    issue["expression"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out
}

fn json_report(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)))
}

#[test]
fn each_broken_fixture_has_exactly_its_national_rule_finding() {
    let report = json_report(&[
        "validate",
        "--pack",
        "uk-core",
        "fixtures/invalid/uk-core",
        "--format",
        "json",
    ]);
    let expected = [
        (
            "location-ods-site-code-too-short.json",
            "ods-site-code-format",
            "Location.identifier[0].value",
        ),
        (
            "organization-ods-code-malformed.json",
            "ods-organization-code-format",
            "Organization.identifier[0].value",
        ),
        (
            "organization-ods-organisation-spelling.json",
            "ods-organization-code-system",
            "Organization.identifier[0].system",
        ),
        (
            "patient-nhs-number-bad-check-digit.json",
            "nhs-number-check-digit",
            "Patient.identifier[0].value",
        ),
        (
            "patient-nhs-number-dstu2-system.json",
            "nhs-number-system",
            "Patient.identifier[0].system",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(f, r, e)| (f.to_string(), r.to_string(), e.to_string()))
        .collect();
    assert_eq!(findings(&report), expected);
    assert_eq!(report["summary"]["errors"], 5);
}

#[test]
fn text_report_on_broken_fixtures() {
    let out = run(&["validate", "--pack", "uk-core", "fixtures/invalid/uk-core"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("text_uk_core_invalid", stdout(&out));
}

#[test]
fn valid_fixtures_pass_with_the_pack() {
    let out = run(&["validate", "--pack", "uk-core", "--info", "fixtures/valid"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with(": 0 errors, 0 warnings, 14 information (1 code not checked)\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn without_the_pack_the_rule_fixtures_are_valid_fhir() {
    let out = run(&["validate", "fixtures/invalid/uk-core"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn ukcore_baby_patient_example_fails_only_the_check_digit() {
    let baby = ukcore_examples().join("UKCore-Patient-BabyPatient-Example.json");
    let report = json_report(&[
        "validate",
        "--pack",
        "uk-core",
        baby.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        findings(&report),
        [(
            "UKCore-Patient-BabyPatient-Example.json".to_string(),
            "nhs-number-check-digit".to_string(),
            "Patient.identifier[0].value".to_string()
        )]
    );
    let message = report["files"][0]["resources"][0]["issues"][0]["message"]
        .as_str()
        .unwrap();
    // The number itself is patient data: all but its last digits masked.
    assert!(message.contains("'*******890'"), "{message}");
    assert!(!message.contains("9912003890"), "{message}");
    assert!(
        message.contains("its check digit is 0 but its first nine digits give 6"),
        "{message}"
    );
}

#[test]
fn no_other_ukcore_example_breaks_a_national_rule() {
    let pack = conform_validate::pack::Pack::builtin("uk-core")
        .unwrap()
        .unwrap();
    let national: Vec<&str> = pack.rules.iter().map(|r| r.id.as_str()).collect();
    let report = json_report(&[
        "validate",
        "--pack",
        "uk-core",
        ukcore_examples().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let hits: Vec<_> = findings(&report)
        .into_iter()
        .filter(|(_, rule, _)| national.contains(&rule.as_str()))
        .collect();
    assert_eq!(
        hits,
        [(
            "UKCore-Patient-BabyPatient-Example.json".to_string(),
            "nhs-number-check-digit".to_string(),
            "Patient.identifier[0].value".to_string()
        )]
    );
}

#[test]
fn rules_list_shows_id_severity_kind_and_why() {
    let out = run(&["rules", "list", "--pack", "uk-core"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!("rules_list_uk_core", stdout(&out));

    let out = run(&["rules", "list", "--pack", "uk-core", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "conform.rules/1");
    assert_eq!(v["pack"]["name"], "uk-core");
    let first = &v["rules"][0];
    assert_eq!(first["id"], "nhs-number-check-digit");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["kind"], "check-digit");
    assert_eq!(first["algorithm"], "nhs-number-mod11");
    assert_eq!(v["rules"][2]["regex"], "[A-Z0-9]{3,6}");
    assert!(v["rules"][1]["wrong"].is_array());
}

#[test]
fn profiles_list_shows_the_profile_per_resource_type() {
    let out = run(&["profiles", "list", "--pack", "uk-core"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!("profiles_list_uk_core", stdout(&out));

    let out = run(&["profiles", "list", "--pack", "uk-core", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["profiles"]["Patient"],
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"
    );
}

#[test]
fn builtin_packs_work_from_any_folder() {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = conform_in(elsewhere.path(), &["rules", "list", "--pack", "uk-core"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Pack uk-core (built-in uk-core)\n"),
        "{}",
        stdout(&out)
    );
    let out = conform_in(elsewhere.path(), &["profiles", "list", "--pack", "base"]);
    assert!(stdout(&out).contains("No profiles"), "{}", stdout(&out));
}

#[test]
fn without_a_pack_the_listings_say_so() {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = conform_in(elsewhere.path(), &["rules", "list"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("No profile pack selected"),
        "{}",
        stdout(&out)
    );
    let out = conform_in(elsewhere.path(), &["rules", "list", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["pack"].is_null());
    assert_eq!(v["rules"], serde_json::json!([]));
}

#[test]
fn the_config_names_a_default_pack_and_the_option_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conform.toml");
    std::fs::write(&config, "[validate]\npack = \"uk-core\"\n").unwrap();
    let fixture = root().join("fixtures/invalid/uk-core/patient-nhs-number-bad-check-digit.json");
    let fixture = fixture.to_str().unwrap();
    let out = conform_in(dir.path(), &["validate", fixture]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("[nhs-number-check-digit]"));

    let out = conform_in(dir.path(), &["validate", "--pack", "base", fixture]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_pack_file_named_in_the_config_is_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("packs")).unwrap();
    std::fs::write(
        dir.path().join("packs/ours.toml"),
        "name = \"ours\"\n\n[[rule]]\nid = \"mrn-format\"\nseverity = \"warning\"\n\
         kind = \"pattern\"\nsystem = \"https://fhir.nhs.uk/Id/nhs-number\"\n\
         regex = \"[0-9]{6}\"\nwhy = \"Ours are six digits.\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conform.toml"),
        "[validate]\npack = \"packs/ours.toml\"\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let config = dir.path().join("conform.toml");
    let out = conform_in(
        elsewhere.path(),
        &["rules", "list", "--config", config.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("mrn-format"), "{}", stdout(&out));
}

#[test]
fn pack_problems_exit_2_naming_file_line_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\npackage = [\"x#1\"]\n").unwrap();
    let out = run(&["rules", "list", "--pack", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "invalid pack {}:2:1: unknown field `package`",
            bad.display()
        )),
        "{err}"
    );

    let out = run(&["validate", "--pack", "no-such-pack", "fixtures/valid"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no pack 'no-such-pack'"),
        "{}",
        stderr(&out)
    );
}

/// A Coding's code must be one its system lists when a loaded package
/// holds that CodeSystem's complete content (here UK Core's, read from the
/// plans): `UKCore-AddressKeyType` is case sensitive and lists PAF and
/// UPRN.
#[test]
fn a_code_its_uk_core_code_system_lacks_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let system = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType";
    let observation = serde_json::json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": system, "code": "UPRN"}, {"system": system, "code": "NOPE"},
            {"system": system, "code": "uprn"}, {"system": system, "version": "0.1", "code": "OLD"}]}});
    std::fs::write(dir.path().join("observation.json"), observation.to_string()).unwrap();
    // the second run reads the plans the first one stored
    for _ in 0..2 {
        let out = conform_in(
            dir.path(),
            &[
                "validate",
                "--pack",
                "uk-core",
                "-f",
                "json",
                "observation.json",
            ],
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        let invalid: Vec<String> = findings(&report)
            .into_iter()
            .filter(|(_, rule, _)| rule == "code-invalid")
            .map(|(_, _, at)| at)
            .collect();
        assert_eq!(
            invalid,
            [
                "Observation.code.coding[1].code",
                "Observation.code.coding[2].code"
            ],
            "{}",
            stdout(&out)
        );
    }
}
