//! Invariants are parsed and compiled with the plans and kept in the plan
//! cache: a validator read from the cache finds what one compiled afresh
//! finds, on every R4 example, and compiles no check while it validates.

mod common;

use conform_packages::PackageSpec;

#[test]
fn a_validator_from_the_plan_cache_compiles_no_check_and_finds_the_same() {
    let (fresh, resolved) = common::load(&[PackageSpec::parse("hl7.fhir.r4.core#4.0.1").unwrap()]);
    let (cached, _cache) = common::from_plan_cache(&resolved);

    let files = common::example_files("r4/examples", 703);
    let mut failed_invariants = 0;
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let (a, b) = (
            fresh.validate_bytes(&bytes, 0),
            cached.validate_bytes(&bytes, 0),
        );
        assert_eq!(
            format!("{:?}", a.findings),
            format!("{:?}", b.findings),
            "{}",
            path.display()
        );
        failed_invariants += b
            .findings
            .iter()
            .filter(|f| f.code == Some(conform_outcome::IssueCode::Invariant))
            .count();
    }
    // the examples do fail some invariants (the known invalid ones), so the
    // checks above compared answers, not only silence
    assert!(failed_invariants > 0, "no invariant failed on any example");
    assert_eq!(
        cached.checks_compiled_at_run_time(),
        0,
        "checks compiled during the run, from the cache"
    );
    assert_eq!(
        fresh.checks_compiled_at_run_time(),
        0,
        "checks compiled during the run, freshly compiled plans"
    );
}
