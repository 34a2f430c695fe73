//! Committed lists of examples that are genuinely invalid, each with the
//! rules it breaks and why. Checking results against a list fails on an
//! unexpected error, on a listed example that now passes (remove it) and on
//! one that fails for other rules (re-check it): lists only shrink or stay
//! true.

use conform_validate::ResourceResult;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct File {
    example: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    file: String,
    rules: Vec<String>,
    reason: String,
}

pub struct KnownInvalid(BTreeMap<String, Entry>);

impl KnownInvalid {
    pub fn parse(toml_text: &str) -> KnownInvalid {
        let f: File = toml::from_str(toml_text).expect("known list parses");
        KnownInvalid(f.example.into_iter().map(|e| (e.file.clone(), e)).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Checks each (file name, result); returns how many were clean and the
    /// problems found.
    pub fn check<'r>(
        &self,
        results: impl IntoIterator<Item = (String, &'r ResourceResult)>,
    ) -> (usize, Vec<String>) {
        let mut clean = 0;
        let mut problems = Vec::new();
        for (name, result) in results {
            let rules = super::error_rules(result);
            match self.0.get(&name) {
                None if rules.is_empty() => clean += 1,
                None => {
                    let first: Vec<String> = result
                        .findings
                        .iter()
                        .filter(|f| f.severity.is_error())
                        .take(3)
                        .map(|f| {
                            format!(
                                "{}:{} {} [{}] {}",
                                f.line(),
                                f.column(),
                                f.expression(),
                                f.rule,
                                f.message
                            )
                        })
                        .collect();
                    problems.push(format!(
                        "{name}: unexpected errors\n    {}",
                        first.join("\n    ")
                    ));
                }
                Some(k) if rules.is_empty() => problems.push(format!(
                    "{name}: listed ({}) but now validates clean: remove it from the list",
                    k.reason
                )),
                Some(k) if rules != k.rules => problems.push(format!(
                    "{name}: listed with rules {:?} but fails with {rules:?}",
                    k.rules
                )),
                Some(_) => {}
            }
        }
        (clean, problems)
    }

    /// Checks `results` (file name, result) of a corpus named `corpus`,
    /// prints how many were clean, and fails the test on any problem.
    pub fn assert_corpus(&self, corpus: &str, results: &[(String, ResourceResult)]) {
        let (clean, problems) = self.check(results.iter().map(|(n, r)| (n.clone(), r)));
        println!(
            "{clean} of {} {corpus} clean; {} known with defects",
            results.len(),
            self.len()
        );
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}
