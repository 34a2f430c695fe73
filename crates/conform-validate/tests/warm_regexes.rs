//! The invariants' regular expressions are compiled with the plans and
//! kept in the plan cache (as DFAs of their ASCII forms, and for
//! `replaceMatches()` the DFAs that find where matches start, and for a
//! pattern whose classes reach past ASCII its Unicode form's DFA): a
//! validator read from the cache searches any text without building one.
//! In a test binary of its own, so the process-wide counts are this test's
//! alone.

mod common;

use conform_packages::PackageSpec;

#[test]
fn a_validator_from_the_plan_cache_builds_no_regex_whatever_the_text() {
    let (_, resolved) = common::load(&[PackageSpec::parse("hl7.fhir.r4.core#4.0.1").unwrap()]);
    // the validator that compiled and stored the plans validates nothing,
    // so it builds nothing that the one read back could share
    let (cached, _cache) = common::from_plan_cache(&resolved);
    let (built_before, _) = conform_fhirpath::regexes_built();

    // names and paths that `matches()` invariants test: `sdf-0`'s name,
    // `eld-19`/`eld-20`'s paths, `eld-16`'s slice name, one of each wrong;
    // `sdf-8a` replaces in the first path with `replaceMatches()`
    let profile = |name: &str, path: &str| {
        format!(
            r#"{{"resourceType":"StructureDefinition","url":"http://example.org/sd","name":"{name}","status":"draft","kind":"resource","abstract":false,"type":"Patient","baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":"constraint","differential":{{"element":[{{"id":"Patient","path":"Patient"}},{{"id":"{path}","path":"{path}","sliceName":"a/b"}}]}}}}"#
        )
    };
    let rules = |json: String| -> Vec<String> {
        let r = cached.validate_bytes(json.as_bytes(), 0);
        r.findings.iter().map(|f| f.rule.to_string()).collect()
    };
    let good = rules(profile("Good", "Patient.name"));
    let bad = rules(profile("bad name", "Patient..name"));
    for key in ["sdf-0", "eld-19", "eld-20"] {
        assert!(
            !good.iter().any(|r| r.contains(key)),
            "{key} on good: {good:?}"
        );
        assert!(bad.iter().any(|r| r.contains(key)), "{key} on bad: {bad:?}");
    }
    assert!(!good.iter().any(|r| r.contains("sdf-8a")), "{good:?}");
    // `sdf-0`'s pattern names only ASCII letters: its stored form answers
    // a name with others too (`Ä` is no `[A-Z]`)
    let accented = rules(profile("Ärzte", "Patient.name"));
    assert!(accented.iter().any(|r| r.contains("sdf-0")), "{accented:?}");
    // `eld-19`'s `[^\s...]` takes `ä` and refuses a no-break space, as
    // Unicode's `\s` holds it; `eld-20` names only ASCII letters
    let accented = rules(profile("Good", "Patient.näme"));
    assert!(
        !accented.iter().any(|r| r.contains("eld-19")),
        "{accented:?}"
    );
    assert!(
        accented.iter().any(|r| r.contains("eld-20")),
        "{accented:?}"
    );
    let spaced = rules(profile("Good", "Patient.na\u{a0}me"));
    assert!(spaced.iter().any(|r| r.contains("eld-19")), "{spaced:?}");

    let (built, read) = conform_fhirpath::regexes_built();
    // `sdf-0`, `eld-19` and `eld-20` in ASCII, `eld-19` in Unicode
    assert!(read >= 4, "the patterns were read from the cache ({read})");
    assert_eq!(built, built_before, "regexes built while validating");
}
