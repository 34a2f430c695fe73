//! The FHIRPath evaluator, expression × resource: the first line is the
//! expression, the rest the resource (JSON); when the rest is not JSON, a
//! fixed Patient is used, so every parseable expression is evaluated.
#![no_main]
use libfuzzer_sys::fuzz_target;

const PATIENT: &str = r##"{"resourceType":"Patient","id":"p1","active":true,
 "name":[{"use":"official","family":"Chalmers","given":["Peter","James"]},{"given":["Jim"]}],
 "_birthDate":{"extension":[{"url":"http://x","valueString":"y"}]},"birthDate":"1974-12-25",
 "deceasedBoolean":false,"multipleBirthInteger":2,
 "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Peter</div>"},
 "contained":[{"resourceType":"Organization","id":"o1","name":"Org"}],
 "managingOrganization":{"reference":"#o1"},
 "extension":[{"url":"http://e","valueQuantity":{"value":1.50,"unit":"mg","code":"mg"}}]}"##;

fuzz_target!(|data: &[u8]| {
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
});
