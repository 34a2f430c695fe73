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
    if std::env::args().nth(1).as_deref() == Some("validate-loop") {
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
}

/// The official R4 examples, one per line, minified.
fn corpus() -> Vec<u8> {
    let dir = conform_testdata::path("r4/examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
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
