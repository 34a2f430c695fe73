//! The Bundle rule family, one defect a fixture, each written from FHIR R4's
//! Bundle, Documents and Messaging pages: what each Bundle type asks of its
//! links and entries, and how references between entries resolve.

mod common;

use conform_validate::{ResourceResult, Severity};
use serde_json::{json, Value};

const PATIENT: &str = "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const AUTHOR: &str = "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3302";
const COMPOSITION: &str = "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3300";
const OBSERVATION: &str = "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3303";

fn validate(resource: &Value) -> ResourceResult {
    common::r4().validate_bytes(resource.to_string().as_bytes(), 0)
}

/// `(severity, expression)` of each finding of `rule`.
fn findings(r: &ResourceResult, rule: &str) -> Vec<(Severity, String)> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.severity, f.expression().to_string()))
        .collect()
}

fn errors(r: &ResourceResult) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.severity.is_error())
        .map(|f| format!("{} [{}] {}", f.expression(), f.rule, f.message))
        .collect()
}

fn entry(full_url: &str, resource: Value) -> Value {
    json!({"fullUrl": full_url, "resource": resource})
}

fn composition(extra: Value) -> Value {
    let mut c = json!({
        "resourceType": "Composition",
        "status": "final",
        "type": {"text": "Discharge summary"},
        "subject": {"reference": PATIENT},
        "date": "2026-12-01T10:00:00Z",
        "author": [{"reference": AUTHOR}],
        "title": "Discharge summary"
    });
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}

/// A document: Composition first, then what it refers to.
fn document(first: Value, more: Vec<Value>) -> Value {
    let mut entries = vec![
        entry(COMPOSITION, first),
        entry(PATIENT, json!({"resourceType": "Patient"})),
        entry(AUTHOR, json!({"resourceType": "Practitioner"})),
    ];
    entries.extend(more);
    json!({
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3399"},
        "type": "document",
        "timestamp": "2026-12-01T10:00:00Z",
        "entry": entries
    })
}

#[test]
fn a_whole_document_is_clean() {
    let r = validate(&document(composition(json!({})), vec![]));
    assert!(errors(&r).is_empty(), "{:#?}", errors(&r));
    assert!(r.findings.iter().all(|f| !f.rule.starts_with("bundle-")));
}

#[test]
fn a_document_starts_with_its_composition() {
    let mut b = document(composition(json!({})), vec![]);
    b["entry"].as_array_mut().unwrap().swap(0, 1);
    let r = validate(&b);
    assert_eq!(
        findings(&r, "bundle-entry"),
        [(Severity::Error, "Bundle.entry[0].resource".to_string())]
    );
}

#[test]
fn what_the_composition_refers_to_travels_with_it() {
    let c = composition(
        json!({"encounter": {"reference": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c33ff"}}),
    );
    let r = validate(&document(c, vec![]));
    assert_eq!(
        findings(&r, "bundle-reference"),
        [(
            Severity::Error,
            "Bundle.entry[0].resource.encounter".to_string()
        )]
    );
}

#[test]
fn an_entry_nothing_reaches_is_an_orphan() {
    let obs = json!({"resourceType": "Observation", "status": "final", "code": {"text": "Pulse"}});
    let r = validate(&document(
        composition(json!({})),
        vec![entry(OBSERVATION, obs)],
    ));
    assert_eq!(
        findings(&r, "bundle-orphan"),
        [(Severity::Error, "Bundle.entry[3]".to_string())]
    );
}

#[test]
fn only_a_provenance_may_be_reached_backwards() {
    // Both refer to the Patient; nothing in the document refers to them.
    let obs = json!({"resourceType": "Observation", "status": "final", "code": {"text": "Pulse"},
        "subject": {"reference": PATIENT}});
    let provenance = json!({"resourceType": "Provenance", "target": [{"reference": PATIENT}],
        "recorded": "2026-12-01T10:00:00Z", "agent": [{"who": {"reference": AUTHOR}}]});
    let r = validate(&document(
        composition(json!({})),
        vec![
            entry(OBSERVATION, obs),
            entry("urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3304", provenance),
        ],
    ));
    assert_eq!(
        findings(&r, "bundle-orphan"),
        [(Severity::Warning, "Bundle.entry[3]".to_string())]
    );
}

#[test]
fn a_section_entry_reaches_its_target() {
    let obs = json!({"resourceType": "Observation", "status": "final", "code": {"text": "Pulse"}});
    let c = composition(
        json!({"section": [{"title": "Vitals", "text": {"status": "generated",
        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Pulse</div>"},
        "entry": [{"reference": OBSERVATION}]}]}),
    );
    let r = validate(&document(c, vec![entry(OBSERVATION, obs)]));
    assert!(findings(&r, "bundle-orphan").is_empty());
    assert!(findings(&r, "bundle-reference").is_empty());
}

#[test]
fn a_relative_reference_resolves_only_against_its_entry_base() {
    // Patient/p is in the Bundle, but under another server's base.
    let b = json!({"resourceType": "Bundle", "type": "document",
    "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3399"},
    "timestamp": "2026-12-01T10:00:00Z",
    "entry": [
        entry("http://a.example/fhir/Composition/c", composition(json!({"id": "c",
            "subject": {"reference": "Patient/p"}, "author": [{"reference": "Practitioner/d"}]}))),
        entry("http://b.example/fhir/Patient/p", json!({"resourceType": "Patient", "id": "p"})),
        entry("http://a.example/fhir/Practitioner/d", json!({"resourceType": "Practitioner", "id": "d"})),
    ]});
    let r = validate(&b);
    let refs = findings(&r, "bundle-reference");
    assert!(
        refs.contains(&(
            Severity::Error,
            "Bundle.entry[0].resource.subject".to_string()
        )),
        "{refs:?}"
    );
    assert!(
        refs.iter().all(|(_, at)| !at.contains("author")),
        "{refs:?}"
    );
}

#[test]
fn a_message_starts_with_its_header() {
    let b = json!({"resourceType": "Bundle", "type": "message",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3399"},
        "timestamp": "2026-12-01T10:00:00Z",
        "entry": [entry(PATIENT, json!({"resourceType": "Patient"}))]});
    let r = validate(&b);
    assert_eq!(
        findings(&r, "bundle-entry"),
        [(Severity::Error, "Bundle.entry[0].resource".to_string())]
    );
}

#[test]
fn paging_links_belong_to_searches_and_self_is_unique() {
    let b = json!({"resourceType": "Bundle", "type": "collection",
        "link": [{"relation": "self", "url": "http://a.example/x"},
                 {"relation": "next", "url": "http://a.example/y"},
                 {"relation": "self", "url": "http://a.example/z"}],
        "entry": [entry(PATIENT, json!({"resourceType": "Patient"}))]});
    let r = validate(&b);
    assert_eq!(
        findings(&r, "bundle-link"),
        [
            (Severity::Error, "Bundle.link[1].relation".to_string()),
            (Severity::Error, "Bundle.link[2].relation".to_string())
        ]
    );
    let mut search = b.clone();
    search["type"] = json!("searchset");
    search["link"][2]["relation"] = json!("previous");
    assert!(findings(&validate(&search), "bundle-link").is_empty());
}

#[test]
fn entries_need_a_full_url_outside_transactions() {
    let b = json!({"resourceType": "Bundle", "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient"}}]});
    assert_eq!(
        findings(&validate(&b), "bundle-fullurl"),
        [(Severity::Error, "Bundle.entry[0]".to_string())]
    );
    let t = json!({"resourceType": "Bundle", "type": "transaction",
        "entry": [{"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}}]});
    let r = validate(&t);
    assert!(errors(&r).is_empty(), "{:#?}", errors(&r));
}

#[test]
fn a_restful_full_url_names_the_id_it_holds() {
    let b = json!({"resourceType": "Bundle", "type": "collection",
        "entry": [entry("http://a.example/fhir/Patient/p1", json!({"resourceType": "Patient"}))]});
    assert_eq!(
        findings(&validate(&b), "bundle-fullurl"),
        [(Severity::Error, "Bundle.entry[0].fullUrl".to_string())]
    );
}

#[test]
fn a_search_set_says_what_each_entry_is() {
    let b = json!({"resourceType": "Bundle", "type": "searchset",
    "link": [{"relation": "self", "url": "http://a.example/fhir/Patient?name=x"}],
    "entry": [
        {"fullUrl": "http://a.example/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}, "search": {"mode": "match"}},
        {"fullUrl": "http://a.example/fhir/Practitioner/d", "resource": {"resourceType": "Practitioner", "id": "d"}, "search": {"mode": "match"}},
        {"fullUrl": "http://a.example/fhir/Patient/p2", "resource": {"resourceType": "Patient", "id": "p2"}, "search": {"mode": "outcome"}}
    ]});
    assert_eq!(
        findings(&validate(&b), "bundle-search"),
        [
            (Severity::Error, "Bundle.entry[1].resource".to_string()),
            (Severity::Error, "Bundle.entry[2].resource".to_string())
        ]
    );
    let mut no_self = b.clone();
    no_self.as_object_mut().unwrap().remove("link");
    no_self["entry"] = json!([]);
    assert_eq!(
        findings(&validate(&no_self), "bundle-search"),
        [(Severity::Warning, "Bundle".to_string())]
    );
}

#[test]
fn a_bundled_target_is_checked_by_its_real_type() {
    // The subject names an entry by urn; that entry is a Medication.
    let b = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        entry(OBSERVATION, json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "Pulse"}, "subject": {"reference": PATIENT}})),
        entry(PATIENT, json!({"resourceType": "Medication"}))]});
    let r = validate(&b);
    assert_eq!(
        findings(&r, "reference-target"),
        [(
            Severity::Error,
            "Bundle.entry[0].resource.subject.reference".to_string()
        )]
    );
    let mut fine = b.clone();
    fine["entry"][1]["resource"] = json!({"resourceType": "Patient"});
    assert!(findings(&validate(&fine), "reference-target").is_empty());
}

/// A profile on Organization whose endpoints must travel in the Bundle
/// (`aggregation: bundled`), declared by the entry's `meta.profile`.
fn bundled_endpoints_profile() -> conform_validate::Validator {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("org-bundled-endpoints.json");
    let profile = json!({
        "resourceType": "StructureDefinition",
        "url": "http://example.org/fhir/StructureDefinition/org-bundled-endpoints",
        "name": "OrgBundledEndpoints", "status": "active", "kind": "resource",
        "abstract": false, "type": "Organization", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Organization",
        "differential": {"element": [{"id": "Organization.endpoint", "path": "Organization.endpoint",
            "type": [{"code": "Reference",
                "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Endpoint"],
                "aggregation": ["bundled"]}]}]}
    });
    std::fs::write(&file, profile.to_string()).expect("write profile");
    common::r4_with(&[file])
}

#[test]
fn a_bundled_aggregation_needs_the_target_in_the_bundle() {
    let v = bundled_endpoints_profile();
    let org = |endpoint: &str| {
        json!({"resourceType": "Organization", "id": "o",
            "meta": {"profile": ["http://example.org/fhir/StructureDefinition/org-bundled-endpoints"]},
            "endpoint": [{"reference": endpoint}]})
    };
    let endpoint = json!({"resourceType": "Endpoint", "id": "e1", "status": "active",
        "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type", "code": "hl7-fhir-rest"},
        "payloadType": [{"text": "FHIR"}], "address": "https://a.example/fhir"});
    let bundle = |endpoint_ref: &str| {
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            entry("https://a.example/fhir/Organization/o", org(endpoint_ref)),
            entry("https://a.example/fhir/Endpoint/e1", endpoint.clone())]})
    };
    let check = |b: Value| {
        let r = v.validate_bytes(b.to_string().as_bytes(), 0);
        findings(&r, "reference-aggregation")
    };
    assert!(check(bundle("Endpoint/e1")).is_empty());
    assert_eq!(
        check(bundle("Endpoint/elsewhere")),
        [(
            Severity::Error,
            "Bundle.entry[0].resource.endpoint[0].reference".to_string()
        )]
    );
}

#[test]
fn contained_ids_are_unique_in_their_container() {
    let patient = json!({"resourceType": "Patient",
        "contained": [{"resourceType": "Organization", "id": "o", "name": "A"},
                      {"resourceType": "Practitioner", "id": "o"}],
        "managingOrganization": {"reference": "#o"}});
    let r = validate(&patient);
    assert_eq!(
        findings(&r, "duplicate-id"),
        [(Severity::Error, "Patient.contained[1].id".to_string())]
    );
    // The first keeps the id, so the reference still reaches an Organization.
    assert!(findings(&r, "reference-target").is_empty());
}

fn collection(entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
}

fn observation(subject: &str) -> Value {
    json!({"resourceType": "Observation", "id": "o1", "status": "final",
        "code": {"text": "weight"}, "subject": {"reference": subject}})
}

#[test]
fn a_resolved_entry_must_have_the_type_the_reference_names() {
    let r = validate(&collection(vec![
        entry(
            "http://x.org/fhir/Observation/o1",
            observation("Patient/p1"),
        ),
        entry(
            "http://x.org/fhir/Patient/p1",
            json!({"resourceType": "Practitioner", "id": "p1"}),
        ),
    ]));
    assert!(
        findings(&r, "reference-target").contains(&(
            Severity::Error,
            "Bundle.entry[0].resource.subject.reference".into()
        )),
        "{:?}",
        errors(&r)
    );
}

#[test]
fn a_urn_names_an_entry_of_the_bundle() {
    let r = validate(&collection(vec![entry(OBSERVATION, observation(PATIENT))]));
    assert_eq!(
        findings(&r, "bundle-reference"),
        [(
            Severity::Warning,
            "Bundle.entry[0].resource.subject.reference".into()
        )]
    );
    let r = validate(&collection(vec![
        entry(OBSERVATION, observation(PATIENT)),
        entry(PATIENT, json!({"resourceType": "Patient"})),
    ]));
    assert!(findings(&r, "bundle-reference").is_empty());
}

#[test]
fn a_relative_reference_resolves_against_its_entrys_base() {
    let r = validate(&collection(vec![
        entry(
            "http://x.org/fhir/Observation/o1",
            observation("Patient/p1"),
        ),
        entry(
            "http://y.org/fhir/Patient/p1",
            json!({"resourceType": "Patient", "id": "p1"}),
        ),
    ]));
    assert_eq!(
        findings(&r, "bundle-reference"),
        [(
            Severity::Warning,
            "Bundle.entry[0].resource.subject.reference".into()
        )]
    );
}

#[test]
fn a_version_specific_reference_needs_the_entrys_version_id() {
    let bundle = |meta: Value| {
        let mut patient = json!({"resourceType": "Patient", "id": "p1"});
        if !meta.is_null() {
            patient["meta"] = meta;
        }
        collection(vec![
            entry(
                "http://x.org/fhir/Observation/o1",
                observation("Patient/p1/_history/2"),
            ),
            entry("http://x.org/fhir/Patient/p1", patient),
        ])
    };
    assert_eq!(
        findings(&validate(&bundle(Value::Null)), "bundle-reference"),
        [(
            Severity::Warning,
            "Bundle.entry[0].resource.subject.reference".into()
        )]
    );
    assert!(findings(
        &validate(&bundle(json!({"versionId": "2"}))),
        "bundle-reference"
    )
    .is_empty());
}

#[test]
fn a_conditional_reference_carries_a_search() {
    let transaction = |subject: &str| {
        json!({"resourceType": "Bundle", "type": "transaction", "entry": [{
            "fullUrl": OBSERVATION, "resource": observation(subject),
            "request": {"method": "POST", "url": "Observation"}}]})
    };
    let r = validate(&transaction(
        "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990010005",
    ));
    assert!(
        findings(&r, "reference-format").is_empty(),
        "{:?}",
        errors(&r)
    );
    assert_eq!(
        findings(
            &validate(&transaction("Patient?identifier")),
            "reference-format"
        ),
        [(
            Severity::Error,
            "Bundle.entry[0].resource.subject.reference".into()
        )]
    );
}

/// A relative reference is a URL relative to the server's base, so a shape
/// other than `Type/id` is a warning to check it, as in the reference
/// (`REFERENCE_REF_SUSPICIOUS`); a reference with blanks in it is no URL
/// at all, an error, and so is one a Bundle entry's fullUrl cannot resolve.
#[test]
fn a_reference_of_another_shape_is_a_warning_and_one_with_blanks_an_error() {
    let format = |reference: &str| {
        let observation = json!({"resourceType": "Observation", "status": "final",
            "code": {"text": "x"}, "subject": {"reference": reference}});
        findings(&validate(&observation), "reference-format")
    };
    let at = "Observation.subject.reference".to_string();
    assert!(format("Patient/123").is_empty());
    for suspicious in ["123", "patient/123", "XXX/_history/1", "Patient/a_b"] {
        assert_eq!(
            format(suspicious),
            [(Severity::Warning, at.clone())],
            "{suspicious}"
        );
    }
    assert_eq!(format("Patient/12 3"), [(Severity::Error, at.clone())]);
    // In a Bundle entry with a fullUrl, relative references are resolved
    // against it: a shape with other than one or three slashes cannot be.
    let in_entry = |reference: &str| {
        let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "https://example.org/fhir/Observation/1",
                "resource": {"resourceType": "Observation", "id": "1", "status": "final",
                    "code": {"text": "x"}, "subject": {"reference": reference}}}]});
        findings(&validate(&bundle), "reference-format")
    };
    let at = "Bundle.entry[0].resource.subject.reference".to_string();
    for unresolvable in ["123", "XXX/_history/1"] {
        assert_eq!(
            in_entry(unresolvable),
            [(Severity::Error, at.clone())],
            "{unresolvable}"
        );
    }
    assert_eq!(in_entry("patient/123"), [(Severity::Warning, at.clone())]);
    // an absolute URI is not resolved against the fullUrl
    assert_eq!(in_entry("urn:example:123"), [(Severity::Warning, at)]);
}

/// A transaction Bundle of `n` entries: Patients, each second one broken in
/// its own way (unknown element, bad date, reference to a missing entry),
/// and Observations referring to the Patient before them.
fn large_bundle(n: usize) -> Value {
    let entries: Vec<Value> = (0..n)
        .map(|i| {
            let url = format!("urn:uuid:3f2504e0-4f89-41d3-9a0c-{i:012}");
            let resource = match i % 4 {
                0 => json!({"resourceType": "Patient", "gender": "male"}),
                1 => json!({"resourceType": "Patient", "birthDate": format!("19{i:02}-13-01")}),
                2 => json!({"resourceType": "Observation", "status": "final",
                    "code": {"text": "weight"},
                    "subject": {"reference": format!("urn:uuid:3f2504e0-4f89-41d3-9a0c-{:012}", i - 2)}}),
                _ => json!({"resourceType": "Patient", "nickname": i,
                    "link": [{"other": {"reference": "urn:uuid:nowhere"}, "type": "seealso"}]}),
            };
            json!({"fullUrl": url, "resource": resource,
                   "request": {"method": "POST", "url": resource["resourceType"]}})
        })
        .collect();
    json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
}

fn outcomes(r: &ResourceResult) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| {
            let (line, col) = (f.location.line, f.location.column);
            format!(
                "{} {line:?}:{col:?} [{}] {}",
                f.expression(),
                f.rule,
                f.message
            )
        })
        .collect()
}

#[test]
fn a_large_bundle_walked_on_all_cores_reports_as_walked_in_turn() {
    // 63 entries are walked in turn; 200 go to the parallel walk. The
    // first 63 entries of both are the same, so their findings must be
    // too, in the same order, with the same lines.
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap();
    let small = common::r4().validate_bytes(pretty(&large_bundle(63)).as_bytes(), 0);
    let large = common::r4().validate_bytes(pretty(&large_bundle(200)).as_bytes(), 0);
    let in_small = outcomes(&small);
    assert!(
        in_small.len() > 40,
        "the entries were meant to be broken: {in_small:#?}"
    );
    let entry_of = |o: &String| -> Option<usize> {
        o.strip_prefix("Bundle.entry[")?
            .split(']')
            .next()?
            .parse()
            .ok()
    };
    let first_63: Vec<String> = outcomes(&large)
        .into_iter()
        .filter(|o| entry_of(o).is_some_and(|i| i < 63))
        .collect();
    assert_eq!(first_63, in_small);
    // And the rest in entry order.
    let order: Vec<usize> = outcomes(&large).iter().filter_map(entry_of).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    assert_eq!(order.last(), Some(&199));
}

/// From an entry whose fullUrl is a URN, `Type/id` names the entry
/// `urn:uuid:<id>` (as the reference resolves it): that entry must hold a
/// resource of the type the reference names.
#[test]
fn a_relative_reference_from_a_urn_entry_names_the_urn_of_its_id() {
    let uuid = "5d9588d8-3cd6-4b32-8fb7-ad13694e069d";
    let bundle = |held: &str| {
        json!({"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "urn:uuid:54fc3e09-e279-4b74-a8ff-2649ec968642",
                "resource": {"resourceType": "Patient",
                    "generalPractitioner": [{"reference": format!("Practitioner/{uuid}")}]}},
            {"fullUrl": format!("urn:uuid:{uuid}"),
                "resource": {"resourceType": held, "active": true}}]})
    };
    let at = "Bundle.entry[0].resource.generalPractitioner[0].reference".to_string();
    assert_eq!(
        findings(&validate(&bundle("Organization")), "reference-target"),
        [(Severity::Error, at)]
    );
    let fine = validate(&bundle("Practitioner"));
    assert!(
        findings(&fine, "reference-target").is_empty(),
        "{:?}",
        errors(&fine)
    );
    assert!(findings(&fine, "bundle-reference").is_empty());
}
