//! The whole validator on one payload (JSON, or XML when it starts with
//! `<`), with the base R4 definitions from the shared test data
//! ($CONFORM_TESTDATA): parsing, the walk, profiles, invariants (FHIRPath
//! on the definitions' own expressions), narrative and the limits on
//! findings. Any bytes give a result, never a panic.
#![no_main]
use conform_validate::Validator;
use libfuzzer_sys::fuzz_target;

fn validator() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let cache = std::env::temp_dir().join("conform-fuzz-cache");
        let mut cfg = conform_packages::SourceConfig::with_cache(&cache);
        cfg.source_dirs = vec![conform_testdata::packages_dir()];
        cfg.offline = true;
        let spec = conform_packages::PackageSpec::parse("hl7.fhir.r4.core#4.0.1").expect("spec");
        let resolved = conform_packages::resolve(&cfg, &[spec]).expect("R4 core resolves");
        Validator::load(&resolved, Some(&cache.join("plans")))
            .expect("R4 core compiles")
            .0
    })
}

fuzz_target!(|data: &[u8]| {
    let result = validator().validate_payload(data);
    assert!(
        result.findings.len() <= conform_validate::Options::default().max_findings + 1,
        "more findings than the limit"
    );
});
