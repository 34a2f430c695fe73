//! The 146 UK Core STU2 examples validate against the UK Core profile for
//! their resource type with no errors, except a committed list of examples
//! with genuine defects, each with its reason.

use conform_packages::{DefinitionSet, PackageSpec, SourceConfig};
use conform_validate::{ProfileSelection, Validator};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Known {
    example: Vec<KnownExample>,
}

#[derive(Deserialize)]
struct KnownExample {
    file: String,
    rules: Vec<String>,
    reason: String,
}

#[test]
fn uk_core_examples_validate_against_their_profiles() {
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = SourceConfig::with_cache(cache.path());
    cfg.source_dirs = vec![conform_testdata::packages_dir()];
    cfg.offline = true;
    let spec = PackageSpec::parse("fhir.r4.ukcore.stu2#2.0.2").unwrap();
    let resolved = conform_packages::resolve(&cfg, &[spec]).expect("UK Core resolves");
    let (validator, _) = Validator::load(&resolved, None).expect("UK Core compiles");
    let defs = DefinitionSet::load(&resolved).unwrap();

    // The pack's choice: the UK Core profile of each resource type.
    let pack = conform_validate::pack::Pack::builtin("uk-core")
        .expect("uk-core pack is built in")
        .expect("uk-core pack parses");
    let per_type: BTreeMap<String, String> = pack.profiles.clone();
    assert!(per_type.contains_key("Patient"));
    let validator = validator
        .with_profiles(ProfileSelection {
            per_type,
            ..Default::default()
        })
        .with_rules(pack.rule_set());

    let known: Known = toml::from_str(include_str!("data/uk-core-examples-invalid.toml")).unwrap();
    let known: BTreeMap<String, KnownExample> = known
        .example
        .into_iter()
        .map(|k| (k.file.clone(), k))
        .collect();
    let ukcore = resolved
        .iter()
        .find(|p| p.id.name == "fhir.r4.ukcore.stu2")
        .unwrap();
    let examples = defs.examples(&ukcore.id);
    assert_eq!(examples.len(), 146, "UK Core STU2 2.0.2 ships 146 examples");

    let mut problems = Vec::new();
    let mut clean = 0;
    for ex in examples {
        let name = ex.filename().rsplit('/').next().unwrap().to_string();
        let result = validator.validate_bytes(ex.bytes(), 0);
        let mut rules: Vec<String> = result
            .findings
            .iter()
            .filter(|f| f.severity.is_error())
            .map(|f| f.rule.clone())
            .collect();
        rules.sort();
        rules.dedup();
        match known.get(&name) {
            None if rules.is_empty() => clean += 1,
            None => {
                let first: Vec<String> = result
                    .findings
                    .iter()
                    .filter(|f| f.severity.is_error())
                    .take(3)
                    .map(|f| format!("{} [{}] {}", f.expression, f.rule, f.message))
                    .collect();
                problems.push(format!(
                    "{name}: unexpected errors\n    {}",
                    first.join("\n    ")
                ));
            }
            Some(k) if rules.is_empty() => problems.push(format!(
                "{name}: listed ({}) but now clean: remove it",
                k.reason
            )),
            Some(k) if rules != k.rules => problems.push(format!(
                "{name}: listed with {:?} but fails with {rules:?}",
                k.rules
            )),
            Some(_) => {}
        }
    }
    println!(
        "{clean} of {} UK Core examples clean; {} known with defects",
        examples.len(),
        known.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
