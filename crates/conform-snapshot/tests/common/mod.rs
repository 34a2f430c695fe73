//! Shared by the integration tests: the real packages from the shared test
//! data, loaded once per test binary, and the element-by-element
//! comparison of a generated snapshot with a published one.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use conform_packages::{DefinitionSet, PackageSpec, SourceConfig};
use serde::Deserialize;
use serde_json::Value;

/// R4 core and UK Core STU2, from the shared test data (offline).
pub fn defs() -> &'static DefinitionSet {
    static D: OnceLock<DefinitionSet> = OnceLock::new();
    D.get_or_init(|| load(&["hl7.fhir.r4.core#4.0.1", "fhir.r4.ukcore.stu2#2.0.2"]))
}

/// R4 core only.
pub fn core() -> &'static DefinitionSet {
    static D: OnceLock<DefinitionSet> = OnceLock::new();
    D.get_or_init(|| load(&["hl7.fhir.r4.core#4.0.1"]))
}

fn load(ids: &[&str]) -> DefinitionSet {
    let cache = tempfile::tempdir().expect("temp dir");
    let mut cfg = SourceConfig::with_cache(cache.path());
    cfg.source_dirs = vec![conform_testdata::packages_dir()];
    cfg.offline = true;
    let specs: Vec<PackageSpec> = ids
        .iter()
        .map(|s| PackageSpec::parse(s).expect("spec"))
        .collect();
    let resolved = conform_packages::resolve(&cfg, &specs)
        .expect("packages resolve from the shared test data");
    DefinitionSet::load(&resolved).expect("packages load")
}

/// `sd` without its snapshot, as a profile is usually authored.
pub fn strip_snapshot(sd: &Value) -> Value {
    let mut v = sd.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("snapshot");
    }
    v
}

/// One disagreement between a published and a generated snapshot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub element: String,
    /// `missing`, `extra`, `order`, `min`, `max`, `type`, `fixed`,
    /// `pattern`, `binding` or `slicing`.
    pub field: String,
    pub detail: String,
}

/// The compared fields of one element, normalised so that spelling
/// variants of the same constraint compare equal (an absent
/// `slicing.ordered` is `false`; slicing descriptions and binding
/// descriptions are documentation, not constraints).
fn fields(e: &Value) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    m.insert(
        "min",
        e.get("min").map(Value::to_string).unwrap_or_default(),
    );
    m.insert(
        "max",
        e.get("max").map(Value::to_string).unwrap_or_default(),
    );
    let types: Vec<String> = e
        .get("type")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let list = |k: &str| {
                let mut v: Vec<&str> = t
                    .get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                v.sort_unstable();
                v.join(",")
            };
            format!(
                "{}[{}]{{{}}}",
                t.get("code").and_then(Value::as_str).unwrap_or(""),
                list("profile"),
                list("targetProfile")
            )
        })
        .collect();
    m.insert("type", types.join(" | "));
    for (field, prefix) in [("fixed", "fixed"), ("pattern", "pattern")] {
        let obj = e.as_object();
        let v: Vec<String> = obj
            .into_iter()
            .flatten()
            .filter(|(k, _)| {
                k.strip_prefix(prefix)
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        m.insert(field, v.join(";"));
    }
    let b = e.get("binding");
    m.insert(
        "binding",
        format!(
            "{} {}",
            b.and_then(|b| b.get("strength"))
                .and_then(Value::as_str)
                .unwrap_or(""),
            b.and_then(|b| b.get("valueSet"))
                .and_then(Value::as_str)
                .unwrap_or("")
        )
        .trim()
        .to_string(),
    );
    let s = e.get("slicing");
    let slicing = s.map(|s| {
        let d: Vec<String> = s
            .get("discriminator")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|d| {
                format!(
                    "{}:{}",
                    d.get("type").and_then(Value::as_str).unwrap_or(""),
                    d.get("path").and_then(Value::as_str).unwrap_or("")
                )
            })
            .collect();
        format!(
            "{} ordered={} rules={}",
            d.join(","),
            s.get("ordered").and_then(Value::as_bool).unwrap_or(false),
            s.get("rules").and_then(Value::as_str).unwrap_or("")
        )
    });
    m.insert("slicing", slicing.unwrap_or_default());
    m
}

fn snapshot(sd: &Value) -> Vec<&Value> {
    sd.pointer("/snapshot/element")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect()
}

fn id_of(e: &Value) -> String {
    e.get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Compares the snapshots element by element (by id). Returns the
/// differences and the number of elements compared (the union of ids).
pub fn compare(published: &Value, generated: &Value) -> (Vec<Difference>, usize) {
    let p = snapshot(published);
    let g = snapshot(generated);
    let gi: BTreeMap<String, &Value> = g.iter().map(|e| (id_of(e), *e)).collect();
    let pi: BTreeMap<String, &Value> = p.iter().map(|e| (id_of(e), *e)).collect();
    let mut diffs = Vec::new();
    for e in &p {
        let id = id_of(e);
        match gi.get(&id) {
            None => diffs.push(Difference {
                element: id,
                field: "missing".into(),
                detail: "not generated".into(),
            }),
            Some(ge) => {
                let (a, b) = (fields(e), fields(ge));
                for (k, v) in &a {
                    if b.get(k) != Some(v) {
                        diffs.push(Difference {
                            element: id.clone(),
                            field: k.to_string(),
                            detail: format!(
                                "published '{v}', generated '{}'",
                                b.get(k).cloned().unwrap_or_default()
                            ),
                        });
                    }
                }
            }
        }
    }
    for e in &g {
        let id = id_of(e);
        if !pi.contains_key(&id) {
            diffs.push(Difference {
                element: id,
                field: "extra".into(),
                detail: "not published".into(),
            });
        }
    }
    let common_p: Vec<String> = p
        .iter()
        .map(|e| id_of(e))
        .filter(|i| gi.contains_key(i))
        .collect();
    let common_g: Vec<String> = g
        .iter()
        .map(|e| id_of(e))
        .filter(|i| pi.contains_key(i))
        .collect();
    if let Some((a, _)) = common_p.iter().zip(&common_g).find(|(a, b)| a != b) {
        diffs.push(Difference {
            element: a.clone(),
            field: "order".into(),
            detail: "elements out of order from here".into(),
        });
    }
    let union = pi.len() + g.iter().filter(|e| !pi.contains_key(&id_of(e))).count();
    (diffs, union)
}

/// A committed list of known differences, grouped by reason: it may only
/// shrink. Each entry is `"<profile id> <element id> <field>"`.
#[derive(Deserialize)]
pub struct KnownList {
    #[serde(default)]
    pub known: Vec<KnownGroup>,
}

#[derive(Deserialize)]
pub struct KnownGroup {
    pub reason: String,
    pub entries: Vec<String>,
}

/// One profile's row in the agreement table.
pub struct Row {
    pub profile: String,
    pub elements: usize,
    pub agreeing: usize,
    pub error: Option<String>,
}

/// Regenerates each published profile from its differential, compares, and
/// prints the agreement table. Returns the overall element agreement rate
/// and the ratchet problems (differences not listed in `known_toml`, and
/// listed ones that no longer occur).
pub fn check_agreement(
    title: &str,
    published: &[&Value],
    defs: &dyn conform_snapshot::Definitions,
    known_toml: &str,
) -> (f64, Vec<String>) {
    let known: KnownList = toml::from_str(known_toml).expect("known differences list parses");
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for g in &known.known {
        for e in &g.entries {
            listed.insert(e.clone(), g.reason.clone());
        }
    }
    let mut rows = Vec::new();
    let mut actual: Vec<String> = Vec::new();
    for sd in published {
        let id = sd
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        match conform_snapshot::generate(&strip_snapshot(sd), defs) {
            Ok(generated) => {
                let (diffs, n) = compare(sd, &generated);
                let bad: std::collections::BTreeSet<&str> =
                    diffs.iter().map(|d| d.element.as_str()).collect();
                rows.push(Row {
                    profile: id.clone(),
                    elements: n,
                    agreeing: n - bad.len(),
                    error: None,
                });
                actual.extend(
                    diffs
                        .iter()
                        .map(|d| format!("{id} {} {}", d.element, d.field)),
                );
            }
            Err(e) => {
                let n = snapshot(sd).len();
                rows.push(Row {
                    profile: id.clone(),
                    elements: n,
                    agreeing: 0,
                    error: Some(e.to_string()),
                });
                actual.push(format!("{id} * error"));
            }
        }
    }
    let (total, agreeing): (usize, usize) = rows
        .iter()
        .fold((0, 0), |(t, a), r| (t + r.elements, a + r.agreeing));
    let rate = if total == 0 {
        0.0
    } else {
        agreeing as f64 / total as f64
    };
    println!("\n{title}: snapshot regenerated from the differential vs published");
    println!(
        "{:<60} {:>9} {:>9} {:>7}",
        "profile", "elements", "agreeing", "rate"
    );
    for r in &rows {
        let pct = if r.elements == 0 {
            100.0
        } else {
            100.0 * r.agreeing as f64 / r.elements as f64
        };
        println!(
            "{:<60} {:>9} {:>9} {:>6.1}%{}",
            r.profile,
            r.elements,
            r.agreeing,
            pct,
            r.error
                .as_ref()
                .map(|e| format!("  ERROR {e}"))
                .unwrap_or_default()
        );
    }
    println!(
        "{:<60} {:>9} {:>9} {:>6.1}%",
        "TOTAL",
        total,
        agreeing,
        100.0 * rate
    );
    let mut problems = Vec::new();
    let actual_set: std::collections::BTreeSet<&String> = actual.iter().collect();
    let unlisted: Vec<&&String> = actual_set
        .iter()
        .filter(|a| !listed.contains_key(**a))
        .collect();
    if !unlisted.is_empty() {
        problems.push(format!(
            "{} difference(s) not in the known list (fix them, or add them with a reason):\n{}",
            unlisted.len(),
            unlisted
                .iter()
                .map(|a| format!("  \"{a}\","))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    for (entry, reason) in &listed {
        if !actual_set.contains(entry) {
            problems.push(format!(
                "listed as a known difference ({reason}) but no longer differs: remove \"{entry}\""
            ));
        }
    }
    (rate, problems)
}
