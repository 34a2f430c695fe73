//! A FHIR R4 **terminology server stand-in** for the terminology client's
//! tests. No real terminology server (NHS England's Ontoserver,
//! tx.fhir.org) can run here, so this peer answers the FHIR R4 terminology
//! operations per the specification, from CodeSystems and ValueSets read at
//! start from FHIR packages (npm `.tgz`) and JSON files (by default our own
//! `fixtures/terminology/`: a SNOMED CT test subset and two value sets).
//!
//! Served under `{base_url}` (`http://127.0.0.1:PORT/fhir`), JSON only:
//! `GET /metadata` (a CapabilityStatement; `?mode=terminology` a
//! TerminologyCapabilities), `ValueSet/$validate-code`,
//! `CodeSystem/$validate-code`, `CodeSystem/$lookup`, `ValueSet/$expand`
//! (each by GET with query parameters or POST with a `Parameters` body or a
//! form), and `POST {base_url}` with a `batch` Bundle of those. Answers
//! follow tx.fhir.org's conventions (an `issues` OperationOutcome with
//! `tx-issue-type` codings, `x-caused-by-unknown-system`).
//!
//! With a client configured, `/token` issues bearer tokens (OAuth2 client
//! credentials) and every FHIR request needs one. A [`TxFault`], switchable
//! while running, makes FHIR requests slow or broken. Counters let tests see
//! how many requests, tokens and batch entries the client used.

mod content;
mod ops;

use crate::httpd::{respond, HttpRequest, Server};
use crate::PeerResult;
use base64::Engine;
use content::Library;
use ops::{ExpansionCache, Params, Reply};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Most entries a batch may hold.
pub const MAX_BATCH_ENTRIES: usize = 1000;

/// Misbehaviour on demand. Applies to FHIR requests (everything but
/// `/token`), except [`TxFault::TokenStatus`], which applies only to `/token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxFault {
    /// Wait this long before answering each FHIR request (normally).
    Slow(Duration),
    /// Answer every FHIR request with this status and an OperationOutcome
    /// (401 adds `WWW-Authenticate`, 429 and 503 add `Retry-After: 1`).
    Status(u16),
    /// The normal JSON body, labelled `Content-Type: text/html`.
    WrongContentType,
    /// An HTML body labelled `application/fhir+json`.
    NotJson,
    /// Every token expires after its first use: the first FHIR request with
    /// a new token is answered, the next one with it gets 401, so a client
    /// must fetch a new token and retry.
    ExpireTokens,
    /// The token endpoint answers with this status (an OAuth2 error body).
    TokenStatus(u16),
}

/// How to start a [`TxServer`].
#[derive(Clone, Debug)]
pub struct TxServerOptions {
    /// FHIR packages (`.tgz`) whose CodeSystems and ValueSets are served,
    /// in order: a later one's resource is the default for a shared URL.
    pub packages: Vec<PathBuf>,
    /// JSON files holding a CodeSystem, a ValueSet or a Bundle of them,
    /// loaded after the packages. Default: [`TxServer::fixture_files`].
    pub files: Vec<PathBuf>,
    /// `(client_id, client_secret)`: when set, `/token` issues tokens and
    /// every FHIR request needs a valid one.
    pub client: Option<(String, String)>,
    /// Lifetime of issued tokens (`expires_in`).
    pub token_lifetime: Duration,
    /// The fault in force at start.
    pub fault: Option<TxFault>,
}

impl Default for TxServerOptions {
    fn default() -> Self {
        TxServerOptions {
            packages: Vec::new(),
            files: TxServer::fixture_files(),
            client: None,
            token_lifetime: Duration::from_secs(300),
            fault: None,
        }
    }
}

impl TxServerOptions {
    /// The test packages (R4 core 4.0.1, HL7 Terminology 7.0.1, UK Core
    /// STU2 2.0.2, from the shared test data) and our fixtures.
    pub fn with_test_packages() -> Self {
        let dir = conform_testdata::packages_dir();
        TxServerOptions {
            packages: vec![
                dir.join("hl7.fhir.r4.core-4.0.1.tgz"),
                dir.join("hl7.terminology.r4-7.0.1.tgz"),
                dir.join("fhir.r4.ukcore.stu2-2.0.2.tgz"),
            ],
            ..Self::default()
        }
    }
    pub fn package(mut self, path: impl Into<PathBuf>) -> Self {
        self.packages.push(path.into());
        self
    }
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(path.into());
        self
    }
    pub fn client(mut self, id: &str, secret: &str) -> Self {
        self.client = Some((id.to_string(), secret.to_string()));
        self
    }
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }
    pub fn fault(mut self, fault: TxFault) -> Self {
        self.fault = Some(fault);
        self
    }
}

struct Token {
    expires: Instant,
    uses: usize,
}

struct State {
    lib: Library,
    cache: ExpansionCache,
    client: Option<(String, String)>,
    token_lifetime: Duration,
    fault: Mutex<Option<TxFault>>,
    tokens: Mutex<HashMap<String, Token>>,
    requests: AtomicUsize,
    tokens_issued: AtomicUsize,
    batch_entries: AtomicUsize,
    counts: Mutex<HashMap<String, usize>>,
}

/// The running server; stops on drop.
pub struct TxServer {
    pub server: Server,
    state: Arc<State>,
}

const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";
const BASE: &str = "/fhir";

impl TxServer {
    /// Our own terminology fixtures (`fixtures/terminology/*.json`).
    pub fn fixture_files() -> Vec<PathBuf> {
        let dir = crate::fixtures_dir().join("terminology");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    }

    /// Loads the content (once) and starts serving.
    pub fn start(options: TxServerOptions) -> PeerResult<TxServer> {
        let lib = Library::load(&options.packages, &options.files)?;
        let state = Arc::new(State {
            lib,
            cache: Mutex::new(HashMap::new()),
            client: options.client,
            token_lifetime: options.token_lifetime,
            fault: Mutex::new(options.fault),
            tokens: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
            tokens_issued: AtomicUsize::new(0),
            batch_entries: AtomicUsize::new(0),
            counts: Mutex::new(HashMap::new()),
        });
        let s2 = state.clone();
        let server = Server::start(move |req, conn| handle(&s2, req, conn));
        Ok(TxServer { server, state })
    }

    /// The FHIR base (`http://127.0.0.1:PORT/fhir`, no trailing slash).
    pub fn base_url(&self) -> String {
        format!("{}{BASE}", self.server.url())
    }

    /// The token endpoint (`http://127.0.0.1:PORT/token`).
    pub fn token_url(&self) -> String {
        format!("{}/token", self.server.url())
    }

    /// Switches the fault (or none) for the requests that follow.
    pub fn set_fault(&self, fault: Option<TxFault>) {
        *self.state.fault.lock().unwrap() = fault;
    }

    /// FHIR requests received (all but `/token`), whatever their fate.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.tokens_issued.load(Ordering::SeqCst)
    }

    /// Entries received inside batches.
    pub fn batch_entries(&self) -> usize {
        self.state.batch_entries.load(Ordering::SeqCst)
    }

    /// How often an operation was carried out (authorised, not faulted),
    /// plain requests and batch entries alike: `"ValueSet/$validate-code"`,
    /// `"CodeSystem/$validate-code"`, `"CodeSystem/$lookup"`,
    /// `"ValueSet/$expand"`, `"metadata"`, `"batch"`.
    pub fn count(&self, operation: &str) -> usize {
        self.state
            .counts
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or(0)
    }
}

fn handle(state: &State, req: &HttpRequest, conn: &mut TcpStream) {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    if path == "/token" {
        return token_endpoint(state, req, conn);
    }
    state.requests.fetch_add(1, Ordering::SeqCst);
    let fault = state.fault.lock().unwrap().clone();
    match &fault {
        Some(TxFault::Slow(d)) => std::thread::sleep(*d),
        Some(TxFault::Status(s)) => return fault_status(conn, *s),
        _ => {}
    }
    if let Err(why) = authorise(state, req, fault.as_ref()) {
        let body = ops::outcome("login", &why).to_string();
        let challenge = format!(
            "Bearer realm=\"conform-tx\", error=\"invalid_token\", error_description=\"{why}\""
        );
        return respond(
            conn,
            401,
            &[
                ("Content-Type", FHIR_JSON),
                ("WWW-Authenticate", challenge.as_str()),
            ],
            body.as_bytes(),
        );
    }
    let reply = match path.strip_prefix(BASE) {
        Some(rel) => {
            let rel = rel.trim_start_matches('/');
            if rel.is_empty() {
                batch(state, req)
            } else {
                match request_params(req, query) {
                    Ok(p) => route(state, &req.method, rel, &p, query),
                    Err(r) => r,
                }
            }
        }
        None => Reply::error(
            404,
            "not-found",
            format!("Nothing at {path}; the FHIR base is {BASE}"),
        ),
    };
    let body = reply.body.to_string();
    match fault {
        Some(TxFault::WrongContentType) => respond(
            conn,
            reply.status,
            &[("Content-Type", "text/html")],
            body.as_bytes(),
        ),
        Some(TxFault::NotJson) => respond(
            conn,
            reply.status,
            &[("Content-Type", FHIR_JSON)],
            b"<html><body><h1>Service temporarily unavailable</h1></body></html>",
        ),
        _ => respond(
            conn,
            reply.status,
            &[("Content-Type", FHIR_JSON)],
            body.as_bytes(),
        ),
    }
}

fn fault_status(conn: &mut TcpStream, status: u16) {
    let body = ops::outcome(
        match status {
            401 | 403 => "login",
            429 => "throttled",
            503 => "transient",
            _ => "exception",
        },
        &format!("Fault injected by the test server: HTTP {status}"),
    )
    .to_string();
    let mut headers = vec![("Content-Type", FHIR_JSON)];
    match status {
        401 => headers.push(("WWW-Authenticate", "Bearer realm=\"conform-tx\"")),
        429 | 503 => headers.push(("Retry-After", "1")),
        _ => {}
    }
    respond(conn, status, &headers, body.as_bytes());
}

fn authorise(state: &State, req: &HttpRequest, fault: Option<&TxFault>) -> Result<(), String> {
    if state.client.is_none() {
        return Ok(());
    }
    let token = req
        .header("authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .ok_or("A bearer token is required")?
        .trim();
    let mut tokens = state.tokens.lock().unwrap();
    let t = tokens
        .get_mut(token)
        .ok_or("The access token is not known")?;
    if t.expires <= Instant::now() {
        return Err("The access token expired".into());
    }
    if fault == Some(&TxFault::ExpireTokens) && t.uses >= 1 {
        return Err("The access token expired".into());
    }
    t.uses += 1;
    Ok(())
}

fn token_endpoint(state: &State, req: &HttpRequest, conn: &mut TcpStream) {
    let json_reply = |conn: &mut TcpStream, status: u16, body: Value, extra: &[(&str, &str)]| {
        let mut h = vec![
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
        ];
        h.extend_from_slice(extra);
        respond(conn, status, &h, body.to_string().as_bytes());
    };
    let Some((id, secret)) = &state.client else {
        return json_reply(
            conn,
            404,
            json!({"error": "invalid_request", "error_description": "no client is configured"}),
            &[],
        );
    };
    if let Some(TxFault::TokenStatus(s)) = state.fault.lock().unwrap().clone() {
        return json_reply(
            conn,
            s,
            json!({"error": "temporarily_unavailable", "error_description": format!("Fault injected: HTTP {s}")}),
            &[("Retry-After", "1")],
        );
    }
    if req.method != "POST" {
        return json_reply(
            conn,
            405,
            json!({"error": "invalid_request", "error_description": "POST a form"}),
            &[],
        );
    }
    let form = req.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("grant_type").as_deref() != Some("client_credentials") {
        return json_reply(
            conn,
            400,
            json!({"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"}),
            &[],
        );
    }
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(i, p)| (crate::httpd::decode(i), crate::httpd::decode(p)))
        });
    let (given_id, given_secret) = match basic {
        Some(pair) => pair,
        None => (
            get("client_id").unwrap_or_default(),
            get("client_secret").unwrap_or_default(),
        ),
    };
    if &given_id != id || &given_secret != secret {
        return json_reply(
            conn,
            401,
            json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}),
            &[("WWW-Authenticate", "Basic realm=\"conform-tx\"")],
        );
    }
    let token = format!("tx-{}", uuid::Uuid::new_v4().simple());
    state.tokens.lock().unwrap().insert(
        token.clone(),
        Token {
            expires: Instant::now() + state.token_lifetime,
            uses: 0,
        },
    );
    state.tokens_issued.fetch_add(1, Ordering::SeqCst);
    let expires_in = state.token_lifetime.as_secs_f64().ceil() as u64;
    json_reply(
        conn,
        200,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in}),
        &[],
    );
}

/// The parameters of a plain request: the query, plus a POST body
/// (`Parameters` JSON or a form).
fn request_params(req: &HttpRequest, query: &str) -> Result<Params, Reply> {
    let mut p = Params::from_query(query);
    if req.method == "POST" && !req.body.is_empty() {
        let form = req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if form {
            p.extend(Params::from_query(&String::from_utf8_lossy(&req.body)));
        } else {
            let v: Value = serde_json::from_slice(&req.body).map_err(|e| {
                Reply::error(400, "structure", format!("The body is not FHIR JSON: {e}"))
            })?;
            p.extend(Params::from_parameters(&v).map_err(|e| Reply::error(400, "invalid", e))?);
        }
    }
    Ok(p)
}

/// One operation (`rel` is the path below the base), counted.
fn route(state: &State, method: &str, rel: &str, p: &Params, query: &str) -> Reply {
    let op = match rel {
        "metadata" => "metadata",
        "ValueSet/$validate-code" => "ValueSet/$validate-code",
        "CodeSystem/$validate-code" => "CodeSystem/$validate-code",
        "CodeSystem/$lookup" => "CodeSystem/$lookup",
        "ValueSet/$expand" => "ValueSet/$expand",
        _ => {
            return Reply::error(
                404,
                "not-found",
                format!("This test server does not serve '{rel}'"),
            )
        }
    };
    let allowed = method == "GET" || (method == "POST" && op != "metadata");
    if !allowed {
        return Reply::error(
            405,
            "not-supported",
            format!("{method} is not allowed on {rel}"),
        );
    }
    *state.counts.lock().unwrap().entry(op.into()).or_default() += 1;
    let lib = &state.lib;
    match op {
        "metadata" => {
            if Params::from_query(query).str("mode").as_deref() == Some("terminology") {
                Reply::ok(ops::terminology_capabilities(lib))
            } else {
                Reply::ok(ops::capability_statement(
                    BASE,
                    state.client.as_ref().map(|_| "/token"),
                ))
            }
        }
        "ValueSet/$validate-code" => ops::vs_validate_code(lib, &state.cache, p),
        "CodeSystem/$validate-code" => ops::cs_validate_code(lib, p),
        "CodeSystem/$lookup" => ops::lookup(lib, p),
        _ => ops::expand_op(lib, &state.cache, p),
    }
}

fn batch(state: &State, req: &HttpRequest) -> Reply {
    if req.method != "POST" {
        return Reply::error(405, "not-supported", "POST a batch Bundle to the base");
    }
    let bundle: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => return Reply::error(400, "structure", format!("The body is not FHIR JSON: {e}")),
    };
    if bundle["resourceType"] != "Bundle" || bundle["type"] != "batch" {
        return Reply::error(
            422,
            "not-supported",
            "Only a Bundle of type batch can be posted to the base",
        );
    }
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    if entries.len() > MAX_BATCH_ENTRIES {
        return Reply::error(
            413,
            "too-costly",
            format!(
                "The batch has {} entries; at most {MAX_BATCH_ENTRIES} are accepted",
                entries.len()
            ),
        );
    }
    *state
        .counts
        .lock()
        .unwrap()
        .entry("batch".into())
        .or_default() += 1;
    let mut out = Vec::with_capacity(entries.len());
    for e in &entries {
        state.batch_entries.fetch_add(1, Ordering::SeqCst);
        let method = e["request"]["method"].as_str().unwrap_or("");
        let url = e["request"]["url"].as_str().unwrap_or("");
        let url = url
            .strip_prefix(BASE)
            .unwrap_or(url)
            .trim_start_matches('/');
        let (rel, query) = url.split_once('?').unwrap_or((url, ""));
        let mut params = Params::from_query(query);
        let reply = match (method, e.get("resource")) {
            ("POST", Some(r)) => match Params::from_parameters(r) {
                Ok(p) => {
                    params.extend(p);
                    route(state, method, rel, &params, query)
                }
                Err(why) => Reply::error(400, "invalid", why),
            },
            ("GET" | "POST", _) => route(state, method, rel, &params, query),
            _ => Reply::error(
                400,
                "invalid",
                "Each entry needs request.method GET or POST",
            ),
        };
        out.push(json!({
            "resource": reply.body,
            "response": {"status": format!("{} {}", reply.status, reason(reply.status))}
        }));
    }
    Reply::ok(json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "type": "batch-response",
        "entry": out
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        422 => "Unprocessable Entity",
        _ => "Error",
    }
}

/// The current time as `YYYY-MM-DDThh:mm:ssZ`.
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
