//! All 703 official R4 examples validate with no errors, except the
//! committed list of genuinely invalid ones, which must fail for the listed
//! reasons.

mod common;

#[test]
fn official_examples_validate_clean_except_known_invalid() {
    let known = common::known::KnownInvalid::parse(include_str!("data/r4-examples-invalid.toml"));
    let dir = conform_testdata::path("r4/examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        703,
        "the shared test data holds 703 R4 examples"
    );

    let results: Vec<(String, conform_validate::ResourceResult)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                common::validate_file(p),
            )
        })
        .collect();
    known.assert_corpus("R4 examples", &results);
}
