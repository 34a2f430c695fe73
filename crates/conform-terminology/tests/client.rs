//! The terminology client against the stand-in terminology server
//! (`conform_peers::TxServer`, FHIR R4 operations from the test packages
//! and our SNOMED CT test subset): batching, the cache, replay, token
//! refresh, and every failure ending in "not checked" with the reason.

use conform_outcome::terminology::{CodeAnswer, CodeChecker, CodeQuestion, Verdict};
use conform_peers::{TxFault, TxServer, TxServerOptions};
use conform_regions::{AuthConfig, SecretMethod};
use conform_terminology::{Terminology, TxConfig, SNOMED};
use std::time::Duration;

const FINDINGS: &str = "https://conform.test/fhir/ValueSet/test-clinical-findings";
const GENDER: &str = "http://hl7.org/fhir/ValueSet/administrative-gender";

fn server() -> TxServer {
    TxServer::start(
        TxServerOptions::default()
            .package(conform_testdata::packages_dir().join("hl7.fhir.r4.core-4.0.1.tgz")),
    )
    .expect("terminology server starts")
}

fn config(url: &str) -> TxConfig {
    TxConfig {
        url: Some(url.to_string()),
        timeout: Some("5s".into()),
        retries: Some(1),
        ..TxConfig::default()
    }
}

fn snomed(code: &str, display: Option<&str>) -> CodeQuestion {
    CodeQuestion {
        value_set: None,
        system: SNOMED.into(),
        version: None,
        code: code.into(),
        display: display.map(str::to_string),
    }
}

fn in_vs(vs: &str, system: &str, code: &str) -> CodeQuestion {
    CodeQuestion {
        value_set: Some(vs.into()),
        system: system.into(),
        version: None,
        code: code.into(),
        display: None,
    }
}

fn verdicts(answers: &[CodeAnswer]) -> Vec<Verdict> {
    answers.iter().map(|a| a.verdict).collect()
}

#[test]
fn answers_every_kind_of_question() {
    let tx = server();
    let cache = tempfile::tempdir().unwrap();
    let t = Terminology::new(config(&tx.base_url()), Some(cache.path())).unwrap();
    let answers = t.check(&[
        snomed("22298006", Some("Myocardial infarction")),
        snomed("22298006", Some("Broken heart")),
        snomed("999999999", None),
        snomed("324252006", None),
        in_vs(FINDINGS, SNOMED, "22298006"),
        in_vs(FINDINGS, SNOMED, "71388002"),
        in_vs(
            GENDER,
            "http://hl7.org/fhir/administrative-gender",
            "female",
        ),
        in_vs(
            "https://conform.test/fhir/ValueSet/nowhere",
            SNOMED,
            "22298006",
        ),
        CodeQuestion {
            system: "http://loinc.org".into(),
            ..snomed("8867-4", None)
        },
    ]);
    assert_eq!(
        verdicts(&answers),
        [
            Verdict::Valid,
            Verdict::Valid,
            Verdict::InvalidCode,
            Verdict::Valid,
            Verdict::Valid,
            Verdict::NotInValueSet,
            Verdict::Valid,
            Verdict::NotChecked,
            Verdict::NotChecked,
        ]
    );
    assert_eq!(answers[0].display_valid, Some(true));
    assert_eq!(answers[1].display_valid, Some(false));
    assert_eq!(answers[1].display.as_deref(), Some("Myocardial infarction"));
    assert!(
        answers[3].inactive,
        "324252006 is inactive: {:?}",
        answers[3]
    );
    assert!(
        answers[7].message.as_deref().unwrap().contains("HTTP 404"),
        "{:?}",
        answers[7]
    );
    let loinc = answers[8].message.as_deref().unwrap();
    assert!(
        loinc.contains("does not know the code system http://loinc.org"),
        "{loinc}"
    );
}

#[test]
fn asks_once_per_distinct_question_in_batches() {
    let tx = server();
    let mut cfg = config(&tx.base_url());
    cfg.batch_size = Some(10);
    cfg.concurrency = Some(3);
    let t = Terminology::new(cfg, None).unwrap();
    // 25 distinct questions, each asked four times over.
    let distinct: Vec<CodeQuestion> = (0..25)
        .map(|i| snomed(&format!("1000{i}"), Some(&format!("display {i}"))))
        .collect();
    let mut questions = Vec::new();
    for _ in 0..4 {
        questions.extend(distinct.iter().cloned());
    }
    let answers = t.check(&questions[..50]);
    assert_eq!(answers.len(), 50);
    // The first 50 hold each question twice; the run memory answers the
    // rest without the server.
    let again = t.check(&questions[50..]);
    assert!(again.iter().all(|a| a.verdict == Verdict::InvalidCode));
    let s = t.stats();
    assert_eq!(s.questions, 100);
    assert_eq!(s.asked, 25, "{s:?}");
    assert_eq!(s.from_run, 75, "{s:?}");
    // 25 questions in batches of 10: 3 batch requests (plus metadata).
    assert_eq!(tx.count("batch"), 3);
    assert_eq!(tx.batch_entries(), 25);
    assert_eq!(tx.count("CodeSystem/$validate-code"), 25);
}

#[test]
fn the_cache_answers_the_next_run_and_replays_offline() {
    let tx = server();
    let cache = tempfile::tempdir().unwrap();
    let questions = [
        snomed("22298006", Some("Myocardial infarction")),
        snomed("999999999", None),
        in_vs(FINDINGS, SNOMED, "71388002"),
    ];
    let first = Terminology::new(config(&tx.base_url()), Some(cache.path()))
        .unwrap()
        .check(&questions);
    let after_first = tx.requests();
    assert!(after_first > 0);

    let second = Terminology::new(config(&tx.base_url()), Some(cache.path())).unwrap();
    assert_eq!(second.check(&questions), first);
    assert_eq!(tx.requests(), after_first, "a warm cache makes no request");
    assert_eq!(second.stats().from_cache, 3);

    // Replay: no network at all (the server is gone), same verdicts; a
    // question the cache does not hold stays not checked, with the reason.
    let url = tx.base_url();
    drop(tx);
    let mut replay = config(&url);
    replay.replay = true;
    let t = Terminology::new(replay, Some(cache.path())).unwrap();
    assert!(t.is_replay());
    assert_eq!(t.check(&questions), first);
    let miss = t.check(&[snomed("73211009", None)]);
    assert_eq!(miss[0].verdict, Verdict::NotChecked);
    assert!(miss[0]
        .message
        .as_deref()
        .unwrap()
        .contains("not in the terminology cache"));
    // Replay needs a cache to read.
    let mut no_cache = config(&url);
    no_cache.replay = true;
    assert!(Terminology::new(no_cache, None)
        .unwrap_err()
        .contains("--tx-cache"));
}

#[test]
fn fetches_and_refreshes_client_credentials_tokens_without_leaking_them() {
    let tx = TxServer::start(TxServerOptions::default().client("conform", "s3cret-tx-value"))
        .expect("server");
    tx.set_fault(Some(TxFault::ExpireTokens));
    std::env::set_var("CONFORM_TEST_TX_SECRET", "s3cret-tx-value");
    let mut cfg = config(&tx.base_url());
    cfg.auth = AuthConfig::ClientCredentials {
        token_url: tx.token_url(),
        client_id: "conform".into(),
        secret_env: Some("CONFORM_TEST_TX_SECRET".into()),
        secret_file: None,
        method: SecretMethod::Post,
        scope: None,
    };
    cfg.batch_size = Some(1);
    cfg.concurrency = Some(1);
    let t = Terminology::new(cfg, None).unwrap();
    let answers = t.check(&[
        snomed("22298006", None),
        snomed("73211009", None),
        snomed("999999999", None),
    ]);
    assert_eq!(
        verdicts(&answers),
        [Verdict::Valid, Verdict::Valid, Verdict::InvalidCode]
    );
    assert!(tx.tokens_issued() >= 3, "each expiry fetched a new token");
    // A token that cannot be had leaves codes unchecked, secret unsaid.
    tx.set_fault(Some(TxFault::TokenStatus(401)));
    tx.set_fault(Some(TxFault::Status(401)));
    let answers = t.check(&[snomed("44054006", None)]);
    assert_eq!(answers[0].verdict, Verdict::NotChecked);
    let why = answers[0].message.clone().unwrap();
    assert!(!why.contains("s3cret-tx-value"), "{why}");
}

#[test]
fn every_failure_is_not_checked_with_the_reason_and_never_cached() {
    let tx = server();
    let cache = tempfile::tempdir().unwrap();
    let mut cfg = config(&tx.base_url());
    cfg.timeout = Some("1s".into());
    cfg.retries = Some(0);
    let cases: [(TxFault, &str); 5] = [
        (TxFault::Status(503), "HTTP 503"),
        (TxFault::Status(429), "HTTP 429"),
        (TxFault::Status(500), "HTTP 500"),
        (TxFault::WrongContentType, "not FHIR JSON"),
        (TxFault::NotJson, "not FHIR JSON"),
    ];
    for (fault, expected) in cases {
        tx.set_fault(Some(fault.clone()));
        let t = Terminology::new(cfg.clone(), Some(cache.path())).unwrap();
        for questions in [
            vec![snomed("22298006", None)],
            vec![snomed("22298006", None), snomed("73211009", None)],
        ] {
            for a in t.check(&questions) {
                assert_eq!(a.verdict, Verdict::NotChecked, "{fault:?}");
                let why = a.message.unwrap();
                assert!(why.contains(expected), "{fault:?}: {why}");
            }
        }
    }
    tx.set_fault(Some(TxFault::Slow(Duration::from_secs(3))));
    let t = Terminology::new(cfg.clone(), Some(cache.path())).unwrap();
    let a = &t.check(&[snomed("22298006", None)])[0];
    assert_eq!(a.verdict, Verdict::NotChecked);
    assert!(
        a.message
            .as_deref()
            .unwrap()
            .contains("no complete response within"),
        "{a:?}"
    );
    let stored = conform_terminology::TxCache::shared(cache.path(), true).unwrap();
    assert_eq!(stored.len(), 0, "failures are never kept");
}
