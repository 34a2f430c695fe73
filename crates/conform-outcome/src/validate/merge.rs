//! Joining the reports of the shards of one run (`conform validate --shard
//! K/N`, one CI job each) into the report the unsharded run would have
//! written: files in input order (each shard says where its files stood),
//! an NDJSON file's lines from every shard together in line order, and the
//! counts summed (each resource was validated by exactly one shard).

use super::{Document, FileFailure, FileReport, ResourceResult, Summary, ValidationReport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which shard of a run a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShardInfo {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

/// The shards' documents as one report. Refuses documents of different
/// runs (other packages, another shard count) and a set of shards with one
/// missing or given twice, naming it: a partial merge would pass for a
/// whole run.
pub fn merge(docs: Vec<Document>) -> Result<ValidationReport, String> {
    let first = docs.first().ok_or("nothing to merge")?;
    let count = match first.shard {
        Some(s) => s.count,
        None if docs.len() == 1 => 1,
        None => return Err("the reports are not shards (no `shard` in the first); run `conform validate --shard K/N -f json`".into()),
    };
    let mut seen = vec![false; count];
    for (i, d) in docs.iter().enumerate() {
        let shard = d.shard.unwrap_or(ShardInfo { index: 1, count: 1 });
        if shard.count != count {
            return Err(format!(
                "report {} is shard {}/{}, the first is of {count}",
                i + 1,
                shard.index,
                shard.count
            ));
        }
        if d.packages != first.packages {
            return Err(format!(
                "report {} loaded other packages ({}) than the first ({})",
                i + 1,
                d.packages.join(", "),
                first.packages.join(", ")
            ));
        }
        let slot = shard
            .index
            .checked_sub(1)
            .filter(|&s| s < count)
            .ok_or_else(|| format!("report {} names shard {}/{count}", i + 1, shard.index))?;
        if std::mem::replace(&mut seen[slot], true) {
            return Err(format!("shard {}/{count} is given twice", shard.index));
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(format!("shard {}/{count} is missing", missing + 1));
    }
    let mut report = ValidationReport {
        packages: first.packages.clone(),
        substitutions: first.substitutions.clone(),
        missing_packages: first.missing_packages.clone(),
        ..ValidationReport::default()
    };
    // By path: a file's place in the input list, and what each shard found.
    let mut files: BTreeMap<String, (Option<usize>, FileReport)> = BTreeMap::new();
    let mut sums = Summary::default();
    for d in docs {
        let s = d.summary;
        sums.resources += s.resources;
        sums.errors += s.errors;
        sums.warnings += s.warnings;
        sums.information += s.information;
        sums.unverified += s.unverified;
        sums.codes_verified += s.codes_verified;
        if let Some(ms) = &d.must_support {
            report
                .must_support
                .get_or_insert_with(Default::default)
                .add(ms);
        }
        for f in d.files {
            let (order, merged) = files.entry(f.path.clone()).or_insert_with(|| {
                (
                    f.order,
                    FileReport {
                        path: f.path.clone(),
                        order: None,
                        failure: None,
                        resources: Vec::new(),
                    },
                )
            });
            *order = (*order).min(f.order).or(f.order);
            if let (None, Some(message)) = (&merged.failure, f.error) {
                merged.failure = Some(FileFailure { message }.into_outcome());
            }
            merged
                .resources
                .extend(f.resources.into_iter().map(|r| ResourceResult {
                    resource_type: r.resource_type,
                    id: r.id,
                    line: r.line,
                    findings: r.issues,
                    ..ResourceResult::default()
                }));
        }
    }
    let mut files: Vec<(Option<usize>, FileReport)> = files.into_values().collect();
    // Input order where the shards said it; by path otherwise (stable).
    files.sort_by_key(|(order, _)| order.unwrap_or(usize::MAX));
    for (_, f) in &mut files {
        f.resources.sort_by_key(|r| r.line);
    }
    sums.files = files.len();
    sums.unreadable = files.iter().filter(|(_, f)| f.failure.is_some()).count();
    report.summary = sums;
    report.files = files.into_iter().map(|(_, f)| f).collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{FileDocument, ResourceDocument, Tool, SCHEMA};

    fn doc(index: usize, files: Vec<FileDocument>) -> Document {
        let resources: usize = files.iter().map(|f| f.resources.len()).sum();
        Document {
            schema: SCHEMA.into(),
            tool: Tool {
                name: "conform".into(),
                version: "0".into(),
            },
            packages: vec!["hl7.fhir.r4.core#4.0.1".into()],
            substitutions: vec![],
            missing_packages: vec![],
            summary: Summary {
                files: files.len(),
                resources,
                ..Summary::default()
            },
            files,
            shard: Some(ShardInfo { index, count: 2 }),
            must_support: None,
        }
    }

    fn file(path: &str, order: usize, lines: &[u32]) -> FileDocument {
        FileDocument {
            path: path.into(),
            order: Some(order),
            error: None,
            resources: lines
                .iter()
                .map(|&line| ResourceDocument {
                    resource_type: Some("Patient".into()),
                    id: None,
                    line,
                    valid: true,
                    issues: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn joins_files_in_input_order_and_ndjson_lines_in_line_order() {
        let one = doc(
            1,
            vec![
                file("z.json", 0, &[1]),
                file("big.ndjson", 1, &[1, 2]),
                file("a.json", 2, &[1]),
            ],
        );
        let two = doc(
            2,
            vec![file("big.ndjson", 1, &[1001]), file("m.json", 3, &[1])],
        );
        let merged = merge(vec![two, one]).unwrap();
        let paths: Vec<&str> = merged.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["z.json", "big.ndjson", "a.json", "m.json"]);
        let lines: Vec<u32> = merged.files[1].resources.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 1001]);
        assert_eq!((merged.summary.files, merged.summary.resources), (4, 6));
    }

    #[test]
    fn refuses_a_partial_or_mixed_set() {
        let one = || doc(1, vec![file("a.json", 0, &[1])]);
        assert!(merge(vec![one()])
            .unwrap_err()
            .contains("shard 2/2 is missing"));
        assert!(merge(vec![one(), one()])
            .unwrap_err()
            .contains("given twice"));
        let mut other = doc(2, vec![]);
        other.packages = vec!["fhir.r4.ukcore.stu2#2.0.2".into()];
        assert!(merge(vec![one(), other])
            .unwrap_err()
            .contains("other packages"));
        assert!(merge(vec![]).is_err());
    }
}
