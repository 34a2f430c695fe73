//! The vital signs profile an Observation's code calls for.
//!
//! FHIR R4 (observation-vitalsigns.html) says an Observation that records
//! one of the vital signs SHALL conform to that sign's profile, whether or
//! not it claims the profile in `meta.profile`. The HL7 validator applies
//! it by default (its policy advisor's implied profiles, R4 and later):
//! an Observation whose `code` holds one of the sign's LOINC codes, or
//! failing any LOINC match, one of its SNOMED CT codes, is validated
//! against the profile too. The codes below are that sign's LOINC code in
//! the R4 table, the LOINC codes of the same measurement by method or site,
//! and the SNOMED CT concepts for it, as the reference lists them.

use conform_json::{Document, NodeId};

const LOINC: &str = "http://loinc.org";
const SNOMED_CT: &str = "http://snomed.info/sct";

/// One vital sign: its profile in the core package and the codes that
/// call for it.
struct VitalSign {
    /// The profile's id: `http://hl7.org/fhir/StructureDefinition/<id>`.
    profile: &'static str,
    name: &'static str,
    loinc: &'static [&'static str],
    snomed: &'static [&'static str],
}

/// In the order they are tried: a code that two signs list (SNOMED CT
/// 271306003) calls for the first.
const SIGNS: &[VitalSign] = &[
    VitalSign {
        profile: "vitalspanel",
        name: "Vital Signs Panel",
        loinc: &["85353-1"],
        snomed: &["46680005"],
    },
    VitalSign {
        profile: "resprate",
        name: "Respiratory Rate",
        loinc: &[
            "9279-1", "76170-0", "76172-6", "76171-8", "19840-8", "33438-3", "76270-8", "11291-2",
        ],
        snomed: &["86290005", "271625008", "271306003"],
    },
    VitalSign {
        profile: "heartrate",
        name: "Heart rate",
        loinc: &[
            "8867-4", "60978-4", "73795-7", "73799-9", "76476-1", "76477-9", "8889-8", "8890-6",
            "8891-4", "8892-2", "8893-0", "40443-4", "55425-3", "68999-2", "11328-2", "69000-8",
            "8886-4",
        ],
        snomed: &[
            "271306003",
            "249043002",
            "444981005",
            "399017001",
            "251670001",
            "429525003",
            "429614003",
        ],
    },
    VitalSign {
        profile: "oxygensat",
        name: "Oxygen saturation",
        loinc: &[
            "2708-6", "19224-5", "20564-1", "2709-4", "2710-2", "2713-6", "51733-4", "59408-5",
            "59417-6", "89276-0", "97549-0",
        ],
        snomed: &["442476006", "431314004"],
    },
    VitalSign {
        profile: "bodytemp",
        name: "Body temperature",
        loinc: &[
            "8310-5", "60834-9", "60835-6", "60836-4", "60838-0", "60955-2", "61009-7", "75539-7",
            "75987-8", "76010-8", "76011-6", "76278-1", "8309-7", "8328-7", "8329-5", "8330-3",
            "8331-1", "8332-9", "8333-7", "8334-5", "91371-5", "98657-0", "98663-8",
        ],
        snomed: &[
            "386725007",
            "276885007",
            "300076005",
            "1222808002",
            "364246006",
            "307047009",
            "708499008",
            "431598003",
            "698831002",
            "698832009",
            "415882003",
            "415974002",
            "415929009",
            "415945006",
        ],
    },
    VitalSign {
        profile: "bodyheight",
        name: "Body height",
        loinc: &["8302-2", "3137-7", "3138-5", "8306-3", "8308-9"],
        snomed: &[
            "1153637007",
            "1162419008",
            "50373000",
            "1162418000",
            "1230278008",
            "1162392001",
            "1162417005",
        ],
    },
    VitalSign {
        profile: "headcircum",
        name: "Head circumference",
        loinc: &["9843-4", "8287-5"],
        snomed: &["363812007", "169876006", "1269262007", "363811000"],
    },
    VitalSign {
        profile: "bodyweight",
        name: "Body weight",
        loinc: &[
            "29463-7", "3141-9", "3142-7", "75292-3", "79348-9", "8350-1", "8351-9",
        ],
        snomed: &[
            "735395000",
            "425024002",
            "424927000",
            "784399000",
            "1162416001",
            "1162415002",
        ],
    },
    VitalSign {
        profile: "bmi",
        name: "Body mass index",
        loinc: &["39156-5", "89270-3"],
        snomed: &["60621009"],
    },
    VitalSign {
        profile: "bp",
        name: "Blood pressure systolic and diastolic",
        loinc: &[
            "85354-9", "35094-2", "8459-0", "76534-7", "55284-4", "8480-6",
        ],
        snomed: &[
            "251076008",
            "163033001",
            "163035008",
            "386534000",
            "386536003",
            "271649006",
            "271650006",
            "407556006",
            "407554009",
            "716579001",
            "399304008",
        ],
    },
];

/// The vital signs profile an Observation's code calls for, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Implied {
    pub url: String,
    pub name: &'static str,
    /// "LOINC" or "SNOMED CT".
    pub system: &'static str,
    pub code: String,
}

/// The profile `observation`'s `code.coding` calls for, if any: LOINC
/// codings are tried against every sign before SNOMED CT ones.
pub(crate) fn implied_profile(doc: &Document<'_>, observation: NodeId) -> Option<Implied> {
    let codings = doc
        .get(observation, "code")
        .and_then(|c| doc.get(c, "coding"))?;
    let codings = doc.elements(codings);
    // The codes of one system, in the codings' order (borrowed: most
    // Observations are no vital sign, and every one comes here).
    let codes_of = |system: &str| {
        codings
            .iter()
            .filter(|&&c| doc.get_str(c, "system").as_deref() == Some(system))
            .filter_map(|&c| doc.get_str(c, "code"))
            .collect::<Vec<_>>()
    };
    let find = |system: &str, listed: fn(&VitalSign) -> &'static [&'static str]| {
        let codes = codes_of(system);
        SIGNS.iter().find_map(|sign| {
            codes
                .iter()
                .find(|c| listed(sign).contains(&c.as_ref()))
                .map(|code| (sign, code.to_string()))
        })
    };
    let (sign, system, code) = find(LOINC, |s| s.loinc)
        .map(|(sign, code)| (sign, "LOINC", code))
        .or_else(|| find(SNOMED_CT, |s| s.snomed).map(|(sign, code)| (sign, "SNOMED CT", code)))?;
    Some(Implied {
        url: format!("http://hl7.org/fhir/StructureDefinition/{}", sign.profile),
        name: sign.name,
        system,
        code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn implied(json: &str) -> Option<(String, &'static str, String)> {
        let doc = conform_json::parse(json.as_bytes()).expect("JSON");
        implied_profile(&doc, doc.root()).map(|i| (i.url, i.system, i.code))
    }

    fn observation(codings: &str) -> String {
        format!(r#"{{"resourceType":"Observation","code":{{"coding":[{codings}]}}}}"#)
    }

    #[test]
    fn a_loinc_code_calls_for_its_sign() {
        assert_eq!(
            implied(&observation(
                r#"{"system":"http://loinc.org","code":"8310-5"}"#
            )),
            Some((
                "http://hl7.org/fhir/StructureDefinition/bodytemp".into(),
                "LOINC",
                "8310-5".into()
            ))
        );
        // a method-specific code of the same measurement
        assert_eq!(
            implied(&observation(
                r#"{"system":"http://loinc.org","code":"8480-6"}"#
            ))
            .map(|i| i.0),
            Some("http://hl7.org/fhir/StructureDefinition/bp".into())
        );
    }

    #[test]
    fn loinc_is_tried_before_snomed_ct_whatever_the_order_of_the_codings() {
        let both = observation(
            r#"{"system":"http://snomed.info/sct","code":"276885007"},{"system":"http://loinc.org","code":"29463-7"}"#,
        );
        assert_eq!(
            implied(&both),
            Some((
                "http://hl7.org/fhir/StructureDefinition/bodyweight".into(),
                "LOINC",
                "29463-7".into()
            ))
        );
    }

    #[test]
    fn a_snomed_code_listed_for_two_signs_calls_for_the_first() {
        assert_eq!(
            implied(&observation(
                r#"{"system":"http://snomed.info/sct","code":"271306003"}"#
            ))
            .map(|i| i.0),
            Some("http://hl7.org/fhir/StructureDefinition/resprate".into())
        );
    }

    #[test]
    fn other_codes_and_systems_call_for_none() {
        assert_eq!(
            implied(&observation(
                r#"{"system":"http://loinc.org","code":"1234-5"}"#
            )),
            None
        );
        // the code of another system
        assert_eq!(
            implied(&observation(
                r#"{"system":"http://example.org","code":"8310-5"}"#
            )),
            None
        );
        assert_eq!(implied(&observation(r#"{"code":"8310-5"}"#)), None);
        assert_eq!(
            implied(r#"{"resourceType":"Observation","code":{"text":"temp"}}"#),
            None
        );
    }
}
