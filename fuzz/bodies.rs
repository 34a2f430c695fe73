//! The body of every fuzz target, one function each, so that two drivers
//! share them: libFuzzer (`fuzz_targets/*.rs`, through `cargo fuzz`) and the
//! bounded mutation run under `cargo test` that CI can afford
//! (`cli/tests/fuzz_smoke.rs`). Each takes any bytes and must not panic,
//! hang or exhaust memory; an `assert!` here is a property of the target.

/// The JSON parser: any bytes parse or fail with an error inside the
/// input; a parsed document can be walked and its strings decoded.
pub fn json(data: &[u8]) {
    match conform_json::parse(data) {
        Ok(doc) => {
            let text = doc.source();
            let lines = conform_json::LineIndex::new(text);
            let _ = doc.to_json_string(doc.root());
            let mut todo = vec![doc.root()];
            while let Some(n) = todo.pop() {
                match doc.kind(n) {
                    conform_json::Kind::Object => {
                        for m in doc.members(n) {
                            let _ = doc.key(m);
                            todo.push(m.value);
                        }
                    }
                    conform_json::Kind::Array => todo.extend(doc.elements(n).iter().copied()),
                    conform_json::Kind::String => {
                        let _ = doc.str(n);
                    }
                    _ => {}
                }
                let _ = lines.line_col(text, doc.offset(n));
            }
        }
        Err(e) => assert!(e.offset <= data.len(), "error offset past the end: {e}"),
    }
}

#[path = "../crates/conform-xml/tests/model/mod.rs"]
#[allow(dead_code)]
mod model;

/// The FHIR XML reader (tree parser and conversion to JSON), with the
/// small Patient model of conform-xml's own tests: any bytes read or fail
/// with an error; what is read is JSON the JSON parser accepts, and writes
/// back to XML.
pub fn xml(data: &[u8]) {
    if let Ok(converted) = conform_xml::read(data, &model::Mini) {
        let doc = conform_json::parse(converted.json.as_bytes())
            .unwrap_or_else(|e| panic!("the XML reader wrote JSON that does not parse: {e}"));
        let _ = conform_xml::to_xml(&doc, &model::Mini);
    }
}

/// The FHIRPath parser: any text parses or fails with an error.
pub fn fhirpath_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conform_fhirpath::parse(text);
    }
}

const PATIENT: &str = r##"{"resourceType":"Patient","id":"p1","active":true,
 "name":[{"use":"official","family":"Chalmers","given":["Peter","James"]},{"given":["Jim"]}],
 "_birthDate":{"extension":[{"url":"http://x","valueString":"y"}]},"birthDate":"1974-12-25",
 "deceasedBoolean":false,"multipleBirthInteger":2,
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Peter</div>"},
 "contained":[{"resourceType":"Organization","id":"o1","name":"Org"}],
 "managingOrganization":{"reference":"#o1"},
 "extension":[{"url":"http://e","valueQuantity":{"value":1.50,"unit":"mg","code":"mg"}}]}"##;

/// The FHIRPath evaluator, expression × resource: the first line is the
/// expression, the rest the resource (JSON); when the rest is not JSON, a
/// fixed Patient is used, so every parseable expression is evaluated.
pub fn fhirpath_eval(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expression, resource) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(expr) = conform_fhirpath::parse(expression) else {
        return;
    };
    let doc = conform_json::parse(resource.as_bytes())
        .or_else(|_| conform_json::parse(PATIENT.as_bytes()))
        .expect("the fixed Patient parses");
    let ctx = conform_fhirpath::Context::new();
    let _ = conform_fhirpath::evaluate(&expr, &doc, doc.root(), &ctx);
}

/// The package tarball reader: any bytes are read as a `.tgz` the way
/// loading reads one (entries checked, limits kept) or refused with an
/// error.
pub fn package(data: &[u8]) {
    let _ = conform_packages::read_tarball_bytes(data, "fuzz.tgz");
}

fn scenario_file() -> &'static std::path::PathBuf {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        conform_testdata::process_scratch_dir(&std::env::temp_dir().join("conform-fuzz-scenarios"))
            .join("scenario.yaml")
    })
}

/// The scenario loader: any text, saved as a scenario file in a folder of
/// its own, compiles (YAML, includes, matrix, schema) or fails with an
/// error naming the file.
pub fn scenario(data: &[u8]) {
    let path = scenario_file();
    std::fs::write(path, data).expect("write the scenario file");
    if let Err(e) = conform_scenario::compile::compile_file(path) {
        assert!(!e.file.is_empty(), "an error that names no file: {e}");
    }
}

/// The regions file loader (YAML, `${NAME}` expansion, checks).
pub fn regions(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conform_regions::RegionsFile::parse_with_env(text, |name| {
            (name.len() < 8).then(|| format!("value-of-{name}"))
        });
    }
}

/// The narrative XHTML checker (txt-1, txt-2): any text passes or fails
/// with a reason.
pub fn xhtml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conform_validate::check_narrative(text);
    }
}

/// The readers of files conform takes back: baselines (JSON), waivers
/// (TOML), and the conform.validate documents, SARIF logs and JUnit
/// reports `conform report merge` joins. Each input goes to all of them.
pub fn reports(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = conform_baseline::Baseline::parse(text);
    let _ = conform_baseline::Waivers::parse(text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(doc) =
            serde_json::from_value::<conform_outcome::validate::Document>(value.clone())
        {
            let _ = conform_outcome::validate::merge(vec![doc.clone(), doc]);
        }
        let _ = conform_writers::merge::merge_sarif(&[value.clone(), value]);
    }
    let _ = conform_writers::merge::merge_junit(&[text.to_string(), text.to_string()]);
}

fn r4_validator() -> &'static conform_validate::Validator {
    static V: std::sync::OnceLock<conform_validate::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let cache = std::env::temp_dir().join("conform-fuzz-cache");
        let mut cfg = conform_packages::SourceConfig::with_cache(&cache);
        cfg.source_dirs = vec![conform_testdata::packages_dir()];
        cfg.offline = true;
        let spec = conform_packages::PackageSpec::parse("hl7.fhir.r4.core#4.0.1").expect("spec");
        let resolved = conform_packages::resolve(&cfg, &[spec]).expect("R4 core resolves");
        conform_validate::Validator::load(&resolved, Some(&cache.join("plans")))
            .expect("R4 core compiles")
            .0
    })
}

/// The whole validator on one payload (JSON, or XML when it starts with
/// `<`), with the base R4 definitions from the shared test data
/// ($CONFORM_TESTDATA): parsing, the walk, profiles, invariants (FHIRPath
/// on the definitions' own expressions), narrative and the limits on
/// findings. Any bytes give a result, never a panic.
pub fn validate(data: &[u8]) {
    let result = r4_validator().validate_payload(data);
    assert!(
        result.findings.len() <= conform_validate::Options::default().max_findings + 1,
        "more findings than the limit"
    );
}
