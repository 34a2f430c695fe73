//! Which organisations actually contribute data: ODS codes found in sampled
//! payloads in the references that say who holds, wrote or sent a record.

use serde_json::Value;

/// Identifier systems whose values are ODS codes.
pub const ODS_SYSTEMS: [&str; 2] = [
    "https://fhir.nhs.uk/Id/ods-organization-code",
    "https://fhir.nhs.uk/Id/ods-site-code",
];

/// Elements whose (logical) reference names the contributing organisation.
pub const PROVENANCE_ELEMENTS: [&str; 7] = [
    "custodian",
    "author",
    "source",
    "performer",
    "managingOrganization",
    "serviceProvider",
    "recorder",
];

/// One ODS code seen in a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OdsSighting {
    pub ods: String,
    /// The element it was seen in, e.g. `custodian`.
    pub element: String,
    /// The payload file, relative to the evidence folder.
    pub file: String,
}

/// Every ODS code in `resource` (Bundles and contained resources included)
/// under one of [`PROVENANCE_ELEMENTS`] as `identifier {system, value}`,
/// plus `meta.tag` codes in an ODS system.
pub fn observed_ods(resource: &Value, file: &str) -> Vec<OdsSighting> {
    let mut out = Vec::new();
    walk(resource, None, file, &mut out);
    out
}

fn walk(v: &Value, element: Option<&str>, file: &str, out: &mut Vec<OdsSighting>) {
    match v {
        Value::Object(m) => {
            // A resource (nested in a Bundle or contained) starts afresh.
            let element = if m.contains_key("resourceType") {
                None
            } else {
                element
            };
            if let Some(el) = element {
                if let Some(code) = m.get("identifier").and_then(ods_identifier) {
                    out.push(OdsSighting {
                        ods: code,
                        element: el.into(),
                        file: file.into(),
                    });
                }
            }
            if let Some(tags) = m
                .get("meta")
                .and_then(|m| m.get("tag"))
                .and_then(|t| t.as_array())
            {
                for t in tags {
                    if let Some(code) = ods_identifier_with(t, "code") {
                        out.push(OdsSighting {
                            ods: code,
                            element: "meta.tag".into(),
                            file: file.into(),
                        });
                    }
                }
            }
            for (k, child) in m {
                let next = if PROVENANCE_ELEMENTS.contains(&k.as_str()) {
                    Some(k.as_str())
                } else if k == "identifier" || k == "meta" {
                    None
                } else {
                    // Inside a provenance element: performer[].actor...
                    element
                };
                walk(child, next, file, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, element, file, out);
            }
        }
        _ => {}
    }
}

fn ods_identifier(v: &Value) -> Option<String> {
    ods_identifier_with(v, "value")
}

fn ods_identifier_with(v: &Value, field: &str) -> Option<String> {
    let system = v.get("system")?.as_str()?;
    if !ODS_SYSTEMS.contains(&system) {
        return None;
    }
    let code = v.get(field)?.as_str()?.trim();
    (!code.is_empty()).then(|| code.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_custodian_author_and_performer_actor_in_a_bundle() {
        let b = json!({"resourceType": "Bundle", "entry": [
            {"resource": {"resourceType": "DocumentReference",
                "custodian": {"identifier": {"system": ODS_SYSTEMS[0], "value": "rr8"}},
                "author": [{"identifier": {"system": ODS_SYSTEMS[0], "value": "B86030"}}]}},
            {"resource": {"resourceType": "Observation",
                "performer": [{"identifier": {"system": ODS_SYSTEMS[0], "value": "RGD"}}],
                "subject": {"identifier": {"system": ODS_SYSTEMS[0], "value": "NOPE"}}}}
        ]});
        let seen: Vec<(String, String)> = observed_ods(&b, "f.json")
            .into_iter()
            .map(|s| (s.ods, s.element))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("RR8".into(), "custodian".into()),
                ("B86030".into(), "author".into()),
                ("RGD".into(), "performer".into())
            ]
        );
    }

    #[test]
    fn other_systems_are_not_ods() {
        let r = json!({"resourceType": "Patient", "managingOrganization":
            {"identifier": {"system": "https://example.org/org", "value": "RR8"}}});
        assert!(observed_ods(&r, "f").is_empty());
    }
}
