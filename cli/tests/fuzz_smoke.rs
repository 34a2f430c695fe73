//! The fuzz targets' bodies (`fuzz/bodies.rs`) under `cargo test`: CI cannot
//! afford to build the libFuzzer targets (20 minutes from a clean clone,
//! fuzz/README.md), so here each body is run for a bounded time on inputs
//! mutated from the same seeds (`fuzz/seed.sh`) with the same dictionaries.
//! Blind mutation, not coverage-guided: it finds shallow faults, and keeps
//! every target's properties (no panic; the bodies' own assertions) checked
//! on every change. `CONFORM_FUZZ_SECONDS` sets the time per target
//! (default 20). A failing input is written to `target/fuzz-smoke/` and
//! named in the failure; replay it with `cargo fuzz run TARGET FILE`.

#[path = "../../fuzz/bodies.rs"]
#[allow(dead_code)]
mod bodies;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn fuzz_dir() -> PathBuf {
    conform_testdata::workspace_root().join("fuzz")
}

/// Runs `fuzz/seed.sh` once per test run: the corpora are built from the
/// fixtures and the shared test data, never committed.
fn corpora() -> &'static Path {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let out = std::process::Command::new("bash")
            .arg(fuzz_dir().join("seed.sh"))
            .env("CONFORM_TESTDATA", conform_testdata::dir())
            .output()
            .expect("bash runs fuzz/seed.sh");
        assert!(
            out.status.success(),
            "fuzz/seed.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        fuzz_dir().join("corpus")
    })
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = corpora().join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    seeds.sort();
    assert!(
        !seeds.is_empty(),
        "no seeds for {target} in {}",
        dir.display()
    );
    seeds
}

/// The tokens of a libFuzzer dictionary (`"token"` or `name="token"` lines,
/// with `\xNN`, `\"` and `\\` escapes).
fn dictionary(name: &str) -> Vec<Vec<u8>> {
    if name.is_empty() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(fuzz_dir().join("dict").join(name)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let start = l.find('"')?;
            let end = l.rfind('"')?;
            (end > start).then(|| unescape(&l[start + 1..end]))
        })
        .collect()
}

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'x' && i + 3 < b.len() {
                if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// xorshift64*: reproducible runs from a fixed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four of libFuzzer's simpler mutations of a seed: flip, set or
/// insert bytes, erase or duplicate a range, insert a dictionary token,
/// splice with another seed, truncate.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], dict: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(8) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] = rng.next() as u8;
            }
            2 => data.insert(at, rng.next() as u8),
            3 => {
                let end = (at + 1 + rng.below(32)).min(data.len());
                data.drain(at.min(end)..end);
            }
            4 => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                let copy = data[at.min(end)..end].to_vec();
                let to = rng.below(data.len() + 1);
                data.splice(to..to, copy);
            }
            5 if !dict.is_empty() => {
                let token = &dict[rng.below(dict.len())];
                data.splice(at..at, token.iter().copied());
            }
            6 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            _ => data.truncate(at),
        }
    }
    data
}

fn budget() -> Duration {
    let secs = std::env::var("CONFORM_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// Runs `body` on every seed, then on mutated seeds until the budget is
/// spent; a panic fails the test naming the input, written out to replay.
fn fuzz(target: &str, dict: &str, body: fn(&[u8])) {
    let seeds = seeds(target);
    let dict = dictionary(dict);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
    let start = Instant::now();
    let mut execs = 0u64;
    let mut run = |data: Vec<u8>| {
        let result = std::panic::catch_unwind(|| body(&data));
        if result.is_err() {
            let dir = conform_testdata::workspace_root().join("target/fuzz-smoke");
            std::fs::create_dir_all(&dir).expect("target/fuzz-smoke");
            let file = dir.join(format!("{target}-{execs}.bin"));
            std::fs::write(&file, &data).expect("write the failing input");
            panic!(
                "fuzz target {target} panicked on the input written to {}",
                file.display()
            );
        }
        execs += 1;
    };
    for seed in &seeds {
        run(seed.clone());
    }
    while start.elapsed() < budget() {
        run(mutate(&mut rng, &seeds, &dict));
    }
    eprintln!(
        "fuzz smoke {target}: {execs} executions in {:.1} s from {} seeds",
        start.elapsed().as_secs_f64(),
        seeds.len()
    );
    assert!(execs > seeds.len() as u64, "{target}: no mutated input ran");
}

#[test]
fn json() {
    fuzz("json", "json.dict", bodies::json);
}

#[test]
fn xml() {
    fuzz("xml", "", bodies::xml);
}

#[test]
fn fhirpath_parse() {
    fuzz("fhirpath_parse", "fhirpath.dict", bodies::fhirpath_parse);
}

#[test]
fn fhirpath_eval() {
    fuzz("fhirpath_eval", "fhirpath.dict", bodies::fhirpath_eval);
}

#[test]
fn package() {
    fuzz("package", "", bodies::package);
}

#[test]
fn scenario() {
    fuzz("scenario", "", bodies::scenario);
}

#[test]
fn regions() {
    fuzz("regions", "", bodies::regions);
}

#[test]
fn xhtml() {
    fuzz("xhtml", "", bodies::xhtml);
}

#[test]
fn reports() {
    fuzz("reports", "json.dict", bodies::reports);
}

#[test]
fn validate() {
    fuzz("validate", "json.dict", bodies::validate);
}
