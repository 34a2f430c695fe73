//! The type-specific rules (`rule_families::types`, and the URI, date and
//! code forms of `primitive-format` that follow the reference validator):
//! each with a resource holding one defect, asserting the rule, severity
//! and location, and a valid counterpart that stays clean.

mod common;

use conform_validate::finding::Severity;
use conform_validate::ResourceResult;
use serde_json::{json, Value};

fn validate(resource: &Value) -> ResourceResult {
    common::r4().validate_bytes(resource.to_string().as_bytes(), 0)
}

/// `(severity, expression)` of each finding of `rule`.
fn hits(r: &ResourceResult, rule: &str) -> Vec<(Severity, String)> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.severity, f.expression().to_string()))
        .collect()
}

/// The resource has exactly one finding of `rule`, at `at`, with `severity`.
#[track_caller]
fn assert_one(resource: Value, rule: &str, severity: Severity, at: &str) {
    let r = validate(&resource);
    assert_eq!(
        hits(&r, rule),
        vec![(severity, at.to_string())],
        "{rule} on {resource}: {:#?}",
        r.findings
    );
}

/// No error or warning at all: the valid counterpart stays clean.
#[track_caller]
fn assert_clean(resource: Value) {
    let r = validate(&resource);
    let noisy: Vec<_> = r
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.severity,
                Severity::Fatal | Severity::Error | Severity::Warning
            )
        })
        .map(|f| {
            (
                f.rule.clone(),
                f.expression().to_string(),
                f.message.clone(),
            )
        })
        .collect();
    assert!(noisy.is_empty(), "{resource}: {noisy:#?}");
}

fn patient(extra: Value) -> Value {
    let mut p = json!({"resourceType": "Patient", "id": "p"});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

fn observation_quantity(q: Value) -> Value {
    json!({"resourceType": "Observation", "id": "o", "status": "final",
        "code": {"text": "a measurement"}, "valueQuantity": q})
}

const W: Severity = Severity::Warning;
const E: Severity = Severity::Error;
const I: Severity = Severity::Information;

// ---- text of primitives -------------------------------------------------

#[test]
fn string_with_surrounding_whitespace_is_a_warning() {
    assert_one(
        patient(json!({"name": [{"family": " Smith "}]})),
        "string-whitespace",
        W,
        "Patient.name[0].family",
    );
    assert_clean(patient(json!({"name": [{"family": "Smith"}]})));
}

#[test]
fn a_value_of_only_whitespace_is_a_warning_not_an_error() {
    let p = patient(json!({"name": [{"text": "   "}]}));
    assert_one(p.clone(), "string-whitespace", W, "Patient.name[0].text");
    assert!(common::error_rules(&validate(&p)).is_empty());
}

#[test]
fn control_characters_are_a_warning() {
    assert_one(
        patient(json!({"name": [{"family": "Sm\u{7}ith"}]})),
        "unicode-control",
        W,
        "Patient.name[0].family",
    );
    assert_clean(patient(
        json!({"name": [{"text": "line one\nline two\ttabbed"}]}),
    ));
}

#[test]
fn an_unclosed_bidi_override_is_a_warning() {
    assert_one(
        patient(json!({"name": [{"family": "abc\u{202e}def"}]})),
        "unicode-bidi",
        W,
        "Patient.name[0].family",
    );
    // an isolate closed by PDI is balanced
    assert_clean(patient(
        json!({"name": [{"family": "abc\u{2067}def\u{2069}"}]}),
    ));
}

#[test]
fn base64_with_whitespace_is_a_warning() {
    let binary = |data: &str| json!({"resourceType": "Binary", "id": "b", "contentType": "text/plain", "data": data});
    assert_one(binary("aGVs\nbG8="), "base64-whitespace", W, "Binary.data");
    assert_clean(binary("aGVsbG8="));
}

#[test]
fn base64_is_judged_by_its_count_of_base64_characters() {
    let binary = |data: &str| json!({"resourceType": "Binary", "id": "b", "contentType": "text/plain", "data": data});
    assert_one(binary("aGVsbG8"), "primitive-format", E, "Binary.data");
}

#[test]
fn an_implausible_year_is_a_warning() {
    assert_one(
        patient(json!({"birthDate": "1750-01-01"})),
        "date-reasonable",
        W,
        "Patient.birthDate",
    );
    assert_clean(patient(json!({"birthDate": "1980-01-01"})));
}

#[test]
fn a_decimal_with_more_than_18_digits_is_a_warning() {
    let obs = |value: &str| {
        let text = format!(
            r#"{{"resourceType": "Observation", "id": "o", "status": "final", "code": {{"text": "x"}}, "valueQuantity": {{"value": {value}}}}}"#
        );
        common::r4().validate_bytes(text.as_bytes(), 0)
    };
    let r = obs("0.1234567890123456789");
    assert_eq!(
        hits(&r, "decimal-range"),
        vec![(W, "Observation.value.ofType(Quantity).value".to_string())]
    );
    for fine in ["0.12345678901234567", "1.5e10", "123456789012345678"] {
        assert!(hits(&obs(fine), "decimal-range").is_empty(), "{fine}");
    }
}

#[test]
fn the_url_of_a_canonical_resource_must_be_absolute() {
    let vs =
        |url: &str| json!({"resourceType": "ValueSet", "id": "v", "url": url, "status": "draft"});
    assert_one(vs("ValueSet/v"), "canonical-url", E, "ValueSet.url");
    assert_clean(vs("http://example.org/fhir/ValueSet/v"));
}

// ---- URI, date and code forms (primitive-format) ------------------------

#[test]
fn oid_and_uuid_schemes_must_be_urns() {
    for bad in ["oid:1.2.3.4.5", "uuid:c757873d-ec9a-4326-a141-556f43239520"] {
        assert_one(
            patient(json!({"implicitRules": bad})),
            "primitive-format",
            E,
            "Patient.implicitRules",
        );
    }
    assert_clean(patient(
        json!({"implicitRules": "urn:oid:2.16.840.1.113883"}),
    ));
}

#[test]
fn an_oid_with_a_short_root_is_not_valid() {
    assert_one(
        patient(json!({"implicitRules": "urn:oid:1.2.3"})),
        "primitive-format",
        E,
        "Patient.implicitRules",
    );
}

#[test]
fn a_canonical_must_be_absolute_or_a_fragment() {
    let q = |c: &str| json!({"resourceType": "Questionnaire", "id": "q", "status": "draft", "derivedFrom": [c]});
    assert_one(
        q("Questionnaire/base"),
        "primitive-format",
        E,
        "Questionnaire.derivedFrom[0]",
    );
    assert_clean(q("http://example.org/fhir/Questionnaire/base|1.0"));
}

#[test]
fn a_date_time_with_a_time_needs_a_time_zone() {
    let obs = |t: &str| {
        json!({"resourceType": "Observation", "id": "o", "status": "final",
        "code": {"text": "x"}, "effectiveDateTime": t})
    };
    let r = validate(&obs("2020-01-01T10:00:00"));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "primitive-format")
        .expect("a finding");
    assert_eq!(f.expression(), "Observation.effective.ofType(dateTime)");
    assert!(f.message.contains("time zone"), "{}", f.message);
    assert_clean(obs("2020-01-01T10:00:00+01:00"));
}

#[test]
fn a_code_may_hold_only_single_spaces() {
    assert_one(
        patient(json!({"meta": {"tag": [{"system": "http://example.org/tags", "code": "a\tb"}]}})),
        "primitive-format",
        E,
        "Patient.meta.tag[0].code",
    );
}

// ---- Attachment ---------------------------------------------------------

#[test]
fn an_attachment_with_nothing_to_say_is_a_warning() {
    assert_one(
        patient(json!({"photo": [{"title": "portrait"}]})),
        "attachment-content",
        W,
        "Patient.photo[0]",
    );
    assert_clean(patient(
        json!({"photo": [{"contentType": "image/png", "title": "portrait"}]}),
    ));
}

#[test]
fn attachment_data_must_decode_strictly() {
    assert_one(
        patient(json!({"photo": [{"contentType": "text/plain", "data": "aGVs\nbG8="}]})),
        "attachment-base64",
        E,
        "Patient.photo[0]",
    );
    assert_clean(patient(
        json!({"photo": [{"contentType": "text/plain", "data": "aGVsbG8="}]}),
    ));
}

#[test]
fn attachment_size_must_match_its_data() {
    let photo = |size: u32| {
        patient(json!({"photo": [{"contentType": "text/plain", "data": "aGVsbG8=", "size": size}]}))
    };
    assert_one(photo(4), "attachment-size", E, "Patient.photo[0]");
    assert_clean(photo(5));
}

#[test]
fn attachment_hash_must_be_the_sha1_of_its_data() {
    let photo = |hash: &str| {
        patient(json!({"photo": [{"contentType": "text/plain", "data": "aGVsbG8=", "hash": hash}]}))
    };
    assert_one(
        photo("2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
        "attachment-hash",
        E,
        "Patient.photo[0]",
    );
    assert_clean(photo("qvTGHdzF6KLavt4PO0gs2a6pQ00="));
}

// ---- Identifier ---------------------------------------------------------

#[test]
fn an_identifier_system_must_be_absolute() {
    let id = |system: &str| patient(json!({"identifier": [{"system": system, "value": "123"}]}));
    assert_one(
        id("hospital-mrn"),
        "identifier-system",
        E,
        "Patient.identifier[0]",
    );
    assert_clean(id("http://example.org/mrn"));
    assert_clean(id("ldap:dc=example,dc=org"));
}

#[test]
fn an_rfc3986_identifier_value_must_be_a_uri() {
    let id = |value: &str| {
        patient(json!({"identifier": [{"system": "urn:ietf:rfc:3986", "value": value}]}))
    };
    assert_one(id("123"), "identifier-value", E, "Patient.identifier[0]");
    assert_clean(id("urn:uuid:c757873d-ec9a-4326-a141-556f43239520"));
}

#[test]
fn the_rfc4122_url_is_not_an_identifier_system() {
    let id = |value: &str| {
        patient(
            json!({"identifier": [{"system": "https://tools.ietf.org/html/rfc4122", "value": value}]}),
        )
    };
    assert_one(
        id("c757873d-ec9a-4326-a141-556f43239520"),
        "identifier-value",
        W,
        "Patient.identifier[0]",
    );
    assert_one(
        id("not-a-uuid"),
        "identifier-value",
        E,
        "Patient.identifier[0]",
    );
}

// ---- Coding and Quantity ------------------------------------------------

#[test]
fn a_coding_system_must_be_a_uri() {
    let tag = |system: &str| patient(json!({"meta": {"tag": [{"system": system, "code": "x"}]}}));
    assert_one(tag("local-tags"), "coding-system", E, "Patient.meta.tag[0]");
    assert_one(
        tag("http://snomed.info/sct/900000000000207008"),
        "coding-system",
        E,
        "Patient.meta.tag[0]",
    );
    for page in [
        "http://build.fhir.org/codesystem-example.html",
        "http://hl7.org/fhir/codesystem-administrative-gender.html",
    ] {
        assert_one(tag(page), "coding-system", E, "Patient.meta.tag[0]");
    }
    assert_clean(tag("http://example.org/tags"));
}

#[test]
fn a_code_without_a_system_is_a_warning() {
    assert_one(
        patient(json!({"meta": {"tag": [{"code": "x"}]}})),
        "coding-no-system",
        W,
        "Patient.meta.tag[0]",
    );
}

#[test]
fn a_ucum_unit_code_must_be_valid_ucum() {
    let q = |code: &str| {
        observation_quantity(
            json!({"value": 1, "unit": code, "system": "http://unitsofmeasure.org", "code": code}),
        )
    };
    assert_one(
        q("flurble"),
        "quantity-ucum",
        E,
        "Observation.value.ofType(Quantity)",
    );
    for good in ["mg/dL", "mm[Hg]", "10*3/uL", "%", "/min", "kg/m2", "1"] {
        assert_clean(q(good));
    }
    // not UCUM: not judged
    assert_clean(observation_quantity(
        json!({"value": 1, "system": "http://example.org/units", "code": "flurble"}),
    ));
}

#[test]
fn a_ucum_annotation_is_a_best_practice_note() {
    assert_one(
        observation_quantity(
            json!({"value": 1, "system": "http://unitsofmeasure.org", "code": "{beats}/min"}),
        ),
        "quantity-ucum-annotation",
        I,
        "Observation.value.ofType(Quantity)",
    );
}

#[test]
fn a_supplement_is_not_a_codings_system() {
    let supplement = serde_json::json!({"resourceType": "CodeSystem",
        "url": "http://example.org/fhir/CodeSystem/extra-displays", "status": "active",
        "content": "supplement", "supplements": "http://loinc.org"});
    let v = common::r4().clone().with_resources(vec![supplement]);
    let observation = |system: &str| {
        serde_json::json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": system, "code": "8310-5"}]}})
    };
    let found = |system: &str| -> Vec<String> {
        v.validate_bytes(observation(system).to_string().as_bytes(), 0)
            .findings
            .iter()
            .filter(|f| f.rule == "coding-system" && f.severity.is_error())
            .map(|f| f.expression().to_string())
            .collect()
    };
    assert!(found("http://loinc.org").is_empty());
    assert_eq!(
        found("http://example.org/fhir/CodeSystem/extra-displays"),
        ["Observation.code.coding[0].system"]
    );
}

/// A Coding's code is judged against its system when the context holds
/// that CodeSystem with its codes: an error for one that complete content
/// lacks, a warning for one a fragment does not list, nothing where the
/// content lists none (`not-present`) or the Coding names another version.
#[test]
fn a_codings_code_is_one_its_held_system_lists() {
    let system = |name: &str, content: &str, extra: Value| {
        let mut cs = json!({"resourceType": "CodeSystem", "status": "active",
            "url": format!("http://example.org/fhir/CodeSystem/{name}"), "version": "2",
            "content": content,
            "concept": [{"code": "A", "concept": [{"code": "A1"}]}, {"code": "B"}]});
        cs.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        cs
    };
    let v = common::r4().clone().with_resources(vec![
        system("sensitive", "complete", json!({"caseSensitive": true})),
        system("insensitive", "complete", json!({})),
        system("fragment", "fragment", json!({"caseSensitive": true})),
        system("absent", "not-present", json!({})),
    ]);
    let coding = |name: &str, code: &str| json!({"system": format!("http://example.org/fhir/CodeSystem/{name}"), "code": code});
    let mut other_version = coding("sensitive", "Z");
    other_version["version"] = json!("1");
    let mut same_version = coding("sensitive", "Z");
    same_version["version"] = json!("2");
    let codings = json!([
        coding("sensitive", "A1"),
        coding("sensitive", "a1"),
        coding("insensitive", "a1"),
        coding("insensitive", "C"),
        coding("fragment", "B"),
        coding("fragment", "C"),
        coding("absent", "C"),
        other_version,
        same_version,
    ]);
    let observation = json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": codings}});
    let r = v.validate_bytes(observation.to_string().as_bytes(), 0);
    let at = |i: usize| format!("Observation.code.coding[{i}].code");
    assert_eq!(
        hits(&r, "code-invalid"),
        [
            (Severity::Error, at(1)),
            (Severity::Error, at(3)),
            (Severity::Warning, at(5)),
            (Severity::Error, at(8)),
        ]
    );
}

/// One defect, one finding: where a required binding already says a code
/// is not in its value set, the code its held CodeSystem lacks is not
/// reported again.
#[test]
fn a_code_a_binding_rejects_is_not_also_an_unknown_code() {
    let system = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    let clinical = json!({"resourceType": "CodeSystem", "url": system, "status": "active",
        "content": "complete", "caseSensitive": true,
        "concept": [{"code": "active"}, {"code": "inactive"}, {"code": "resolved"}]});
    let v = common::r4().clone().with_resources(vec![clinical]);
    let allergy = json!({"resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"system": system, "code": "gone"}]},
        "patient": {"reference": "Patient/1"},
        "code": {"coding": [{"system": system, "code": "gone"}]}});
    let r = v.validate_bytes(allergy.to_string().as_bytes(), 0);
    assert_eq!(
        hits(&r, "binding-required"),
        [(
            Severity::Error,
            "AllergyIntolerance.clinicalStatus.coding[0].code".to_string()
        )]
    );
    // `code` has an example binding: its unknown code is still reported
    assert_eq!(
        hits(&r, "code-invalid"),
        [(
            Severity::Error,
            "AllergyIntolerance.code.coding[0].code".to_string()
        )]
    );
}

/// A terminology server that answers nothing and records the
/// `(system, code)` of each question it is asked.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, String)>>);

impl conform_outcome::terminology::CodeChecker for Recorder {
    fn check(
        &self,
        questions: &[conform_outcome::terminology::CodeQuestion],
    ) -> Vec<conform_outcome::terminology::CodeAnswer> {
        let mut asked = self.0.lock().unwrap();
        asked.extend(questions.iter().map(|q| (q.system.clone(), q.code.clone())));
        questions
            .iter()
            .map(|_| conform_outcome::terminology::CodeAnswer::not_checked("recorded"))
            .collect()
    }
}

/// The terminology server is asked about a Coding's system only where the
/// loaded packages do not hold its codes whole: a complete CodeSystem is
/// judged here, a fragment and an unknown system go to the server.
#[test]
fn a_server_is_asked_only_about_systems_not_held_whole() {
    use std::sync::Arc;
    let system = |name: &str, content: &str| {
        json!({"resourceType": "CodeSystem", "status": "active", "content": content,
            "url": format!("http://example.org/fhir/CodeSystem/{name}"),
            "concept": [{"code": "A"}]})
    };
    let recorder = Arc::new(Recorder::default());
    let v = common::r4()
        .clone()
        .with_resources(vec![
            system("whole", "complete"),
            system("part", "fragment"),
        ])
        .with_code_checker(Some(recorder.clone()));
    let coding = |name: &str| json!({"system": format!("http://example.org/fhir/CodeSystem/{name}"), "code": "A"});
    let observation = json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [coding("whole"), coding("part"), coding("elsewhere")]}});
    v.validate_bytes(observation.to_string().as_bytes(), 0);
    let mut asked: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|q| q.0.clone())
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "http://example.org/fhir/CodeSystem/elsewhere",
            "http://example.org/fhir/CodeSystem/part"
        ]
    );
}

/// A SNOMED CT code made of digits must have a concept identifier's form
/// (length, no leading zero, Verhoeff check digit, a concept's partition):
/// a malformed one is an unknown code without asking a server; a
/// well-formed one, or an expression, is left to the server.
#[test]
fn a_snomed_code_needs_a_concept_identifiers_form() {
    use std::sync::Arc;
    let sct = |code: &str| json!({"system": "http://snomed.info/sct", "code": code});
    let condition = json!({"resourceType": "Condition", "subject": {"reference": "Patient/1"},
        "code": {"coding": [sct("73211009"), sct("73211008"), sct("754786014"),
            sct("73211009 |Diabetes mellitus|")]}});
    let at = |i: usize| format!("Condition.code.coding[{i}].code");
    let r = validate(&condition);
    assert_eq!(hits(&r, "code-invalid"), [(E, at(1)), (E, at(2))]);
    let messages: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule == "code-invalid")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "The code '73211008' is not a SNOMED CT concept identifier: its last digit is not the Verhoeff check digit of the others",
            "The code '754786014' is not a SNOMED CT concept identifier: its partition identifier 01 makes it the identifier of a description, not of a concept",
        ]
    );
    let recorder = Arc::new(Recorder::default());
    common::r4()
        .clone()
        .with_code_checker(Some(recorder.clone()))
        .validate_bytes(condition.to_string().as_bytes(), 0);
    let asked: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|q| q.1.clone())
        .collect();
    assert_eq!(asked, ["73211009", "73211009 |Diabetes mellitus|"]);
}

/// A Coding's display must be one its held CodeSystem gives the code: the
/// concept's display or a designation, ignoring case; otherwise an error
/// (a warning with display-issues-are-warnings), as the reference reports.
#[test]
fn a_codings_display_must_be_one_of_its_held_code_systems() {
    let system = "http://example.org/fhir/CodeSystem/channel";
    let channel = json!({"resourceType": "CodeSystem", "url": system, "version": "1",
        "status": "active", "content": "complete",
        "concept": [{"code": "in-person", "display": "In-person",
            "designation": [{"language": "cy", "value": "Wyneb yn wyneb"}]},
            {"code": "video"}]});
    let v = common::r4().clone().with_resources(vec![channel]);
    let display =
        |v: &conform_validate::Validator, code: &str, display: &str, version: Option<&str>| {
            let mut coding = json!({"system": system, "code": code, "display": display});
            if let Some(version) = version {
                coding["version"] = json!(version);
            }
            let obs = json!({"resourceType": "Observation", "status": "final",
            "code": {"coding": [coding]}});
            let r = v.validate_bytes(obs.to_string().as_bytes(), 0);
            hits(&r, "code-display")
        };
    for fine in ["In-person", "in-PERSON", "Wyneb yn wyneb"] {
        assert_eq!(display(&v, "in-person", fine, None), [], "{fine}");
    }
    let wrong = [(
        Severity::Error,
        "Observation.code.coding[0].display".to_string(),
    )];
    assert_eq!(display(&v, "in-person", "In person", None), wrong);
    assert_eq!(display(&v, "in-person", "In-person ", None), wrong);
    // a concept without displays, and another version than the one held,
    // say nothing of it
    assert_eq!(display(&v, "video", "Video call", None), []);
    assert_eq!(display(&v, "in-person", "In person", Some("2")), []);
    let lenient = v.with_options(conform_validate::Options {
        display_issues_are_warnings: true,
        ..conform_validate::Options::default()
    });
    assert_eq!(
        display(&lenient, "in-person", "In person", None),
        [(
            Severity::Warning,
            "Observation.code.coding[0].display".to_string()
        )]
    );
}
