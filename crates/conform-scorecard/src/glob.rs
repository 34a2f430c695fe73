//! `*` wildcards for check ids, rule ids and requirement ids.

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters (case-sensitive).
pub fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Whether any pattern matches; an empty list matches everything.
pub fn any(patterns: &[String], text: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches("metadata.*", "metadata.fhirVersion"));
        assert!(matches("*.search.paging", "Patient.search.paging"));
        assert!(matches("*AUDIT*", "NRL-AUDIT-1"));
        assert!(matches("nhs-number-*", "nhs-number-check-digit"));
        assert!(!matches("metadata.*", "smart.metadata"));
        assert!(matches("exact", "exact"));
        assert!(!matches("a*b*c", "acb"));
    }
}
