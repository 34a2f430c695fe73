//! Asks a FHIR R4 terminology server (NHS England's Terminology Server,
//! tx.fhir.org, any server with the R4 terminology operations) about the
//! codes the loaded packages cannot judge: SNOMED CT, dm+d, LOINC, ICD-10...
//!
//! [`Terminology`] is the validator's [`CodeChecker`]: it takes all the
//! questions of a batch of resources at once, answers what it already
//! knows (this run's answers, then the on-disk [`cache::TxCache`]), and
//! sends the rest as `$validate-code` batch Bundles, several in flight at
//! once, through conform's HTTP client (the same auth, TLS, retries,
//! limits and secret redaction as a region). With `replay` it never
//! touches the network: a cache miss stays "not checked", with the reason.
//! Nothing the server fails to say becomes a verdict: time-outs, HTTP
//! errors, unknown code systems and value sets are "not checked".

pub mod cache;
mod config;
mod operations;
pub mod wire;

pub use cache::{ServerInfo, TxCache};
pub use config::{TxConfig, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, SNOMED, UK_EDITION};
pub use conform_regions::AuthConfig;
pub use operations::{expand, lookup, Lookup};

use cache::Stored;
use conform_endpoint::{map_bounded, Endpoint, Request};
use conform_outcome::terminology::{CodeAnswer, CodeChecker, CodeQuestion, Verdict};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Counts of one run, for reports and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TxStats {
    /// Questions put to the checker (distinct within each batch).
    pub questions: u64,
    /// Answered from this run's earlier answers.
    pub from_run: u64,
    /// Answered from the on-disk cache.
    pub from_cache: u64,
    /// Sent to the server.
    pub asked: u64,
    /// HTTP requests made (batches, single fall-backs and metadata).
    pub requests: u64,
    /// Questions left undecided (server errors, unknown systems, replay misses).
    pub not_checked: u64,
}

#[derive(Default)]
struct Counters {
    questions: AtomicU64,
    from_run: AtomicU64,
    from_cache: AtomicU64,
    asked: AtomicU64,
    not_checked: AtomicU64,
}

pub struct Terminology {
    config: TxConfig,
    server: String,
    /// `None` when replaying from the cache.
    endpoint: Option<Endpoint>,
    cache: Option<std::sync::Arc<TxCache>>,
    /// This run's answers, by cache key.
    run: Mutex<FxHashMap<String, CodeAnswer>>,
    info: OnceLock<Option<ServerInfo>>,
    counters: Counters,
}

impl std::fmt::Debug for Terminology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminology")
            .field("server", &self.server)
            .field("replay", &self.config.replay)
            .finish()
    }
}

impl Terminology {
    /// A client for the configured server, with its cache in `cache_dir`
    /// (none: answers last for this run only). Replay needs a cache.
    pub fn new(config: TxConfig, cache_dir: Option<&Path>) -> Result<Terminology, String> {
        let region = config.as_region()?;
        config.timeout()?;
        // With `[terminology] auth`, a token or secret goes with every
        // request: plain http:// only to loopback then (`as_region` lists
        // the server's host as a test host only when there is no auth).
        for url in std::iter::once(region.base_url.as_str()).chain(region.auth.token_url()) {
            if region.plain_http_refusal(url).is_some() {
                return Err(format!(
                    "refusing plain http:// to {url} for the terminology server: [terminology] auth \
                     sends credentials with every request, and they travel only over https:// \
                     (or to loopback); nothing was sent"
                ));
            }
        }
        let cache = match (cache_dir, config.replay) {
            (Some(dir), replay) => Some(TxCache::shared(dir, replay)?),
            (None, true) => {
                return Err(
                    "--tx-replay answers from a terminology cache: give --tx-cache DIR".into(),
                )
            }
            (None, false) => None,
        };
        let endpoint = if config.replay {
            None
        } else {
            Some(Endpoint::new(&region).map_err(|e| format!("terminology server: {e}"))?)
        };
        Ok(Terminology {
            server: region.base_url.clone(),
            config,
            endpoint,
            cache,
            run: Mutex::new(FxHashMap::default()),
            info: OnceLock::new(),
            counters: Counters::default(),
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn config(&self) -> &TxConfig {
        &self.config
    }

    pub fn is_replay(&self) -> bool {
        self.endpoint.is_none()
    }

    pub fn cache(&self) -> Option<&TxCache> {
        self.cache.as_deref()
    }

    pub fn endpoint(&self) -> Option<&Endpoint> {
        self.endpoint.as_ref()
    }

    pub fn stats(&self) -> TxStats {
        let c = &self.counters;
        TxStats {
            questions: c.questions.load(Ordering::Relaxed),
            from_run: c.from_run.load(Ordering::Relaxed),
            from_cache: c.from_cache.load(Ordering::Relaxed),
            asked: c.asked.load(Ordering::Relaxed),
            requests: self
                .endpoint
                .as_ref()
                .map_or(0, |e| e.exchanges().len() as u64),
            not_checked: c.not_checked.load(Ordering::Relaxed),
        }
    }

    /// What the server says of itself: asked once a run (or read from the
    /// cache when replaying, or when the server cannot be reached).
    pub fn server_info(&self) -> Option<&ServerInfo> {
        self.info
            .get_or_init(|| {
                let fetched = self
                    .endpoint
                    .as_ref()
                    .and_then(|e| operations::server_info(e).ok());
                match fetched {
                    Some(info) => {
                        if let Some(c) = &self.cache {
                            // A cache that cannot be written loses nothing
                            // but speed next time.
                            let _ = c.put_server(&self.server, &info);
                        }
                        Some(info)
                    }
                    None => self.cache.as_ref().and_then(|c| c.server(&self.server)),
                }
            })
            .as_ref()
    }

    /// The version a question is asked in: the coding's, else the
    /// configured edition of its system.
    fn version_for<'q>(&'q self, q: &'q CodeQuestion) -> Option<&'q str> {
        q.version
            .as_deref()
            .or_else(|| self.config.default_version(&q.system))
    }

    fn key(&self, q: &CodeQuestion) -> String {
        cache::key(&self.server, q, self.version_for(q))
    }

    /// Sends `questions` to the server: batches of the configured size,
    /// at most `concurrency` in flight. A question about a value set the
    /// server does not hold is asked again with the value set inline, when
    /// `value_set` has it.
    fn ask(
        &self,
        endpoint: &Endpoint,
        questions: &[&CodeQuestion],
        value_set: &ValueSets<'_>,
    ) -> Vec<CodeAnswer> {
        let chunks: Vec<&[&CodeQuestion]> = questions.chunks(self.config.batch_size()).collect();
        map_bounded(&chunks, self.config.concurrency(), |chunk| {
            self.ask_chunk(endpoint, chunk, value_set)
        })
        .into_iter()
        .flatten()
        .collect()
    }

    fn ask_chunk(
        &self,
        endpoint: &Endpoint,
        chunk: &[&CodeQuestion],
        value_set: &ValueSets<'_>,
    ) -> Vec<CodeAnswer> {
        let sent: Vec<wire::Sent<'_>> = chunk
            .iter()
            .map(|q| (*q, self.version_for(q), None))
            .collect();
        let asked = operations::validate_batch(endpoint, &sent);
        // Value sets the server does not hold, that the validator does.
        let held: Vec<(usize, serde_json::Value)> = asked
            .iter()
            .enumerate()
            .filter(|(_, a)| a.unknown_value_set)
            .filter_map(|(i, _)| Some((i, value_set(chunk[i].value_set.as_deref()?)?)))
            .collect();
        let mut answers: Vec<CodeAnswer> = asked.into_iter().map(|a| a.answer).collect();
        if !held.is_empty() {
            let again: Vec<wire::Sent<'_>> = held
                .iter()
                .map(|(i, vs)| (chunk[*i], self.version_for(chunk[*i]), Some(vs)))
                .collect();
            for ((i, _), a) in held
                .iter()
                .zip(operations::validate_batch(endpoint, &again))
            {
                answers[*i] = a.answer;
            }
        }
        answers
    }
}

/// The value sets the validator holds, by canonical.
type ValueSets<'a> = dyn Fn(&str) -> Option<serde_json::Value> + Sync + 'a;

/// Whether an answer says something about the code (and so may be kept):
/// a verdict, or that the server does not know the code system.
fn worth_keeping(a: &CodeAnswer) -> bool {
    a.verdict != Verdict::NotChecked || a.unknown_system.is_some()
}

impl CodeChecker for Terminology {
    fn check(&self, questions: &[CodeQuestion]) -> Vec<CodeAnswer> {
        self.check_with(questions, &|_| None)
    }

    fn check_with(
        &self,
        questions: &[CodeQuestion],
        value_set: &(dyn Fn(&str) -> Option<serde_json::Value> + Sync),
    ) -> Vec<CodeAnswer> {
        // Each distinct question once, whatever the caller sent.
        let mut first: FxHashMap<&CodeQuestion, usize> = FxHashMap::default();
        let mut distinct: Vec<CodeQuestion> = Vec::new();
        let slots: Vec<usize> = questions
            .iter()
            .map(|q| {
                *first.entry(q).or_insert_with(|| {
                    distinct.push(q.clone());
                    distinct.len() - 1
                })
            })
            .collect();
        let repeats = (questions.len() - distinct.len()) as u64;
        self.counters.from_run.fetch_add(repeats, Ordering::Relaxed);
        self.counters
            .questions
            .fetch_add(repeats, Ordering::Relaxed);
        let answers = self.check_distinct(&distinct, value_set);
        slots.into_iter().map(|i| answers[i].clone()).collect()
    }

    fn asks_about(&self, system: &str) -> bool {
        if !self.config.routes(system) {
            return false;
        }
        if self.config.systems.is_some() {
            return true;
        }
        match self.server_info() {
            Some(info) if !info.code_systems.is_empty() => info.code_systems.contains_key(system),
            _ => true,
        }
    }
}

impl Terminology {
    fn check_distinct(
        &self,
        questions: &[CodeQuestion],
        value_set: &ValueSets<'_>,
    ) -> Vec<CodeAnswer> {
        let n = questions.len();
        self.counters
            .questions
            .fetch_add(n as u64, Ordering::Relaxed);
        let keys: Vec<String> = questions.iter().map(|q| self.key(q)).collect();
        let mut answers: Vec<Option<CodeAnswer>> = vec![None; n];
        for (i, q) in questions.iter().enumerate() {
            if !self.config.routes(&q.system) {
                answers[i] = Some(CodeAnswer::not_checked(format!(
                    "codes of {} are not sent to the terminology server ([terminology] systems)",
                    q.system
                )));
            }
        }
        {
            let run = self.run.lock().unwrap_or_else(|e| e.into_inner());
            for i in 0..n {
                if answers[i].is_none() {
                    if let Some(a) = run.get(&keys[i]) {
                        answers[i] = Some(a.clone());
                        self.counters.from_run.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        let mut fresh: Vec<(String, Stored)> = Vec::new();
        if let Some(cache) = &self.cache {
            let open: Vec<usize> = (0..n).filter(|&i| answers[i].is_none()).collect();
            let wanted: Vec<String> = open.iter().map(|&i| keys[i].clone()).collect();
            match cache.get_many(&wanted) {
                Ok(found) => {
                    for (&i, stored) in open.iter().zip(found) {
                        if let Some(s) = stored {
                            answers[i] = Some(s.answer);
                            self.counters.from_cache.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                Err(e) => {
                    // An unreadable cache is only slower (or, replaying,
                    // leaves the codes unverified with this reason).
                    if self.endpoint.is_none() {
                        for &i in &open {
                            answers[i] = Some(CodeAnswer::not_checked(e.clone()));
                        }
                    }
                }
            }
        }
        let open: Vec<usize> = (0..n).filter(|&i| answers[i].is_none()).collect();
        if !open.is_empty() {
            match &self.endpoint {
                None => {
                    for &i in &open {
                        answers[i] = Some(CodeAnswer::not_checked(
                            "not in the terminology cache (--tx-replay answers from the cache only)",
                        ));
                    }
                }
                Some(endpoint) => {
                    let asked: Vec<&CodeQuestion> = open.iter().map(|&i| &questions[i]).collect();
                    self.counters
                        .asked
                        .fetch_add(asked.len() as u64, Ordering::Relaxed);
                    let server_version =
                        self.server_info().and_then(|i| i.software_version.clone());
                    let got = self.ask(endpoint, &asked, value_set);
                    for (&i, a) in open.iter().zip(got) {
                        if worth_keeping(&a) {
                            fresh.push((
                                keys[i].clone(),
                                Stored {
                                    answer: a.clone(),
                                    server_version: server_version.clone(),
                                    stored_at: cache::now(),
                                },
                            ));
                        }
                        answers[i] = Some(a);
                    }
                }
            }
        }
        if !fresh.is_empty() {
            if let Some(cache) = &self.cache {
                // Not kept on disk: the next run asks again, nothing worse.
                let _ = cache.put_many(&fresh);
            }
            let mut run = self.run.lock().unwrap_or_else(|e| e.into_inner());
            for (k, s) in fresh {
                run.insert(k, s.answer);
            }
        }
        let answers: Vec<CodeAnswer> = answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| CodeAnswer::not_checked("no answer")))
            .collect();
        let open = answers
            .iter()
            .filter(|a| a.verdict == Verdict::NotChecked)
            .count();
        self.counters
            .not_checked
            .fetch_add(open as u64, Ordering::Relaxed);
        answers
    }
}

/// A plain GET of `target` that must answer FHIR JSON.
pub(crate) fn get_json(endpoint: &Endpoint, req: &Request) -> Result<serde_json::Value, String> {
    let resp = endpoint.send(req).map_err(|e| e.to_string())?;
    let body = resp.json();
    match body {
        Some(b) if (200..300).contains(&resp.status) => Ok(b),
        Some(b) if b["resourceType"] == "OperationOutcome" => {
            Err(format!("HTTP {}: {}", resp.status, wire::outcome_text(&b)))
        }
        _ => Err(format!(
            "HTTP {} ({})",
            resp.status,
            resp.media_type()
                .unwrap_or_else(|| "no content type".into())
        )),
    }
}
