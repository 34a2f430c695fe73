//! All 703 official R4 examples validate with no errors, except the
//! committed list of genuinely invalid ones, which must fail for the listed
//! reasons.

mod common;

#[test]
fn official_examples_validate_clean_except_known_invalid() {
    let known = common::known::KnownInvalid::parse(include_str!("data/r4-examples-invalid.toml"));
    let files = common::example_files("r4/examples", 703);

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
