//! The reference parity table (`docs/reference-parity.md`): one row per
//! message key of the HL7 validator, each `covered` (with the conform rule
//! ids that cover it), `n/a` or `not yet` (with a note saying why). This
//! test keeps the table honest as rules are added: every rule id it names
//! must exist, every key appears once, and the counts at the top of the
//! page match the rows. (That `rules::ALL` lists each rule once is a unit
//! test next to it in `finding.rs`.)

use conform_validate::finding::rules;
use std::collections::{BTreeMap, HashSet};

const HEADER: &str = "| key | status | conform rule | note |";
const STATUSES: [&str; 3] = ["covered", "n/a", "not yet"];

/// The cells of a markdown table row, split on `|` that are not escaped.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// Whether `id` is a rule conform reports: one of [`rules::ALL`], or
/// `invariant:<key>` for a FHIRPath constraint reported under its key.
fn known_rule(id: &str) -> bool {
    match id.strip_prefix("invariant:") {
        Some(key) => !key.trim().is_empty(),
        None => rules::ALL.contains(&id),
    }
}

#[test]
fn reference_parity_table_is_consistent() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/reference-parity.md"
    );
    let text = std::fs::read_to_string(path).expect("docs/reference-parity.md");
    let mut problems = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stated: BTreeMap<&str, usize> = BTreeMap::new();
    let mut in_table = false;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim();
        if trimmed == HEADER {
            in_table = true;
            continue;
        }
        if !trimmed.starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table {
            // The counts table: `| covered | 12 |`, `| not yet | 3 (...) |`.
            let c = cells(trimmed);
            if let Some(s) = STATUSES
                .iter()
                .find(|s| c.first().map(String::as_str) == Some(**s))
            {
                let number = c
                    .get(1)
                    .and_then(|v| v.split_whitespace().next()?.parse().ok());
                stated.insert(s, number.unwrap_or(usize::MAX));
            }
            continue;
        }
        if trimmed.starts_with("|---") {
            continue;
        }
        let c = cells(trimmed);
        if c.len() != 4 {
            problems.push(format!("line {n}: expected 4 cells, found {}", c.len()));
            continue;
        }
        let key = c[0].trim_matches('`');
        let (status, rule_cell, note) = (c[1].as_str(), &c[2], &c[3]);
        if key.is_empty() {
            problems.push(format!("line {n}: no key"));
        } else if !seen.insert(key.to_string()) {
            problems.push(format!("line {n}: {key} appears twice"));
        }
        let Some(status) = STATUSES.iter().find(|s| **s == status) else {
            problems.push(format!(
                "line {n}: {key}: status '{status}' is not one of {STATUSES:?}"
            ));
            continue;
        };
        *counts.entry(status).or_default() += 1;
        let ids: Vec<&str> = rule_cell
            .split(',')
            .map(|r| r.trim().trim_matches('`').trim())
            .filter(|r| !r.is_empty())
            .collect();
        if *status == "covered" {
            if ids.is_empty() {
                problems.push(format!("line {n}: {key} is covered but names no rule"));
            }
            for id in ids.iter().filter(|id| !known_rule(id)) {
                problems.push(format!("line {n}: {key}: '{id}' is not a conform rule id"));
            }
        } else if note.is_empty() {
            problems.push(format!("line {n}: {key} is {status} but has no note"));
        }
    }
    let total: usize = counts.values().sum();
    println!("reference parity: {total} keys");
    for s in STATUSES {
        println!("  {s}: {}", counts.get(s).copied().unwrap_or(0));
    }
    if total == 0 {
        problems.push("no table rows found".into());
    }
    for s in STATUSES {
        let (have, says) = (counts.get(s).copied().unwrap_or(0), stated.get(s).copied());
        if says != Some(have) {
            problems.push(format!(
                "the counts table says {s} = {says:?}, the rows have {have}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/reference-parity.md:\n{}",
        problems.join("\n")
    );
}
