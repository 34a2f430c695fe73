use super::*;
use crate::scenario::{
    ExchangeRecord, Phase, ScenarioIdentity, ScenarioResult, StepResult, Summary, Tool,
};
use crate::{Requirement, Status};
use serde_json::json;

fn patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": "9990010005",
        "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Amelia SHAW, born 12 April 1968</div>"},
        "identifier": [
            {"system": NHS_NUMBER_SYSTEM, "value": "9990010005"},
            {"system": "https://hospital.example/mrn", "value": "MRN-774411"}
        ],
        "name": [{"use": "official", "family": "Shaw", "given": ["Amelia", "Jo"], "prefix": ["Mrs"]}],
        "gender": "female",
        "birthDate": "1968-04-12",
        "address": [{"line": ["1 Example Street"], "city": "Hull", "postalCode": "HU1 1AA", "country": "GB"}],
        "telecom": [{"system": "phone", "value": "01632 960001"}],
        "contact": [{"name": {"family": "Okafor", "given": ["Chidi"]}, "telecom": [{"system": "phone", "value": "01632 960999"}]}],
        "photo": [{"contentType": "image/png", "data": "iVBORw0KGgo="}],
        "generalPractitioner": [{"display": "Example Hull Surgery"}]
    })
}

const SECRETS: &[&str] = &[
    "9990010005",
    "999 001 0005",
    "Shaw",
    "SHAW",
    "Amelia",
    "1968-04-12",
    "1 Example Street",
    "HU1 1AA",
    "01632 960001",
    "MRN-774411",
    "Okafor",
    "Chidi",
    "01632 960999",
    "iVBORw0KGgo",
];

fn assert_clean(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s:?} left in {text}");
    }
}

#[test]
fn a_patient_body_is_rewritten_in_place_and_stays_json() {
    let data = PatientData::new();
    let body = serde_json::to_string_pretty(&patient()).unwrap();
    data.learn_text(&body);
    let out = data.redact_body(&body);
    assert_clean(&out);
    let v: Value = serde_json::from_str(&out).unwrap();
    let nhs = data.pseudonym(Kind::NhsNumber, "9990010005");
    assert!(nhs.starts_with("nhs-number:") && nhs.len() == "nhs-number:".len() + 10);
    assert_eq!(v["identifier"][0]["value"], nhs.as_str());
    // The id was the NHS number: replaced as text, the same pseudonym.
    assert_eq!(v["id"], nhs.as_str());
    assert_eq!(v["identifier"][0]["system"], NHS_NUMBER_SYSTEM);
    assert_eq!(v["name"][0]["family"], data.pseudonym(Kind::Name, "Shaw"));
    assert_eq!(v["name"][0]["prefix"][0], "Mrs");
    assert_eq!(v["gender"], "female");
    assert_eq!(
        v["birthDate"],
        data.pseudonym(Kind::BirthDate, "1968-04-12")
    );
    assert_eq!(v["address"][0]["country"], "GB");
    assert_eq!(v["text"]["div"], NARRATIVE);
    assert!(v.get("photo").is_none());
    assert_eq!(
        v["generalPractitioner"][0]["display"],
        "Example Hull Surgery"
    );
    // Pretty in, pretty out.
    assert!(out.contains('\n'));
}

#[test]
fn the_same_patient_reads_the_same_within_a_run_and_not_across_runs() {
    let (a, b) = (PatientData::new(), PatientData::new());
    assert_eq!(
        a.pseudonym(Kind::Name, "Shaw"),
        a.pseudonym(Kind::Name, "SHAW")
    );
    assert_eq!(
        a.pseudonym(Kind::NhsNumber, "999 001 0005"),
        a.pseudonym(Kind::NhsNumber, "9990010005")
    );
    assert_ne!(
        a.pseudonym(Kind::Name, "Shaw"),
        b.pseudonym(Kind::Name, "Shaw")
    );
    assert_ne!(
        a.pseudonym(Kind::Name, "Shaw"),
        a.pseudonym(Kind::Name, "Shah")
    );
}

#[test]
fn learned_values_are_replaced_in_any_text_but_not_inside_words() {
    let data = PatientData::new();
    data.learn_json(&json!({"resourceType": "Bundle", "entry": [{"resource": patient()}]}));
    let text = "GET Patient?family=Shaw&given=Amelia&birthdate=1968-04-12 for SHAW, \
                Amelia (999 001 0005); Shawcross and Ameliaville are other words; \
                curl --data-binary '{\"name\":\"Shaw\"}' identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9990010005";
    let out = data.redact_text(text);
    assert_clean(&out.replace("Shawcross", "").replace("Ameliaville", ""));
    assert!(out.contains("Shawcross and Ameliaville"), "{out}");
    // A name in lower case is a word of the sentence, not the name.
    assert_eq!(data.redact_text("a shaw of trees"), "a shaw of trees");
    assert!(out.contains(&data.pseudonym(Kind::Name, "shaw")), "{out}");
}

#[test]
fn short_identifiers_are_not_replaced_in_free_text() {
    let data = PatientData::new();
    data.learn_json(&json!({"resourceType": "Patient", "identifier": [{"system": "x", "value": "42"}], "name": [{"given": ["J"]}]}));
    assert_eq!(
        data.redact_text("Bundle.total = 42 (J)"),
        "Bundle.total = 42 (J)"
    );
}

#[test]
fn nhs_numbers_are_learned_from_urls_xml_and_cut_bodies() {
    let data = PatientData::new();
    data.learn_text("http://h/fhir/DocumentReference?subject%3Aidentifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9990010013&type=x");
    data.learn_text(
        "<Patient xmlns=\"http://hl7.org/fhir\"><identifier><system value=\"https://fhir.nhs.uk/Id/nhs-number\"/>\
         <value value=\"9990010021\"/></identifier><name><family value=\"O&apos;Brien\"/><given value=\"Niamh\"/></name>\
         <birthDate value=\"1990-01-02\"/></Patient>",
    );
    data.learn_text("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Kowalski\",\"given\":[\"Ada\", \"Lin\"]}],\"birthDate\":\"2001-02-0\n[cut: 300000 bytes in all]");
    let out = data.redact_text(
        "9990010013 9990010021 O'Brien Niamh 1990-01-02 Kowalski Ada Lin; shell: 'O'\\''Brien'",
    );
    for s in [
        "9990010013",
        "9990010021",
        "O'Brien",
        "Niamh",
        "1990-01-02",
        "Kowalski",
        "Ada",
        "Lin",
        "Brien",
    ] {
        assert!(!out.contains(s), "{s} in {out}");
    }
}

#[test]
fn a_trace_by_demographics_is_learned_from_its_url_alone() {
    let data = PatientData::new();
    data.learn_text("http://h/fhir/Patient?family=Okafor&given=Chidi+Ade&birthdate=eq1971-02-03&identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9434765919&_count=1");
    let out = data.redact_text("curl 'http://h/fhir/Patient?family=Okafor&given=Chidi+Ade&birthdate=eq1971-02-03' for Chidi Ade OKAFOR");
    for s in ["Okafor", "OKAFOR", "Chidi", "1971-02-03"] {
        assert!(!out.contains(s), "{s} in {out}");
    }
    assert!(
        out.contains("_count=1") || out.contains("birthdate=eqbirth-date:"),
        "{out}"
    );
}

#[test]
fn any_valid_nhs_number_on_its_own_is_masked_learned_or_not() {
    let data = PatientData::new();
    let out = data.redact_text(
        "Patient/9434765919 and RWA-ptr-9434765919; not 9434765918, 19434765919 or ab9434765919",
    );
    let p = data.pseudonym(Kind::NhsNumber, "9434765919");
    assert_eq!(
        out,
        format!("Patient/{p} and RWA-ptr-{p}; not 9434765918, 19434765919 or ab9434765919")
    );
    assert!(is_nhs_number("9990010005"));
    assert!(!is_nhs_number("9990010006"));
    assert!(!is_nhs_number("1234567890"), "check digit 10");
}

#[test]
fn a_reference_to_a_patient_loses_its_display() {
    let data = PatientData::new();
    let mut v = json!({"resourceType": "Encounter", "subject": {"reference": "Patient/p1", "display": "Mrs Amelia Shaw"},
        "serviceProvider": {"reference": "Organization/o1", "display": "Hull Royal"}});
    data.redact_json(&mut v);
    assert!(v["subject"]["display"]
        .as_str()
        .unwrap()
        .starts_with("name:"));
    assert_eq!(v["serviceProvider"]["display"], "Hull Royal");
}

fn run_with(body: &str, url: &str, message: &str) -> RunResult {
    let step = StepResult {
        id: "trace".into(),
        name: "Trace".into(),
        phase: Phase::Test,
        group: None,
        region: "demographics".into(),
        writes: false,
        status: Status::Fail,
        reason: Some(message.into()),
        duration_ms: 1,
        attempts: 1,
        assertions: vec![Outcome::check(
            "nhs-number-matches",
            Requirement::Shall,
            Status::Fail,
            message,
        )],
        captures: [("family".to_string(), "Shaw".to_string())].into(),
        exchange: Some(ExchangeRecord {
            request: HttpRecord {
                method: Some("GET".into()),
                url: Some(url.into()),
                status: None,
                headers: vec![("X-Patient".into(), "Shaw".into())],
                body: None,
            },
            response: Some(HttpRecord {
                method: None,
                url: None,
                status: Some(200),
                headers: vec![],
                body: Some(body.into()),
            }),
            curl: format!("curl -sS '{url}'"),
        }),
    };
    RunResult {
        schema: crate::scenario::SCHEMA.into(),
        tool: Tool::conform(),
        started: jiff::Timestamp::UNIX_EPOCH,
        duration_ms: 1,
        allow_writes: false,
        regions: vec![],
        summary: Summary::default(),
        must_support: None,
        scenarios: vec![ScenarioResult {
            identity: ScenarioIdentity {
                id: "s9[home=region-a]".into(),
                matrix: [(
                    "home".to_string(),
                    json!({"region": "region-a", "nhs": "9990010005"}),
                )]
                .into(),
                ..ScenarioIdentity::default()
            },
            status: Status::Fail,
            reason: Some(format!("test step 'trace': {message}")),
            duration_ms: 1,
            unsupported: vec![],
            steps: vec![step],
        }],
    }
}

#[test]
fn a_run_learns_from_its_own_bodies_and_is_clean_in_every_field() {
    let body = serde_json::to_string(&patient()).unwrap();
    let mut run = run_with(
        &body,
        "http://127.0.0.1:1/fhir/Patient?family=Shaw&birthdate=1968-04-12",
        "Patient.name.family = 'Shaw' was not true for Amelia",
    );
    let data = PatientData::new();
    data.redact_run(&mut run);
    let text = serde_json::to_string(&run).unwrap();
    assert_clean(&text);
    // What is not patient data is left alone.
    assert!(text.contains("nhs-number-matches") && text.contains("\"demographics\""));
    assert_eq!(run.scenarios[0].identity.id, "s9[home=region-a]");
    assert_eq!(
        run.scenarios[0].identity.matrix["home"]["region"],
        "region-a"
    );
    let v: Value = serde_json::from_str(
        run.scenarios[0].steps[0]
            .exchange
            .as_ref()
            .unwrap()
            .response
            .as_ref()
            .unwrap()
            .body
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(v["resourceType"], "Patient");
}

#[test]
fn debug_output_shows_neither_values_nor_key() {
    let data = PatientData::new();
    data.learn_json(&patient());
    let shown = format!("{data:?}");
    assert!(shown.starts_with("PatientData { values: "), "{shown}");
    assert_clean(&shown);
}
