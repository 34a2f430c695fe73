//! The published GP Connect example responses carry defects (the
//! gp-connect pack's verdicts are in docs/nhs-api-payloads.md), so a
//! provider serving them as published fails validation, as it should. The
//! stand-in corrects them by default, each correction named here with the
//! defect it removes, so a green run means the contract *and* the payloads
//! are right; `GpcFault::PublishedDefects` serves them as published.
//!
//! The immunisation record stays invalid: its profile requires Care
//! Connect's `Extension-CareConnect-DateRecorded-1` and
//! `-VaccinationProcedure-1`, which no package in the test data defines
//! (stu3/README.md), so it cannot validate here whatever the stand-in does.

use serde_json::Value;

/// The system the examples use for the NHS number verification status,
/// which is no code system, and the one the required value set draws on.
const VERIFICATION_WRONG: &str = "https://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1";
const VERIFICATION_RIGHT: &str =
    "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1";
const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// Extensions dropped: `sctdescid` is written with part names its
/// definition does not have (`DescriptionID` for `descriptionId`) and on
/// Codings its context does not allow; the others are misspelt (`http:`)
/// or Care Connect extensions in no package here, whose use no profile
/// requires.
const DROPPED_EXTENSIONS: [&str; 3] = [
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid",
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationStatementLastIssueDate-1",
    "http://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1",
];

/// Corrects a published example response in place. `service_root` gives
/// entries their missing `fullUrl`s (RESTful, so the examples' relative
/// references resolve).
pub(crate) fn correct(resource: &mut Value, service_root: &str) {
    visit(resource, &mut correct_node);
    if resource["resourceType"] != "Bundle" {
        return;
    }
    let Some(entries) = resource.get_mut("entry").and_then(Value::as_array_mut) else {
        return;
    };
    // PractitionerRole → its Practitioner, for `recorder`, which STU3
    // allows to be a Practitioner or Patient only.
    let mut roles: Vec<(String, Value)> = Vec::new();
    let mut nhs_number = None;
    for entry in entries.iter_mut() {
        let r = &mut entry["resource"];
        let id = r["id"].as_str().unwrap_or_default().to_string();
        match r["resourceType"].as_str() {
            Some("PractitionerRole") => {
                roles.push((format!("PractitionerRole/{id}"), r["practitioner"].clone()));
            }
            Some("Patient") => {
                nhs_number = r["identifier"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|i| i["system"] == NHS_NUMBER)
                    .map(|i| i["value"].clone());
                // generalPractitioner repeats.
                if r["generalPractitioner"].is_object() {
                    r["generalPractitioner"] = Value::Array(vec![r["generalPractitioner"].take()]);
                }
            }
            _ => {}
        }
    }
    for (index, entry) in entries.iter_mut().enumerate() {
        let Some(object) = entry.as_object_mut() else {
            continue;
        };
        let r = object.get("resource").cloned().unwrap_or_default();
        if !object.contains_key("fullUrl") {
            // RESTful where the resource has an id; otherwise (the Lists
            // have none) a UUID, the same for the same entry every time.
            let full_url = match (r["resourceType"].as_str(), r["id"].as_str()) {
                (Some(t), Some(id)) => format!("{service_root}/{t}/{id}"),
                _ => format!("urn:uuid:00000000-0000-4000-8000-{index:012}"),
            };
            object.insert("fullUrl".into(), full_url.into());
        }
        let Some(resource) = object.get_mut("resource") else {
            continue;
        };
        visit(resource, &mut |node| {
            if let Some(recorder) = node.get_mut("recorder") {
                let by_role = roles
                    .iter()
                    .find(|(role, _)| recorder["reference"] == role.as_str());
                if let Some((_, practitioner)) = by_role {
                    *recorder = practitioner.clone();
                }
            }
            // An allergy's subject identified by the made-up NHS number
            // 1234567890 (fails Modulus 11): the record's patient's.
            let subject = node
                .get_mut("subject")
                .and_then(|s| s.get_mut("identifier"));
            if let (Some(identifier), Some(nhs)) = (subject, &nhs_number) {
                if identifier["system"] == NHS_NUMBER {
                    identifier["value"] = nhs.clone();
                }
            }
        });
    }
}

fn correct_node(node: &mut serde_json::Map<String, Value>) {
    if let Some(Value::String(system)) = node.get_mut("system") {
        if system == VERIFICATION_WRONG {
            *system = VERIFICATION_RIGHT.to_string();
        }
        // 'http://hl7.org/fhir/v3/NullFlavor ' has a trailing space.
        *system = system.trim().to_string();
    }
    if let Some(Value::Array(extensions)) = node.get_mut("extension") {
        extensions.retain(|e| !DROPPED_EXTENSIONS.iter().any(|url| e["url"] == *url));
        if extensions.is_empty() {
            node.remove("extension");
        }
    }
    // Decimals written as JSON strings, a Duration code as an array.
    for key in ["expectedSupplyDuration", "quantity"] {
        if let Some(Value::Object(q)) = node.get_mut(key) {
            if let Some(Value::String(text)) = q.get("value") {
                if let Ok(n) = text.parse::<serde_json::Number>() {
                    q.insert("value".into(), Value::Number(n));
                }
            }
            if let Some(Value::Array(codes)) = q.get_mut("code") {
                let first = codes.first().cloned().unwrap_or_default();
                q.insert("code".into(), first);
            }
        }
    }
    // The repeat counts are unsignedInt in their extension's definition.
    let is_repeat_count = node.get("url").and_then(Value::as_str).is_some_and(|u| {
        u == "numberOfRepeatPrescriptionsAllowed" || u == "numberOfRepeatPrescriptionsIssued"
    });
    if is_repeat_count {
        if let Some(v) = node.remove("valuePositiveInt") {
            node.insert("valueUnsignedInt".into(), v);
        }
    }
    // The capability statement's release date is a template placeholder.
    if let Some(Value::Object(software)) = node.get_mut("software") {
        if software
            .get("releaseDate")
            .and_then(Value::as_str)
            .is_some_and(|d| d.starts_with('['))
        {
            software.insert("releaseDate".into(), "2024-03-25".into());
        }
    }
}

fn visit(value: &mut Value, f: &mut impl FnMut(&mut serde_json::Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            for v in map.values_mut() {
                visit(v, f);
            }
        }
        Value::Array(items) => {
            for v in items {
                visit(v, f);
            }
        }
        _ => {}
    }
}
