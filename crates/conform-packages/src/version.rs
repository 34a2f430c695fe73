//! Just enough version logic to pick "the latest" and to honour the `4.0.x`
//! wildcards some packages put in their `dependencies`. FHIR package versions
//! are semver-like but not strictly semver, so the comparison is forgiving.

use std::cmp::Ordering;

/// True when `v` names one concrete version (not empty, not `latest`, no `x`/`*`).
pub(crate) fn is_exact(v: &str) -> bool {
    !v.is_empty() && v != "latest" && !v.split('.').any(is_wildcard_part)
}

fn is_wildcard_part(p: &str) -> bool {
    matches!(p, "x" | "X" | "*")
}

/// True when concrete version `candidate` satisfies `wanted`: equal, or
/// `wanted` is empty/`latest`, or each non-wildcard part of `wanted` matches.
/// Pre-releases only satisfy a wildcard when asked for exactly.
pub(crate) fn satisfies(wanted: &str, candidate: &str) -> bool {
    if wanted == candidate {
        return true;
    }
    if is_exact(wanted) {
        return false;
    }
    if candidate.contains('-') {
        return false;
    }
    if wanted.is_empty() || wanted == "latest" {
        return true;
    }
    let mut have = candidate.split('.');
    for part in wanted.split('.') {
        if is_wildcard_part(part) {
            return true;
        }
        if have.next() != Some(part) {
            return false;
        }
    }
    have.next().is_none()
}

/// Orders versions: numeric parts numerically, a release after its
/// pre-releases (`1.0.0-ballot < 1.0.0`), anything else by text.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (a_main, a_pre) = split_pre(a);
    let (b_main, b_pre) = split_pre(b);
    let mut ai = a_main.split('.');
    let mut bi = b_main.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => break,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = compare_part(x, y);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
    match (a_pre, b_pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

fn split_pre(v: &str) -> (&str, Option<&str>) {
    match v.split_once('-') {
        Some((main, pre)) => (main, Some(pre)),
        None => (v, None),
    }
}

fn compare_part(x: &str, y: &str) -> Ordering {
    match (x.parse::<u64>(), y.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => x.cmp(y),
    }
}

/// The highest of `candidates` that satisfies `wanted`.
pub(crate) fn best_match<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| satisfies(wanted, c))
        .max_by(|a, b| compare(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_numerically_with_prereleases_first() {
        assert_eq!(compare("4.0.10", "4.0.9"), Ordering::Greater);
        assert_eq!(compare("1.0.0-ballot", "1.0.0"), Ordering::Less);
        assert_eq!(compare("2.0", "2.0.0"), Ordering::Less);
        assert_eq!(compare("3.0.1", "3.0.1"), Ordering::Equal);
    }

    #[test]
    fn wildcards_and_latest() {
        assert!(satisfies("4.0.x", "4.0.1"));
        assert!(!satisfies("4.0.x", "4.1.0"));
        assert!(satisfies("", "7.0.1"));
        assert!(!satisfies("", "7.0.1-ballot"));
        assert!(satisfies("7.0.1-ballot", "7.0.1-ballot"));
        assert_eq!(
            best_match("", ["6.5.0", "7.0.1", "10.0.0-snapshot"]),
            Some("7.0.1")
        );
        assert_eq!(best_match("6.x", ["6.5.0", "7.0.1"]), Some("6.5.0"));
    }
}
