//! `cargo run --release -p conform-bench`: measures, on this machine, what
//! BENCHMARKS.md reports.
//!
//! - Throughput over an NDJSON corpus of the official R4 examples: parse-only
//!   (serde_json into `IgnoredAny` and into `Value`, our arena parser) beside
//!   validation (one thread, then all cores), in resources/s and MB/s.
//! - Start-up: building the validator cold (compile the R4 core package)
//!   and warm (read the plan cache).
//!
//! Each figure is the best of several rounds, after a warm-up round, so it
//! measures the code rather than the machine's other load.

/// The allocator the `conform` binary uses, so the figures are its figures.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod terminology;

use conform_packages::{PackageSpec, SourceConfig};
use conform_validate::Validator;
use rayon::prelude::*;
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;

fn main() {
    let corpus = corpus();
    let lines: Vec<&[u8]> = corpus
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mb = corpus.len() as f64 / 1e6;
    println!(
        "corpus: {} resources, {:.1} MB (R4 examples as NDJSON)",
        lines.len(),
        mb
    );
    println!("threads available: {}\n", rayon::current_num_threads());

    let (validator, cold, warm) = start_up();
    // `conform-bench validate-loop`: only validation, for profilers.
    // `conform-bench findings`: every finding on the corpus as JSON lines,
    // with and without invariants, then with the uk-core pack over the UK
    // Core examples and the corpus, so two builds can be compared (a
    // performance change must leave this output unchanged).
    // `conform-bench terminology`: cold cache vs warm cache vs replay.
    if std::env::args().nth(1).as_deref() == Some("terminology") {
        return terminology::run(&validator);
    }
    if std::env::args().nth(1).as_deref() == Some("findings") {
        for invariants in [true, false] {
            let v = validator.with_options(conform_validate::Options {
                invariants,
                ..Default::default()
            });
            for (i, l) in lines.iter().enumerate() {
                for f in &v.validate_bytes(l, 0).findings {
                    println!("{invariants} {i} {}", serde_json::to_string(f).unwrap());
                }
            }
        }
        let (_cache, uk, examples) = uk_core_validator();
        let uk_lines = examples.iter().map(Vec::as_slice);
        for (i, l) in uk_lines.chain(lines.iter().copied()).enumerate() {
            for f in &uk.validate_bytes(l, 0).findings {
                println!("uk-core {i} {}", serde_json::to_string(f).unwrap());
            }
        }
        return;
    }
    // `validate-loop --no-invariants`: the same without FHIRPath invariants;
    // `validate-loop --uk-core`: the uk-core pack over the UK Core examples.
    if std::env::args().nth(1).as_deref() == Some("validate-loop") {
        if std::env::args().nth(2).as_deref() == Some("--uk-core") {
            return uk_core(&[]);
        }
        let invariants = std::env::args().nth(2).as_deref() != Some("--no-invariants");
        let validator = validator.with_options(conform_validate::Options {
            invariants,
            ..Default::default()
        });
        for _ in 0..50 {
            for l in &lines {
                std::hint::black_box(validator.validate_bytes(l, 0));
            }
        }
        return;
    }
    println!("| measure | time |\n|---|---|");
    println!(
        "| cold load (compile hl7.fhir.r4.core 4.0.1, write plan cache) | {:.0} ms |",
        ms(cold)
    );
    println!("| warm load (read plan cache) | {:.1} ms |\n", ms(warm));

    let errors: usize = lines
        .iter()
        .map(|l| validator.validate_bytes(l, 0).errors())
        .sum();
    println!("errors found in corpus: {errors} (the known-invalid examples)\n");

    println!("| what (one thread unless noted) | resources/s | MB/s |\n|---|---:|---:|");
    let row = |name: &str, t: Duration| {
        let s = t.as_secs_f64();
        println!("| {name} | {:.0} | {:.0} |", lines.len() as f64 / s, mb / s);
    };
    row(
        "serde_json → IgnoredAny (lex only)",
        best(|| {
            for l in &lines {
                let _: serde::de::IgnoredAny = serde_json::from_slice(l).unwrap();
            }
        }),
    );
    row(
        "serde_json → Value",
        best(|| {
            for l in &lines {
                let v: serde_json::Value = serde_json::from_slice(l).unwrap();
                std::hint::black_box(v);
            }
        }),
    );
    row(
        "conform-json arena parse",
        best(|| {
            for l in &lines {
                std::hint::black_box(conform_json::parse(l).unwrap().node_count());
            }
        }),
    );
    row(
        "conform validate (parse + validate)",
        best(|| {
            for l in &lines {
                std::hint::black_box(validator.validate_bytes(l, 0));
            }
        }),
    );
    row(
        &format!("conform validate, {} threads", rayon::current_num_threads()),
        best(|| {
            let n: usize = lines
                .par_iter()
                .map(|l| validator.validate_bytes(l, 0).findings.len())
                .sum();
            std::hint::black_box(n);
        }),
    );

    let no_inv = validator.with_options(conform_validate::Options {
        invariants: false,
        ..Default::default()
    });
    row(
        "conform validate without invariants",
        best(|| {
            for l in &lines {
                std::hint::black_box(no_inv.validate_bytes(l, 0));
            }
        }),
    );

    uk_core(&lines);
    invariant_costs();
}

/// Per-evaluation cost of typical R4 invariants, on the resource each is
/// written for (parsed once, expression parsed once).
fn invariant_costs() {
    let cases = [
        ("dom-2", "Patient-example.json", "contained.contained.empty()"),
        ("dom-6", "Patient-example.json", "text.`div`.exists()"),
        ("pat-1", "Patient-example.json", "contact.all(name.exists() or telecom.exists() or address.exists() or organization.exists())"),
        ("obs-6", "Observation-example.json", "dataAbsentReason.empty() or value.empty()"),
        ("ext-1", "Patient-example.json", "extension.all(extension.exists() != value.exists())"),
    ];
    println!("\n| invariant (FHIRPath) | resource | ns per evaluation |\n|---|---|---:|");
    for (key, file, expr) in cases {
        let bytes = std::fs::read(conform_testdata::path(&format!("r4/examples/{file}"))).unwrap();
        let doc = conform_json::parse(&bytes).unwrap();
        let e = conform_fhirpath::parse(expr).unwrap();
        let ctx = conform_fhirpath::Context::new();
        let n = 20_000;
        let t = best(|| {
            for _ in 0..n {
                std::hint::black_box(
                    conform_fhirpath::evaluate(&e, &doc, doc.root(), &ctx).unwrap(),
                );
            }
        });
        println!(
            "| {key} `{expr}` | {file} | {:.0} |",
            t.as_nanos() as f64 / n as f64
        );
    }
}

/// UK Core: the pack's profile for each resource type plus national rules,
/// over the UK Core examples and over the R4 corpus, beside parse-only.
fn uk_core(r4_lines: &[&[u8]]) {
    let (_cache, v, examples) = uk_core_validator();
    // `conform-bench validate-loop --uk-core`: only that validation, over
    // the UK Core examples, for profilers.
    if std::env::args().nth(2).as_deref() == Some("--uk-core") {
        for _ in 0..200 {
            for e in &examples {
                std::hint::black_box(v.validate_bytes(e, 0));
            }
        }
        return;
    }
    let uk_lines: Vec<&[u8]> = examples.iter().map(Vec::as_slice).collect();
    for (corpus, lines) in [
        ("UK Core examples", &uk_lines[..]),
        ("R4 examples", r4_lines),
    ] {
        let mb = lines.iter().map(|l| l.len()).sum::<usize>() as f64 / 1e6;
        println!(
            "\n{corpus} with the uk-core pack: {} resources, {mb:.2} MB\n",
            lines.len()
        );
        println!("| what (one thread unless noted) | resources/s | MB/s |\n|---|---:|---:|");
        let row = |name: &str, t: Duration| {
            let s = t.as_secs_f64();
            println!("| {name} | {:.0} | {:.0} |", lines.len() as f64 / s, mb / s);
        };
        row(
            "serde_json → Value (parse only)",
            best(|| {
                for l in lines {
                    std::hint::black_box(serde_json::from_slice::<serde_json::Value>(l).unwrap());
                }
            }),
        );
        row(
            "conform validate, uk-core pack",
            best(|| {
                for l in lines {
                    std::hint::black_box(v.validate_bytes(l, 0));
                }
            }),
        );
        let threads = format!(
            "conform validate, uk-core pack, {} threads",
            rayon::current_num_threads()
        );
        row(
            &threads,
            best(|| {
                let n: usize = lines
                    .par_iter()
                    .map(|l| v.validate_bytes(l, 0).findings.len())
                    .sum();
                std::hint::black_box(n);
            }),
        );
    }
}

/// The validator with the uk-core pack, the UK Core package's examples
/// minified, and the package cache they were read from (kept while the
/// validator is used: it reads some definitions on first use).
fn uk_core_validator() -> (tempfile::TempDir, Validator, Vec<Vec<u8>>) {
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = SourceConfig::with_cache(cache.path().join("packages"));
    cfg.source_dirs = vec![conform_testdata::packages_dir()];
    cfg.offline = true;
    let spec = PackageSpec::parse("fhir.r4.ukcore.stu2#2.0.2").unwrap();
    let resolved = conform_packages::resolve(&cfg, &[spec]).unwrap();
    let (v, _) = Validator::load(&resolved, None).unwrap();
    let pack = conform_validate::pack::Pack::builtin("uk-core")
        .unwrap()
        .unwrap();
    let selection = conform_validate::ProfileSelection {
        per_type: pack.profiles.clone(),
        ..Default::default()
    };
    let v = v.with_profiles(selection).with_rules(pack.rule_set());
    let defs = conform_packages::DefinitionSet::load(&resolved).unwrap();
    let ukcore = resolved
        .iter()
        .find(|p| p.id.name == "fhir.r4.ukcore.stu2")
        .unwrap();
    let examples: Vec<Vec<u8>> = defs
        .examples(&ukcore.id)
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_slice(e.bytes()).unwrap();
            serde_json::to_vec(&v).unwrap()
        })
        .collect();
    (cache, v, examples)
}

/// The official R4 examples, one per line, minified.
fn corpus() -> Vec<u8> {
    let dir = conform_testdata::path("r4/examples");
    let files = conform_json::files::json_files_or_error(&dir).expect("examples");
    let mut out = Vec::new();
    for f in files {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        serde_json::to_writer(&mut out, &v).unwrap();
        out.push(b'\n');
    }
    out
}

/// Builds the validator twice: with an empty plan cache, then a warm one.
fn start_up() -> (Validator, Duration, Duration) {
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = SourceConfig::with_cache(cache.path().join("packages"));
    cfg.source_dirs = vec![conform_testdata::packages_dir()];
    cfg.offline = true;
    let t = Instant::now();
    let resolved = conform_packages::resolve(
        &cfg,
        &[PackageSpec::parse("hl7.fhir.r4.core#4.0.1").unwrap()],
    )
    .unwrap();
    let (_, stats) = Validator::load(&resolved, Some(cache.path())).unwrap();
    assert!(!stats.from_cache);
    let cold = t.elapsed();
    let mut warm = Duration::MAX;
    let mut validator = None;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let resolved = conform_packages::resolve(
            &cfg,
            &[PackageSpec::parse("hl7.fhir.r4.core#4.0.1").unwrap()],
        )
        .unwrap();
        let (v, stats) = Validator::load(&resolved, Some(cache.path())).unwrap();
        assert!(stats.from_cache);
        warm = warm.min(t.elapsed());
        validator = Some(v);
    }
    (validator.unwrap(), cold, warm)
}

fn best(mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
