//! `conform-bench terminology`: 10,000 resources with 1,000 distinct codes
//! of a code system no package holds, validated through the terminology
//! client against the stand-in server (`conform_peers::TxServer`): offline
//! (no server), cold cache, warm cache (a new client, the same cache
//! folder) and replay (cache only, server gone). Requests made and wall
//! time for each, so BENCHMARKS.md can show what batching and the cache
//! buy. The server answers in-process on 127.0.0.1, so the cold figure is
//! a floor: a real server adds its network round trips per batch.

use conform_outcome::validate::{ResourceResult, Sink};
use conform_outcome::Outcome;
use conform_peers::{TxServer, TxServerOptions};
use conform_terminology::{Terminology, TxConfig};
use conform_validate::{validate_inputs, Input, Validator};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

const RESOURCES: usize = 10_000;
const DISTINCT: usize = 1_000;
const SYSTEM: &str = "https://conform.test/fhir/CodeSystem/bench-codes";

#[derive(Default)]
struct Count {
    resources: usize,
    findings: usize,
    unverified: usize,
    verified: usize,
}

impl Sink for Count {
    fn resource(&mut self, _: &str, r: &mut ResourceResult) {
        self.resources += 1;
        self.findings += r.findings.len();
        self.verified += r.codes_verified;
        self.unverified += r
            .findings
            .iter()
            .filter(|f| f.rule == conform_outcome::validate::UNVERIFIED_RULE)
            .count();
    }
    fn file_failed(&mut self, name: &str, f: Outcome) {
        panic!("{name}: {}", f.message);
    }
}

pub fn run(validator: &Validator) {
    let dir = tempfile::tempdir().expect("temp dir");
    let concepts: Vec<_> = (0..DISTINCT)
        .map(|i| json!({"code": format!("c{i}"), "display": format!("Concept {i}")}))
        .collect();
    let cs = dir.path().join("bench-codes.json");
    std::fs::write(
        &cs,
        json!({"resourceType": "CodeSystem", "url": SYSTEM, "version": "1", "status": "active",
               "content": "complete", "concept": concepts})
        .to_string(),
    )
    .unwrap();
    let ndjson = dir.path().join("observations.ndjson");
    let mut text = String::new();
    for i in 0..RESOURCES {
        let c = i % DISTINCT;
        // One in a hundred carries a wrong display, so answers are mixed.
        let display = if i % 100 == 7 {
            "Wrong".to_string()
        } else {
            format!("Concept {c}")
        };
        text.push_str(
            &json!({"resourceType": "Observation", "id": format!("o{i}"), "status": "final",
                    "code": {"coding": [{"system": SYSTEM, "code": format!("c{c}"), "display": display}]}})
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(&ndjson, text).unwrap();
    let inputs = [Input::File(ndjson)];
    let server = TxServer::start(TxServerOptions {
        files: vec![cs],
        ..TxServerOptions::default()
    })
    .expect("terminology server");
    let cache = dir.path().join("tx-cache");
    let client_with = |replay: bool, batch_size: usize, cache: &std::path::Path| {
        Arc::new(
            Terminology::new(
                TxConfig {
                    url: Some(server.base_url()),
                    replay,
                    batch_size: Some(batch_size),
                    ..TxConfig::default()
                },
                Some(cache),
            )
            .expect("client"),
        )
    };
    let client =
        |replay: bool| client_with(replay, conform_terminology::DEFAULT_BATCH_SIZE, &cache);
    println!(
        "{RESOURCES} Observations, {DISTINCT} distinct codes of a code system only the terminology server holds\n"
    );
    println!("| run | wall time | requests to the server | questions asked | answered from cache | codes decided | codes not checked |\n|---|---:|---:|---:|---:|---:|---:|");
    let measure = |name: &str, t: Option<Arc<Terminology>>| {
        let before = server.requests();
        let v = validator.with_code_checker(
            t.clone()
                .map(|t| t as Arc<dyn conform_validate::CodeChecker>),
        );
        let mut count = Count::default();
        let start = Instant::now();
        validate_inputs(&v, &inputs, &mut count);
        let wall = start.elapsed();
        assert_eq!(count.resources, RESOURCES);
        let s = t.as_ref().map(|t| t.stats()).unwrap_or_default();
        println!(
            "| {name} | {:.2} s | {} | {} | {} | {} | {} |",
            wall.as_secs_f64(),
            server.requests() - before,
            s.asked,
            s.from_cache,
            count.verified,
            count.unverified,
        );
    };
    measure("offline (no server)", None);
    measure("cold cache", Some(client(false)));
    measure("warm cache (new client, same cache)", Some(client(false)));
    measure("replay (cache only)", Some(client(true)));
    // A real server is a network round trip away: 50 ms a request.
    server.set_fault(Some(conform_peers::TxFault::Slow(
        std::time::Duration::from_millis(50),
    )));
    let fresh = dir.path().join("tx-cache-slow");
    measure(
        "cold cache, server 50 ms a request, batches of 100",
        Some(client_with(false, 100, &fresh)),
    );
    let unbatched = dir.path().join("tx-cache-unbatched");
    measure(
        "cold cache, server 50 ms a request, one question a request",
        Some(client_with(false, 1, &unbatched)),
    );
    measure(
        "warm cache, server 50 ms a request",
        Some(client_with(false, 100, &fresh)),
    );
}
