//! The reader never panics, whatever the bytes: arbitrary input and
//! mutations of a valid resource either read (into JSON the JSON parser
//! accepts) or give one error whose offset is inside the input.

mod model;

use model::Mini;
use proptest::prelude::*;

const VALID: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir">
  <id value="p1"/>
  <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>x &amp; y</p></div></text>
  <contained><Patient><id value="c"/></Patient></contained>
  <extension url="http://x/e"><valueDecimal value="1.50"/></extension>
  <active value="true"/>
  <name id="n"><family value="F"/><given value="A"/><given id="g"><extension url="u"><valueString value="s"/></extension></given></name>
  <gender value="male"/>
  <multipleBirthInteger value="2"/>
</Patient>"#;

fn check(bytes: &[u8]) {
    match conform_xml::read(bytes, &Mini) {
        Ok(c) => {
            conform_json::parse(c.json.as_bytes())
                .unwrap_or_else(|e| panic!("invalid JSON {e}: {}", c.json));
            for i in &c.issues {
                assert!(i.offset <= bytes.len());
                let (line, col) = c.positions.xml_line_col(i.offset);
                assert!(line >= 1 && col >= 1);
            }
        }
        Err(e) => {
            assert!(e.offset <= bytes.len(), "{e} beyond {} bytes", bytes.len());
            assert!(!e.message.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check(&bytes);
    }

    #[test]
    fn mutated_valid_xml(
        edits in proptest::collection::vec((0usize..VALID.len(), any::<u8>(), 0u8..3), 1..6)
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let at = at.min(bytes.len());
            match op {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => { bytes.remove(at); }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => {}
            }
        }
        check(&bytes);
    }

    #[test]
    fn truncated_valid_xml(at in 0usize..VALID.len()) {
        check(&VALID.as_bytes()[..at]);
    }
}

#[test]
fn the_valid_resource_reads_without_issues() {
    let c = conform_xml::read(VALID.as_bytes(), &Mini).unwrap();
    assert!(c.issues.is_empty(), "{:?}", c.issues);
}
