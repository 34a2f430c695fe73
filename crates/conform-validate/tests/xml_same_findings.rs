//! The XML and JSON forms of the same resource give the same findings
//! (rule ids, severities, FHIRPath locations): every official R4 example is
//! written as XML and validated both ways.

mod common;

use conform_validate::ResourceResult;

/// (rule, severity, FHIRPath) of each finding, sorted: what must agree.
fn findings(r: &ResourceResult) -> Vec<(String, String, String)> {
    let mut f: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                format!("{:?}", f.severity),
                f.expression().to_string(),
            )
        })
        .collect();
    f.sort();
    f
}

#[test]
fn xml_and_json_forms_of_the_r4_examples_give_the_same_findings() {
    let v = common::r4();
    let files = common::example_files("r4/examples", 703);
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut with_findings = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let doc = conform_json::parse(&bytes).unwrap();
        let xml = conform_xml::to_xml(&doc, &v.xml_model()).expect("written as XML");
        let from_json = findings(&v.validate_bytes(&bytes, 0));
        let from_xml = findings(&v.validate_xml(xml.as_bytes()));
        compared += 1;
        with_findings += usize::from(!from_json.is_empty());
        if from_json != from_xml {
            let only_json: Vec<_> = from_json.iter().filter(|f| !from_xml.contains(f)).collect();
            let only_xml: Vec<_> = from_xml.iter().filter(|f| !from_json.contains(f)).collect();
            problems.push(format!(
                "{name}: only from JSON {only_json:?}; only from XML {only_xml:?}"
            ));
        }
    }
    println!(
        "{compared} R4 examples ({with_findings} with findings): {} give the same findings from XML and JSON",
        compared - problems.len()
    );
    assert!(
        problems.is_empty(),
        "{} differ:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Findings from XML carry the XML line and column of the element they
/// are about.
#[test]
fn findings_from_xml_are_placed_at_xml_lines_and_columns() {
    let xml = br#"<Patient xmlns="http://hl7.org/fhir">
  <id value="p1"/>
  <gender value="F"/>
  <birthDate value="1970-13-01"/>
</Patient>"#;
    let r = common::r4().validate_xml(xml);
    let at = |rule: &str| {
        r.findings.iter().find(|f| f.rule == rule).map(|f| {
            (
                f.location.line,
                f.location.column,
                f.expression().to_string(),
            )
        })
    };
    assert_eq!(
        at("binding-required"),
        Some((Some(3), Some(11), "Patient.gender".to_string())),
        "{:#?}",
        r.findings
    );
    assert_eq!(
        at("primitive-format").map(|p| p.0),
        Some(Some(4)),
        "{:#?}",
        r.findings
    );
}

/// A `value` attribute that is not a boolean or number where one is due is
/// reported in XML's terms, quoting the attribute, at the attribute.
#[test]
fn a_bad_boolean_attribute_is_reported_in_xml_terms() {
    let xml = br#"<Patient xmlns="http://hl7.org/fhir">
  <active value="yes"/>
</Patient>"#;
    let r = common::r4().validate_xml(xml);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "json-type")
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(
        f.message,
        "Patient.active is a boolean, so its value attribute must be true or false, not 'yes'"
    );
    assert_eq!(f.location.line, Some(2));
    // The same value in JSON speaks of JSON.
    let json = common::r4().validate_bytes(br#"{"resourceType":"Patient","active":"yes"}"#, 0);
    let f = json
        .findings
        .iter()
        .find(|f| f.rule == "json-type")
        .unwrap();
    assert!(f.message.contains("a JSON boolean"), "{}", f.message);
}
