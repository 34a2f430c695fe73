//! References that lead outside the resource, resolved by a fetcher
//! (`--resolve-from`): with `check-exists` a reference the folder holds
//! resolves and one it lacks is an error; with `check-valid` a profile's
//! target profiles are tried on what the folder holds, cycles of
//! references end (the resource being validated, met again, conforms
//! while it is being checked, as in the reference); other policies fetch
//! nothing. And `bundled` aggregation outside a Bundle.

mod common;

use conform_validate::{Options, ReferencePolicy, ResourceFolder, Validator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const BASE: &str = "http://example.org/fhir/StructureDefinition/";

fn profile(name: &str, ty: &str, elements: Value) -> Value {
    common::constraint(&format!("{BASE}{name}"), ty, elements)
}

fn definitions() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let identified = common::identified_patient(&format!("{BASE}identified-patient"));
        let observation = profile(
            "observation-of-identified",
            "Observation",
            json!([{"id": "Observation.subject", "path": "Observation.subject",
                "type": [{"code": "Reference",
                    "targetProfile": [format!("{BASE}identified-patient")]}]}]),
        );
        let bundled = profile(
            "bundled-subject",
            "Observation",
            json!([{"id": "Observation.subject", "path": "Observation.subject",
                "type": [{"code": "Reference", "aggregation": ["bundled"],
                    "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Patient"]}]}]),
        );
        common::r4_with_definitions(&[identified, observation, bundled])
    })
}

fn patient(id: &str, identified: bool, links: &[&str]) -> Value {
    let mut p = json!({"resourceType": "Patient", "id": id,
        "meta": {"profile": [format!("{BASE}identified-patient")]}});
    if identified {
        p["identifier"] = json!([{"system": "urn:example", "value": id}]);
    }
    if !links.is_empty() {
        p["link"] = links
            .iter()
            .map(|l| json!({"other": {"reference": l}, "type": "seealso"}))
            .collect();
    }
    p
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A folder of Patients: `good` (identified), `bad` (not), the cycle
/// `ring-a` ↔ `ring-b` (both identified), `relay` (identified) linking
/// back to `source` (not identified, the one validated), `twin` in two
/// files, `lined` in an NDJSON file, `marked` in XML, version 1 of
/// `versioned`, and a broken file.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "good.json", &patient("good", true, &[]).to_string());
    write(d, "bad.json", &patient("bad", false, &[]).to_string());
    write(
        d,
        "ring-a.json",
        &patient("ring-a", true, &["Patient/ring-b"]).to_string(),
    );
    write(
        d,
        "ring-b.json",
        &patient("ring-b", true, &["Patient/ring-a"]).to_string(),
    );
    write(
        d,
        "relay.json",
        &patient("relay", true, &["Patient/source"]).to_string(),
    );
    write(
        d,
        "source.json",
        &patient("source", false, &["Patient/relay"]).to_string(),
    );
    write(d, "twin-1.json", &patient("twin", true, &[]).to_string());
    write(d, "twin-2.json", &patient("twin", true, &[]).to_string());
    let lines = format!(
        "{}\n\n{}\n",
        json!({"resourceType": "Practitioner", "id": "doc"}),
        patient("lined", false, &[])
    );
    write(d, "more.ndjson", &lines);
    write(
        d,
        "marked.xml",
        r#"<Patient xmlns="http://hl7.org/fhir"><id value="marked"/><identifier><value value="m"/></identifier></Patient>"#,
    );
    let mut versioned = patient("versioned", true, &[]);
    versioned["meta"]["versionId"] = json!("1");
    write(d, "versioned.json", &versioned.to_string());
    write(d, "broken.json", "{\"resourceType\": \"Patient\", \"id\": ");
    dir
}

fn validator(dir: &Path, references: ReferencePolicy) -> Validator {
    let v = definitions().with_options(Options {
        references,
        ..Options::default()
    });
    let folder = ResourceFolder::index(&v, &[dir.to_path_buf()]).expect("folder indexed");
    v.with_resource_fetcher(Some(Arc::new(folder)))
}

fn observation(subject: &str) -> Value {
    json!({"resourceType": "Observation", "status": "final",
        "meta": {"profile": [format!("{BASE}observation-of-identified")]},
        "code": {"text": "weight"}, "subject": {"reference": subject}})
}

/// `rule expression` of each error and warning.
fn findings(v: &Validator, resource: &Value) -> Vec<String> {
    v.validate_bytes(resource.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.severity.is_error() || f.severity == conform_validate::Severity::Warning)
        .map(|f| format!("{} {}", f.rule, f.expression()))
        .collect()
}

fn messages(v: &Validator, resource: &Value) -> Vec<String> {
    v.validate_bytes(resource.to_string().as_bytes(), 0)
        .findings
        .iter()
        .filter(|f| f.severity.is_error())
        .map(|f| f.message.clone())
        .collect()
}

const NOT_RESOLVED: &str = "reference-not-resolved Observation.subject.reference";
const NOT_CONFORMING: &str = "reference-target-profile Observation.subject.reference";

#[test]
fn the_folder_index_finds_resources_by_type_and_id() {
    let dir = folder();
    let v = definitions();
    let found = ResourceFolder::index(v, &[dir.path().to_path_buf()]).unwrap();
    // 11 Patients (the twins under one key), the Practitioner; not the broken file
    assert_eq!(found.len(), 11);
    let missing = ResourceFolder::index(v, &[dir.path().join("nowhere")]);
    let e = missing.err().expect("a missing path is an error");
    assert!(e.to_string().contains("nowhere"), "{e}");
    // a file named on its own is read whatever its name
    let one = ResourceFolder::index(v, &[dir.path().join("good.json")]).unwrap();
    assert_eq!(one.len(), 1);
}

#[test]
fn check_exists_resolves_what_the_folder_holds() {
    let dir = folder();
    let v = validator(dir.path(), ReferencePolicy::CheckExists);
    for found in [
        "Patient/good",
        "Patient/bad",
        "Patient/lined",
        "Patient/marked",
        "Patient/versioned/_history/1",
    ] {
        assert_eq!(
            findings(&v, &observation(found)),
            Vec::<String>::new(),
            "{found}"
        );
    }
    for missing in [
        "Patient/nobody",
        "Patient/versioned/_history/2",
        // the Practitioner's id, as another type
        "Patient/doc",
        // an absolute URL names a server's resource, not a file's
        "https://fhir.example.net/Patient/good",
    ] {
        assert_eq!(
            findings(&v, &observation(missing)),
            vec![NOT_RESOLVED],
            "{missing}"
        );
    }
    let m = messages(&v, &observation("Patient/nobody"));
    assert!(
        m[0].contains("nor in the resources to resolve from"),
        "{m:?}"
    );
    let twin = messages(&v, &observation("Patient/twin"));
    assert_eq!(twin.len(), 1, "{twin:?}");
    assert!(
        twin[0].contains("twin-1.json") && twin[0].contains("twin-2.json"),
        "{twin:?}"
    );
}

#[test]
fn a_resource_found_is_type_checked() {
    let dir = folder();
    let v = validator(dir.path(), ReferencePolicy::CheckExists);
    // Observation.subject may not be a Practitioner: the relative reference
    // says so, and the fetched resource is one
    let mut obs = observation("Practitioner/doc");
    obs.as_object_mut().unwrap().remove("meta");
    assert_eq!(
        findings(&v, &obs),
        vec!["reference-target Observation.subject.reference"]
    );
}

#[test]
fn check_valid_tries_target_profiles_on_what_the_folder_holds() {
    let dir = folder();
    let v = validator(dir.path(), ReferencePolicy::CheckValid);
    assert_eq!(
        findings(&v, &observation("Patient/good")),
        Vec::<String>::new()
    );
    assert_eq!(
        findings(&v, &observation("Patient/marked")),
        Vec::<String>::new()
    );
    assert_eq!(
        findings(&v, &observation("Patient/bad")),
        vec![NOT_CONFORMING]
    );
    assert_eq!(
        findings(&v, &observation("Patient/lined")),
        vec![NOT_CONFORMING]
    );
    // what resolves nowhere is still an error, said once
    assert_eq!(
        findings(&v, &observation("Patient/nobody")),
        vec![NOT_RESOLVED]
    );
    // check-exists asks for the type only
    let exists = validator(dir.path(), ReferencePolicy::CheckExists);
    assert_eq!(
        findings(&exists, &observation("Patient/bad")),
        Vec::<String>::new()
    );
}

#[test]
fn cycles_of_references_end() {
    let dir = folder();
    let v = validator(dir.path(), ReferencePolicy::CheckValid);
    // through the ring and back to its start: both identified
    assert_eq!(
        findings(&v, &observation("Patient/ring-a")),
        Vec::<String>::new()
    );
    assert_eq!(
        findings(&v, &patient("ring-a", true, &["Patient/ring-b"])),
        Vec::<String>::new()
    );
    // the resource being validated, met again through `relay`, is taken
    // to conform while it is being checked: only its own fault is reported
    assert_eq!(
        findings(&v, &patient("source", false, &["Patient/relay"])),
        vec!["cardinality-min Patient.identifier"]
    );
    // from outside the cycle, `source` fails, so `relay` does too
    assert_eq!(
        findings(&v, &observation("Patient/relay")),
        vec![NOT_CONFORMING]
    );
}

#[test]
fn other_policies_fetch_nothing() {
    let dir = folder();
    for policy in [ReferencePolicy::Ignore, ReferencePolicy::CheckType] {
        let v = validator(dir.path(), policy);
        assert_eq!(
            findings(&v, &observation("Patient/nobody")),
            Vec::<String>::new()
        );
        assert_eq!(
            findings(&v, &observation("Patient/bad")),
            Vec::<String>::new()
        );
    }
}

#[test]
fn without_a_folder_check_exists_says_none_was_given() {
    let v = definitions().with_options(Options {
        references: ReferencePolicy::CheckExists,
        ..Options::default()
    });
    let m = messages(&v, &observation("Patient/good"));
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("--resolve-from"), "{m:?}");
}

#[test]
fn bundled_aggregation_outside_a_bundle_is_an_option() {
    let obs = json!({"resourceType": "Observation", "status": "final",
        "meta": {"profile": [format!("{BASE}bundled-subject")]},
        "code": {"text": "weight"}, "subject": {"reference": "Patient/good"}});
    let enforced = definitions().clone();
    assert_eq!(
        findings(&enforced, &obs),
        vec!["reference-aggregation Observation.subject.reference"]
    );
    let waived = definitions().with_options(Options {
        enforce_aggregation_outside_bundles: false,
        ..Options::default()
    });
    assert_eq!(findings(&waived, &obs), Vec::<String>::new());
    // inside a Bundle the entry must still be there
    let mut obs = obs;
    obs["id"] = json!("o");
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Observation/o", "resource": obs}]});
    assert_eq!(
        findings(&waived, &bundle),
        vec!["reference-aggregation Bundle.entry[0].resource.subject.reference"]
    );
}

/// The run's limits hold for what is read to resolve from: a file larger
/// than a file may be, or an NDJSON line longer than a line may be, resolves
/// nothing, and the lines after a long one are still read.
#[test]
fn what_is_over_the_limits_resolves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let padded = |id: &str| {
        let mut p = patient(id, true, &[]);
        p["text"] = json!({"status": "generated",
            "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{}</div>", "x".repeat(400))});
        p.to_string()
    };
    write(d, "big.json", &padded("big"));
    let lines = format!(
        "{}\r\n{}\n{}",
        padded("long"),
        patient("short", true, &[]),
        patient("last", true, &[])
    );
    write(d, "lines.ndjson", &lines);
    let v = definitions().with_options(Options {
        references: ReferencePolicy::CheckExists,
        max_file_bytes: 300,
        max_line_bytes: 300,
        ..Options::default()
    });
    let folder = ResourceFolder::index(&v, &[d.to_path_buf()]).unwrap();
    assert_eq!(folder.len(), 2, "short and last");
    let v = v.with_resource_fetcher(Some(Arc::new(folder)));
    for found in ["Patient/short", "Patient/last"] {
        assert_eq!(
            findings(&v, &observation(found)),
            Vec::<String>::new(),
            "{found}"
        );
    }
    for over in ["Patient/big", "Patient/long"] {
        assert_eq!(
            findings(&v, &observation(over)),
            vec![NOT_RESOLVED],
            "{over}"
        );
    }
}
