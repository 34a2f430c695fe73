//! Spotting identifier systems that are meant to be a known one but are
//! not spelt exactly like it. FHIR compares systems as exact strings, so
//! `http://fhir.nhs.uk/Id/nhs-number` is simply not an NHS number to a
//! receiver, however close it looks.

/// Whether `system` is `right` or one of `wrong`, give or take the usual
/// slips: http for https (or the reverse), letter case, a trailing slash,
/// surrounding spaces. (The caller has already ruled out an exact match
/// with `right`.)
pub(super) fn near(system: &str, right: &str, wrong: &[String]) -> bool {
    let s = core(system);
    std::iter::once(right)
        .chain(wrong.iter().map(String::as_str))
        .any(|candidate| core(candidate).eq_ignore_ascii_case(s))
}

/// The part of a system URI that slips do not change.
fn core(uri: &str) -> &str {
    let trimmed = uri.trim();
    let lower_starts = |prefix: &str| {
        trimmed
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let rest = ["https://", "http://"]
        .iter()
        .find(|p| lower_starts(p))
        .map_or(trimmed, |p| &trimmed[p.len()..]);
    rest.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::near;

    const RIGHT: &str = "https://fhir.nhs.uk/Id/nhs-number";

    #[test]
    fn slips_are_near() {
        for s in [
            "http://fhir.nhs.uk/Id/nhs-number",
            "https://fhir.nhs.uk/Id/NHS-number",
            "https://fhir.nhs.uk/Id/nhs-number ",
            "https://fhir.nhs.uk/Id/nhs-number/",
            "HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER",
        ] {
            assert!(near(s, RIGHT, &[]), "{s}");
        }
    }

    #[test]
    fn listed_wrong_systems_and_their_slips_are_near() {
        let wrong = vec!["http://fhir.nhs.net/Id/nhs-number".to_string()];
        assert!(near("http://fhir.nhs.net/Id/nhs-number", RIGHT, &wrong));
        assert!(near("https://fhir.nhs.net/Id/nhs-number", RIGHT, &wrong));
        assert!(!near("http://fhir.nhs.net/Id/nhs-number", RIGHT, &[]));
    }

    #[test]
    fn other_systems_are_not_near() {
        for s in [
            "https://fhir.nhs.uk/Id/ods-organization-code",
            "https://fhir.nhs.uk/Id/nhs-numbers",
            "urn:oid:2.16.840.1.113883.2.1.4.1",
            "",
            "http://",
            "é",
        ] {
            assert!(!near(s, RIGHT, &[]), "{s}");
        }
    }
}
