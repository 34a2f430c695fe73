//! The FHIR XML reader (tree parser and conversion to JSON), with the
//! small Patient model of conform-xml's own tests: any bytes read or fail
//! with an error; what is read is JSON the JSON parser accepts, and writes
//! back to XML.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/conform-xml/tests/model/mod.rs"]
#[allow(dead_code)]
mod model;

fuzz_target!(|data: &[u8]| {
    if let Ok(converted) = conform_xml::read(data, &model::Mini) {
        let doc = conform_json::parse(converted.json.as_bytes())
            .unwrap_or_else(|e| panic!("the XML reader wrote JSON that does not parse: {e}"));
        let _ = conform_xml::to_xml(&doc, &model::Mini);
    }
});
