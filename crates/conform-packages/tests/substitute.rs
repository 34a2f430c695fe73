//! Version substitution and missing dependencies, on the shared tarballs:
//! IPS 2.0.0 asks for hl7.fhir.uv.extensions.r4#5.2.0, hl7.terminology.r4#6.5.0
//! and hl7.fhir.uv.ipa#1.1.0; the folder holds the extensions pack as
//! 5.3.0-ballot-tc1, terminology as 7.0.1 and no ipa at all.

mod common;

use common::{id, source_config, CORE};
use conform_packages::{
    missing_dependencies, notes, resolve, substitutions_used, PackageError, PackageSpec,
    ResolvedPackage, SourceConfig, Substituted, Substitution,
};

const IPS: &str = "hl7.fhir.uv.ips#2.0.0";
const EXT_ASKED: &str = "hl7.fhir.uv.extensions.r4#5.2.0";
const EXT_HERE: &str = "hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1";
const THO_ASKED: &str = "hl7.terminology.r4#6.5.0";
const THO_HERE: &str = "hl7.terminology.r4#7.0.1";
const IPA: &str = "hl7.fhir.uv.ipa#1.1.0";

fn rule(text: &str) -> Substitution {
    text.parse().expect("valid substitution")
}

/// The shared folder with the two substitutions IPS needs.
fn ips_config(cache: &std::path::Path, allow_missing_deps: bool) -> SourceConfig {
    SourceConfig {
        substitutions: vec![
            rule("hl7.fhir.uv.extensions.r4#5.2.0=5.3.0-ballot-tc1"),
            // Without a version: any version asked for (IPS asks 6.5.0).
            rule("hl7.terminology.r4=7.0.1"),
        ],
        allow_missing_deps,
        ..source_config(cache)
    }
}

fn ips() -> Vec<PackageSpec> {
    vec![PackageSpec::parse(IPS).unwrap()]
}

fn find<'a>(pkgs: &'a [ResolvedPackage], text: &str) -> &'a ResolvedPackage {
    pkgs.iter()
        .find(|p| p.id == id(text))
        .unwrap_or_else(|| panic!("{text} not resolved"))
}

#[test]
fn ips_resolves_offline_with_substitutions_and_without_ipa() {
    let cache = tempfile::tempdir().unwrap();
    let pkgs = resolve(&ips_config(cache.path(), true), &ips()).unwrap();
    let ids: Vec<String> = pkgs.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids.last().map(String::as_str), Some(IPS), "{ids:?}");
    for wanted in [CORE, EXT_HERE, THO_HERE] {
        assert!(ids.iter().any(|i| i == wanted), "{wanted} in {ids:?}");
    }
    assert_eq!(ids.len(), 4, "{ids:?}");

    // IPS's dependencies are what was loaded; ipa is recorded as missing.
    let ips = find(&pkgs, IPS);
    assert_eq!(
        ips.dependencies,
        [id(EXT_HERE), id(CORE), id(THO_HERE)]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(ips.missing_dependencies, [id(IPA)]);
    assert!(ips.substituted_for.is_empty());

    // The extensions pack stands in for 5.2.0, asked for by IPS and by
    // terminology 7.0.1 (which asks for the same version).
    let ext = find(&pkgs, EXT_HERE);
    assert!(ext.substituted_for.contains(&Substituted {
        requested: id(EXT_ASKED),
        required_by: Some(id(IPS)),
    }));
    assert!(ext.substituted_for.contains(&Substituted {
        requested: id(EXT_ASKED),
        required_by: Some(id(THO_HERE)),
    }));
    let tho = find(&pkgs, THO_HERE);
    assert!(tho
        .substituted_for
        .iter()
        .all(|s| s.requested == id(THO_ASKED)));
    assert!(find(&pkgs, CORE).substituted_for.is_empty());
}

#[test]
fn every_substitution_and_missing_dependency_is_reported() {
    let cache = tempfile::tempdir().unwrap();
    let pkgs = resolve(&ips_config(cache.path(), true), &ips()).unwrap();
    let used = substitutions_used(&pkgs);
    assert_eq!(used.len(), 2, "{used:?}");
    let ext = used.iter().find(|s| s.used == EXT_HERE).unwrap();
    assert_eq!(ext.requested, EXT_ASKED);
    assert!(ext.required_by.contains(&IPS.to_string()), "{ext:?}");
    let tho = used.iter().find(|s| s.used == THO_HERE).unwrap();
    assert_eq!(tho.requested, THO_ASKED);
    let missing = missing_dependencies(&pkgs);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].package, IPA);
    assert_eq!(missing[0].required_by, [IPS]);

    let lines = notes(&pkgs);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("note: loaded hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1 in place of hl7.fhir.uv.extensions.r4#5.2.0 (required by ")), "{lines:?}");
    assert!(
        lines.contains(&format!(
            "warning: dependency {IPA} (required by {IPS}) was not found; loaded without it (missing dependencies allowed)"
        )),
        "{lines:?}"
    );
}

#[test]
fn a_missing_dependency_is_an_error_by_default_naming_who_needs_it() {
    let cache = tempfile::tempdir().unwrap();
    let err = resolve(&ips_config(cache.path(), false), &ips()).unwrap_err();
    let PackageError::NotFound {
        package,
        required_by,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(package, IPA);
    assert_eq!(required_by.as_deref(), Some(IPS));
    let text = err.to_string();
    assert!(text.contains("--allow-missing-deps"), "{text}");
    assert!(
        text.contains("--substitute hl7.fhir.uv.ipa#1.1.0=VERSION"),
        "{text}"
    );
}

#[test]
fn without_substitutions_the_first_missing_version_is_the_error() {
    let cache = tempfile::tempdir().unwrap();
    // Allowing missing dependencies does not substitute: 5.2.0 and 6.5.0
    // are left out just like ipa.
    let cfg = SourceConfig {
        allow_missing_deps: true,
        ..source_config(cache.path())
    };
    let pkgs = resolve(&cfg, &ips()).unwrap();
    let ips = find(&pkgs, IPS);
    assert_eq!(
        ips.missing_dependencies,
        [id(EXT_ASKED), id(IPA), id(THO_ASKED)]
    );
    assert!(substitutions_used(&pkgs).is_empty());
}

#[test]
fn a_substitute_that_is_nowhere_is_an_error_naming_the_rule() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = SourceConfig {
        substitutions: vec![rule("hl7.fhir.uv.extensions.r4#5.2.0=9.9.9")],
        // Even when missing dependencies are allowed: the rule is wrong.
        allow_missing_deps: true,
        ..source_config(cache.path())
    };
    let err = resolve(&cfg, &ips()).unwrap_err();
    assert!(
        matches!(&err, PackageError::Substitution { rule, .. } if rule == "hl7.fhir.uv.extensions.r4#5.2.0=9.9.9"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("substitution hl7.fhir.uv.extensions.r4#5.2.0=9.9.9: package hl7.fhir.uv.extensions.r4#9.9.9 not found"),
        "{text}"
    );
}

#[test]
fn a_package_asked_for_directly_is_substituted_and_reported_as_such() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = ips_config(cache.path(), false);
    let pkgs = resolve(&cfg, &[PackageSpec::parse(EXT_ASKED).unwrap()]).unwrap();
    let ext = find(&pkgs, EXT_HERE);
    assert!(ext.substituted_for.contains(&Substituted {
        requested: id(EXT_ASKED),
        required_by: None,
    }));
    let used = substitutions_used(&pkgs);
    let direct = used.iter().find(|s| s.requested == EXT_ASKED).unwrap();
    assert!(direct.required_by.iter().all(|b| b != IPS), "{direct:?}");
    // A missing root is an error whatever allow_missing_deps says.
    let cfg = SourceConfig {
        allow_missing_deps: true,
        ..source_config(cache.path())
    };
    assert!(matches!(
        resolve(&cfg, &[PackageSpec::parse(IPA).unwrap()]),
        Err(PackageError::NotFound {
            required_by: None,
            ..
        })
    ));
}

#[test]
fn rules_for_packages_not_asked_for_change_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let cfg = SourceConfig {
        substitutions: vec![rule("hl7.fhir.uv.extensions.r4=5.3.0-ballot-tc1")],
        ..source_config(cache.path())
    };
    let pkgs = resolve(&cfg, &[PackageSpec::parse(common::UKCORE).unwrap()]).unwrap();
    assert_eq!(pkgs.len(), 2);
    assert!(substitutions_used(&pkgs).is_empty());
    assert!(notes(&pkgs).is_empty());
}
