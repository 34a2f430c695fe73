//! The XML↔JSON mapping, FHIR's XML rules and the refusals, on small
//! hand-written resources.

mod model;

use conform_xml::{read, rules, to_xml, Converted};
use model::Mini;
use serde_json::json;

fn json(xml: &str) -> serde_json::Value {
    let c = read(xml.as_bytes(), &Mini).expect("reads");
    serde_json::from_str(&c.json).expect("valid JSON")
}

fn converted(xml: &str) -> Converted {
    read(xml.as_bytes(), &Mini).expect("reads")
}

fn rules_of(xml: &str) -> Vec<&'static str> {
    converted(xml).issues.iter().map(|i| i.rule).collect()
}

const NS: &str = r#"xmlns="http://hl7.org/fhir""#;

#[test]
fn values_arrays_twins_and_types_follow_the_json_mapping() {
    let xml = format!(
        r#"<Patient {NS}>
  <id value="p1"/>
  <extension url="http://x/e"><valueDecimal value="1.50"/></extension>
  <active value="true"/>
  <name id="n1">
    <given value="A"/>
    <given id="g2"><extension url="http://x/f"><valueString value="s"/></extension></given>
  </name>
  <gender value="a &amp; &#x62;"/>
  <multipleBirthInteger value="2"/>
</Patient>"#
    );
    let c = converted(&xml);
    assert!(c.issues.is_empty(), "{:?}", c.issues);
    // Decimal text is kept exactly: compare the JSON text, not a float.
    assert!(c.json.contains(r#""valueDecimal":1.50"#), "{}", c.json);
    assert_eq!(
        json(&xml),
        json!({
            "resourceType": "Patient",
            "id": "p1",
            "extension": [{"url": "http://x/e", "valueDecimal": 1.50}],
            "active": true,
            "name": [{
                "id": "n1",
                "given": ["A", null],
                "_given": [null, {"id": "g2", "extension": [{"url": "http://x/f", "valueString": "s"}]}]
            }],
            "gender": "a & b",
            "multipleBirthInteger": 2
        })
    );
}

#[test]
fn contained_resources_and_the_narrative_div() {
    let xml = format!(
        r#"<Patient {NS}><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi &amp; <b>bye</b></p></div></text><contained><Patient><id value="c"/></Patient></contained></Patient>"#
    );
    assert_eq!(
        json(&xml),
        json!({
            "resourceType": "Patient",
            "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Hi &amp; <b>bye</b></p></div>"},
            "contained": [{"resourceType": "Patient", "id": "c"}]
        })
    );
}

#[test]
fn json_written_as_xml_reads_back_the_same() {
    let original = r#"{"resourceType":"Patient","gender":"x","name":[{"given":["A",null],"_given":[null,{"id":"g","extension":[{"url":"u","valueString":"s"}]}],"family":"F"}],"id":"p","extension":[{"url":"u","valueDecimal":1.50}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x &lt; y</div>"},"contained":[{"resourceType":"Patient","active":false}]}"#;
    let doc = conform_json::parse(original.as_bytes()).unwrap();
    let xml = to_xml(&doc, &Mini).unwrap();
    // Definition order, whatever the JSON order was.
    let order: Vec<usize> = [
        "<id ",
        "<text>",
        "<contained>",
        "<extension ",
        "<name>",
        "<gender ",
    ]
    .iter()
    .map(|t| xml.find(t).unwrap_or_else(|| panic!("{t} in {xml}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{xml}");
    assert!(xml.contains(r#"<valueDecimal value="1.50"/>"#), "{xml}");
    let back = converted(&xml);
    assert!(back.issues.is_empty(), "{:?}\n{xml}", back.issues);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&back.json).unwrap(),
        serde_json::from_str::<serde_json::Value>(original).unwrap()
    );
}

#[test]
fn xml_rules_are_reported_with_their_rule_ids() {
    let wrong_ns = r#"<Patient xmlns="http://example.org"><id value="p"/></Patient>"#;
    assert_eq!(
        rules_of(wrong_ns),
        [rules::XML_NAMESPACE],
        "reported once, where it goes wrong"
    );
    assert_eq!(
        rules_of("<Patient><id value=\"p\"/></Patient>"),
        [rules::XML_NAMESPACE]
    );
    let text_value = format!(r#"<Patient {NS}><gender>male</gender></Patient>"#);
    assert_eq!(rules_of(&text_value), [rules::XML_VALUE_ATTRIBUTE]);
    let value_on_complex =
        format!(r#"<Patient {NS}><name value="x"><family value="f"/></name></Patient>"#);
    assert_eq!(rules_of(&value_on_complex), [rules::XML_VALUE_ATTRIBUTE]);
    let unknown_attr = format!(r#"<Patient {NS}><gender value="m" lang="en"/></Patient>"#);
    assert_eq!(rules_of(&unknown_attr), [rules::XML_UNKNOWN_ATTRIBUTE]);
    let empty = format!(r#"<Patient {NS}><name/><gender value="m"/></Patient>"#);
    assert_eq!(rules_of(&empty), [rules::XML_EMPTY_ELEMENT]);
    assert_eq!(
        json(&empty),
        json!({"resourceType": "Patient", "gender": "m"})
    );
    let only_id = format!(r#"<Patient {NS}><gender id="g"/></Patient>"#);
    assert_eq!(rules_of(&only_id), [rules::XML_EMPTY_ELEMENT]);
    assert_eq!(
        json(&only_id),
        json!({"resourceType": "Patient", "_gender": {"id": "g"}})
    );
    let order = format!(r#"<Patient {NS}><gender value="m"/><active value="true"/></Patient>"#);
    assert_eq!(rules_of(&order), [rules::XML_ELEMENT_ORDER]);
    assert_eq!(converted(&order).issues[0].path, "Patient.active");
    let split = format!(
        r#"<Patient {NS}><name><given value="a"/><family value="f"/><given value="b"/></name></Patient>"#
    );
    assert_eq!(rules_of(&split), [rules::XML_ELEMENT_ORDER]);
    // Split repeats still make one array.
    assert_eq!(json(&split)["name"][0]["given"], json!(["a", "b"]));
    let div =
        format!(r#"<Patient {NS}><text><status value="g"/><div><p>x</p></div></text></Patient>"#);
    assert_eq!(rules_of(&div), [rules::XML_XHTML_NAMESPACE]);
    let schema_location = r#"<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir x.xsd"><id value="p"/></Patient>"#;
    assert!(rules_of(schema_location).is_empty());
    // An element inside a primitive is one defect, reported where it is:
    // it is not read on as a property of the primitive (nor its text).
    let inside =
        format!(r#"<Patient {NS}><gender value="m"><script>x</script></gender></Patient>"#);
    assert_eq!(rules_of(&inside), [rules::XML_VALUE_ATTRIBUTE]);
    assert_eq!(
        json(&inside),
        json!({"resourceType": "Patient", "gender": "m"})
    );
    // and a primitive left with neither a value nor extensions is empty
    let nothing_left = format!(r#"<Patient {NS}><gender><value value="m"/></gender></Patient>"#);
    assert_eq!(
        rules_of(&nothing_left),
        [rules::XML_VALUE_ATTRIBUTE, rules::XML_EMPTY_ELEMENT]
    );
    assert_eq!(json(&nothing_left), json!({"resourceType": "Patient"}));
    // beside an extension, which stays
    let beside = format!(
        r#"<Patient {NS}><gender value="m"><extension url="http://x/e"><valueCode value="c"/></extension><script>x</script></gender></Patient>"#
    );
    assert_eq!(rules_of(&beside), [rules::XML_VALUE_ATTRIBUTE]);
    assert_eq!(
        json(&beside),
        json!({"resourceType": "Patient", "gender": "m",
            "_gender": {"extension": [{"url": "http://x/e", "valueCode": "c"}]}})
    );
}

#[test]
fn issues_and_json_values_carry_xml_lines_and_columns() {
    let xml = format!("<Patient {NS}>\n  <name/>\n  <gender value=\"m\"/>\n</Patient>");
    let c = converted(&xml);
    assert_eq!(c.positions.xml_line_col(c.issues[0].offset), (2, 3));
    assert_eq!(c.issues[0].path, "Patient.name");
    let json_offset = c.json.find("\"m\"").unwrap();
    assert_eq!(c.positions.line_col(json_offset), (3, 11));
    // The value attribute, even when another attribute's value says "value=".
    let tricky = format!("<Patient {NS}>\n<extension url=\"http://x?value=1\"><valueString  value=\"s\"/></extension>\n</Patient>");
    let c = converted(&tricky);
    let json_offset = c.json.find("\"s\"").unwrap();
    assert_eq!(c.positions.line_col(json_offset), (2, 49));
}

#[test]
fn what_is_not_fhir_xml_is_one_error_with_a_position() {
    let err = |xml: &[u8]| read(xml, &Mini).expect_err("refused");
    let e = err(b"<Patient xmlns=\"http://hl7.org/fhir\">\n  <id value=\"p\">\n</Patient>");
    assert!(e.message.contains("well-formed"), "{e}");
    assert!(e.offset > 0);
    let doctype =
        err(b"<?xml version=\"1.0\"?>\n<!DOCTYPE Patient [<!ENTITY x \"boom\">]>\n<Patient/>");
    assert!(doctype.message.contains("DOCTYPE"), "{doctype}");
    assert_eq!(doctype.offset, 22);
    let entity = err(b"<Patient xmlns=\"http://hl7.org/fhir\"><gender value=\"&x;\"/></Patient>");
    assert!(entity.message.contains("entity"), "{entity}");
    let text_entity = err(b"<Patient xmlns=\"http://hl7.org/fhir\"><text><div xmlns=\"http://www.w3.org/1999/xhtml\">&reg;</div></text></Patient>");
    assert!(text_entity.message.contains("&reg;"), "{text_entity}");
    let latin1 = err(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Patient/>");
    assert!(latin1.message.contains("UTF-8"), "{latin1}");
    let not_utf8 =
        err(b"<Patient xmlns=\"http://hl7.org/fhir\"><gender value=\"\xff\"/></Patient>");
    assert!(not_utf8.message.contains("UTF-8"), "{not_utf8}");
    assert_eq!(not_utf8.offset, 52);
    let two_roots = err(b"<Patient/><Patient/>");
    assert!(two_roots.message.contains("root"), "{two_roots}");
    let deep = format!("{}{}", "<a>".repeat(600), "</a>".repeat(600));
    let deep = err(deep.as_bytes());
    assert!(deep.message.contains("deeper"), "{deep}");
}

#[test]
fn xml_is_told_from_json_by_its_first_non_blank_byte() {
    assert!(conform_xml::looks_like_xml(b"  \n<Patient/>"));
    assert!(conform_xml::looks_like_xml(
        b"\xEF\xBB\xBF<?xml version=\"1.0\"?>"
    ));
    assert!(!conform_xml::looks_like_xml(
        b" {\"resourceType\":\"Patient\"}"
    ));
    assert!(!conform_xml::looks_like_xml(b""));
}
