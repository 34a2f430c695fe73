//! A FHIR body (a response, a fixture) in either format: JSON for FHIRPath
//! and JSON checks, XML for XPath, converted through conform-xml with the
//! loaded definitions' model when it comes in the other one. And
//! TestScript's `path`: XPath 1.0 (sxd-xpath, `fhir:` bound to the FHIR
//! namespace) over the XML form, or JSONPath (RFC 9535, serde_json_path,
//! a path starting with `$`) over the JSON form.

use conform_xml::Model;
use std::borrow::Cow;

/// Why an XML body could not be read without definitions.
const NO_MODEL: &str =
    "reading FHIR XML needs the FHIR definitions (they are not loaded: drop --no-validate)";

/// The local name of an XML document's root element, if it is XML.
pub fn xml_root(bytes: &[u8]) -> Option<String> {
    if !conform_xml::looks_like_xml(bytes) {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    // Declarations, processing instructions, comments and a DOCTYPE come first.
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.split_once("?>")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = r.split_once('>')?.1.trim_start();
        } else {
            break;
        }
    }
    let name: String = rest
        .strip_prefix('<')?
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    Some(name.rsplit(':').next().unwrap_or(&name).to_string())
}

/// The body as FHIR JSON (XML converted).
pub fn json_form<'a>(body: &'a [u8], model: Option<&dyn Model>) -> Result<Cow<'a, [u8]>, String> {
    if !conform_xml::looks_like_xml(body) {
        return Ok(Cow::Borrowed(body));
    }
    let model = model.ok_or(NO_MODEL)?;
    let converted =
        conform_xml::read(body, model).map_err(|e| format!("the XML body does not read: {e}"))?;
    Ok(Cow::Owned(converted.json.into_bytes()))
}

/// The body as FHIR XML (JSON converted).
pub fn xml_form<'a>(body: &'a [u8], model: Option<&dyn Model>) -> Result<Cow<'a, [u8]>, String> {
    if conform_xml::looks_like_xml(body) {
        return Ok(Cow::Borrowed(body));
    }
    let model = model.ok_or(NO_MODEL)?;
    let doc = conform_json::parse(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    conform_xml::to_xml(&doc, model)
        .map(|x| Cow::Owned(x.into_bytes()))
        .map_err(|e| format!("the body does not convert to XML: {e}"))
}

/// The body as a JSON value (XML converted).
pub fn json_value(body: &[u8], model: Option<&dyn Model>) -> Result<serde_json::Value, String> {
    let json = json_form(body, model)?;
    serde_json::from_slice(&json).map_err(|e| format!("the body is not JSON: {e}"))
}

/// The values a TestScript `path` selects: each node's string value
/// (XPath), each match (JSONPath: strings as they are, other values as
/// JSON text); an XPath that gives a boolean, number or string gives that.
pub fn select(body: &[u8], path: &str, model: Option<&dyn Model>) -> Result<Vec<String>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("there is no body".into());
    }
    if path.trim_start().starts_with('$') {
        let query = serde_json_path::JsonPath::parse(path)
            .map_err(|e| format!("JSONPath '{path}' does not parse: {e}"))?;
        let value = json_value(body, model)?;
        return Ok(query
            .query(&value)
            .all()
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect());
    }
    let xml = xml_form(body, model)?;
    let text = std::str::from_utf8(&xml).map_err(|_| "the XML body is not UTF-8".to_string())?;
    xpath(text, path)
}

fn xpath(xml: &str, path: &str) -> Result<Vec<String>, String> {
    use sxd_xpath::Value;
    let package =
        sxd_document::parser::parse(xml).map_err(|e| format!("the XML body does not read: {e}"))?;
    let doc = package.as_document();
    let compiled = sxd_xpath::Factory::new()
        .build(path)
        .map_err(|e| format!("XPath '{path}' does not parse: {e}"))?
        .ok_or_else(|| format!("XPath '{path}' is empty"))?;
    let mut context = sxd_xpath::Context::new();
    context.set_namespace("fhir", conform_xml::FHIR_NS);
    context.set_namespace("f", conform_xml::FHIR_NS);
    context.set_namespace("xhtml", conform_xml::XHTML_NS);
    let value = compiled
        .evaluate(&context, doc.root())
        .map_err(|e| format!("XPath '{path}' failed: {e}"))?;
    Ok(match value {
        Value::Nodeset(nodes) => nodes
            .document_order()
            .iter()
            .map(|n| n.string_value())
            .collect(),
        Value::Boolean(b) => vec![b.to_string()],
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => vec![format!("{}", n as i64)],
        Value::Number(n) => vec![n.to_string()],
        Value::String(s) => vec![s],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENT_XML: &str = r#"<?xml version="1.0"?>
<Patient xmlns="http://hl7.org/fhir"><id value="example"/>
<name><family value="Chalmers"/><given value="Peter"/><given value="James"/></name></Patient>"#;

    #[test]
    fn xpath_over_fhir_xml() {
        let got = select(
            PATIENT_XML.as_bytes(),
            "fhir:Patient/fhir:name/fhir:given/@value",
            None,
        );
        assert_eq!(got.unwrap(), vec!["Peter", "James"]);
        let got = select(
            PATIENT_XML.as_bytes(),
            "count(fhir:Patient/fhir:name)",
            None,
        );
        assert_eq!(got.unwrap(), vec!["1"]);
        let bad = select(PATIENT_XML.as_bytes(), "fhir:Patient/[", None).unwrap_err();
        assert!(bad.contains("does not parse"), "{bad}");
    }

    #[test]
    fn jsonpath_over_json() {
        let body =
            br#"{"resourceType":"Patient","id":"x","name":[{"family":"Chalmers"}],"active":true}"#;
        assert_eq!(
            select(body, "$.name[0].family", None).unwrap(),
            vec!["Chalmers"]
        );
        assert_eq!(select(body, "$.active", None).unwrap(), vec!["true"]);
        assert!(select(body, "$.nothing", None).unwrap().is_empty());
    }

    #[test]
    fn xml_needs_a_model_to_become_json() {
        let e = json_form(PATIENT_XML.as_bytes(), None).unwrap_err();
        assert!(e.contains("definitions"), "{e}");
        assert_eq!(xml_root(PATIENT_XML.as_bytes()).as_deref(), Some("Patient"));
        assert_eq!(xml_root(b"{}"), None);
    }
}
