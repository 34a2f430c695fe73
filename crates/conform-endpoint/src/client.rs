//! [`Endpoint`]: one region's FHIR base URL with its auth, TLS, headers and
//! limits. [`Endpoint::send`] retries 429/503 (honouring `Retry-After`) and
//! failed connections within the time-out, refreshes a rejected token once,
//! refuses redirects to another origin, refuses plain `http://` except to
//! loopback and the regions file's test hosts (before any name lookup),
//! and stops reading a body as soon as it passes the size limit. Every
//! body and URL it carries is shown to its [`PatientData`], which learns
//! the patient values evidence must not hold (conform_outcome::privacy).

use crate::auth::{Auth, AuthKind};
use crate::error::EndpointError;
use crate::redact::Redactor;
use crate::retry::{backoff, is_retryable_status, retry_after};
use conform_outcome::privacy::PatientData;
use conform_regions::Region;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// A request relative to the base URL (or an absolute URL, e.g. a paging link).
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Send the access token (default true).
    pub authenticate: bool,
    /// Follow same-origin redirects (default true); when false a 3xx is
    /// the response (e.g. a launch endpoint's redirect to its login).
    pub follow_redirects: bool,
}

impl Request {
    pub fn new(method: &str, target: &str) -> Request {
        Request {
            method: method.to_string(),
            target: target.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            authenticate: true,
            follow_redirects: true,
        }
    }
    pub fn get(target: &str) -> Request {
        Request::new("GET", target)
    }
    pub fn query(mut self, name: &str, value: &str) -> Request {
        self.query.push((name.into(), value.into()));
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// A FHIR JSON body (sets `Content-Type`).
    pub fn json(mut self, body: &serde_json::Value) -> Request {
        self.body = Some(body.to_string().into_bytes());
        self.header("Content-Type", "application/fhir+json")
    }
    pub fn without_auth(mut self) -> Request {
        self.authenticate = false;
        self
    }
    /// Hands back a redirect as the response instead of following it.
    pub fn without_redirects(mut self) -> Request {
        self.follow_redirects = false;
        self
    }
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// All attempts and waits together.
    pub elapsed: Duration,
    pub attempts: u32,
    pub url: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The media type without parameters, lower case.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// One logical request as it went (for error rates and traffic logs).
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub elapsed: Duration,
    pub error: Option<String>,
}

pub struct Endpoint {
    region: Region,
    http: reqwest::blocking::Client,
    /// The same client following no redirect (`Request::follow_redirects`).
    http_no_redirects: reqwest::blocking::Client,
    auth: Auth,
    redactor: Redactor,
    patient_data: PatientData,
    exchanges: Mutex<Vec<Exchange>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("region", &self.region.name)
            .field("base_url", &self.region.base_url)
            .finish()
    }
}

impl Endpoint {
    /// Reads the region's secrets, keys and certificates and builds the client.
    /// Plain `http://` to anything but loopback or the regions file's
    /// test hosts (base URL or token URL) is refused here, before a client
    /// exists: no name is looked up and nothing is sent.
    pub fn new(region: &Region) -> Result<Endpoint, EndpointError> {
        for url in std::iter::once(region.base_url.as_str()).chain(region.auth.token_url()) {
            if let Some(why) = region.plain_http_refusal(url) {
                return Err(EndpointError::config(why));
            }
        }
        let redactor = Redactor::new();
        let auth = Auth::from_config(&region.auth, &redactor)?;
        let http = build_http(region, &redactor, same_host_redirects())?;
        let http_no_redirects = build_http(region, &redactor, reqwest::redirect::Policy::none())?;
        Ok(Endpoint {
            region: region.clone(),
            http,
            http_no_redirects,
            auth,
            redactor,
            patient_data: PatientData::new(),
            exchanges: Mutex::new(Vec::new()),
        })
    }

    pub fn region(&self) -> &Region {
        &self.region
    }
    pub fn base_url(&self) -> &str {
        self.region.base_url.trim_end_matches('/')
    }
    pub fn auth_kind(&self) -> AuthKind {
        self.auth.kind
    }
    /// The configured token endpoint, when tokens are fetched.
    pub fn token_url(&self) -> Option<&str> {
        self.auth.token_url()
    }
    /// The redactor holding every secret this endpoint has read or received.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
    /// The patient values seen in every request and response so far
    /// (what evidence about this endpoint must not show).
    pub fn patient_data(&self) -> &PatientData {
        &self.patient_data
    }
    /// Every logical request sent so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Gets an access token now (when the auth fetches one), so a preflight
    /// can report on authorisation apart from any FHIR request.
    pub fn authenticate(&self) -> Result<(), EndpointError> {
        self.auth
            .token(&self.http, self.region.timeout(), &self.redactor)
            .map(|_| ())
            .map_err(|e| e.redacted(&self.redactor))
    }

    /// The absolute URL of a target (relative to the base, or absolute).
    pub fn url(&self, req: &Request) -> Result<reqwest::Url, EndpointError> {
        let raw = if req.target.starts_with("http://") || req.target.starts_with("https://") {
            req.target.clone()
        } else if req.target.is_empty() {
            self.base_url().to_string()
        } else {
            format!("{}/{}", self.base_url(), req.target.trim_start_matches('/'))
        };
        let mut url = reqwest::Url::parse(&raw)
            .map_err(|e| EndpointError::config(format!("bad URL {raw}: {e}")))?;
        if !req.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &req.query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends a request, with retries, within the region's time-out.
    pub fn send(&self, req: &Request) -> Result<Response, EndpointError> {
        let url = self.url(req)?;
        let start = Instant::now();
        let result = self
            .send_inner(req, &url, start)
            .map_err(|e| e.redacted(&self.redactor));
        self.patient_data.learn_text(url.as_str());
        if let Some(b) = &req.body {
            self.patient_data.learn_bytes(b);
        }
        if let Ok(r) = &result {
            self.patient_data.learn_bytes(&r.body);
        }
        let exchange = Exchange {
            method: req.method.clone(),
            url: self.redactor.redact(url.as_str()),
            status: result.as_ref().ok().map(|r| r.status),
            elapsed: start.elapsed(),
            error: result.as_ref().err().map(|e| e.to_string()),
        };
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(exchange);
        result
    }

    fn send_inner(
        &self,
        req: &Request,
        url: &reqwest::Url,
        start: Instant,
    ) -> Result<Response, EndpointError> {
        // An absolute target (a paging link) is held to the same rule as
        // the base URL.
        if let Some(why) = self.region.plain_http_refusal(url.as_str()) {
            return Err(EndpointError::Transport {
                url: url.to_string(),
                message: why,
            });
        }
        let timeout = self.region.timeout();
        let deadline = start + timeout;
        let retries = self.region.retries();
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(EndpointError::Timeout {
                    url: url.to_string(),
                    after: timeout,
                });
            }
            let token = if req.authenticate {
                self.auth.token(&self.http, remaining, &self.redactor)?
            } else {
                None
            };
            let result = self.attempt(req, url, token.as_ref().map(|t| t.expose()), deadline);
            attempt += 1;
            let wait = match &result {
                Ok(r) if is_retryable_status(r.status) && attempt <= retries => Some(
                    r.header("retry-after")
                        .and_then(|v| retry_after(v, SystemTime::now()))
                        .unwrap_or_else(|| backoff(attempt - 1)),
                ),
                Ok(r) if r.status == 401 && token.is_some() && !refreshed => {
                    if self.auth.invalidate() {
                        refreshed = true;
                        continue;
                    }
                    None
                }
                Err(EndpointError::Unreachable { .. }) if attempt <= retries => {
                    Some(backoff(attempt - 1))
                }
                _ => None,
            };
            match wait {
                // Waiting past the deadline would only end in a time-out:
                // hand back what we have instead.
                Some(w) if Instant::now() + w < deadline => std::thread::sleep(w),
                _ => {
                    return result.map(|mut r| {
                        r.elapsed = start.elapsed();
                        r.attempts = attempt;
                        r
                    })
                }
            }
        }
    }

    fn attempt(
        &self,
        req: &Request,
        url: &reqwest::Url,
        token: Option<&str>,
        deadline: Instant,
    ) -> Result<Response, EndpointError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| EndpointError::config(format!("bad method {}", req.method)))?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let http = if req.follow_redirects {
            &self.http
        } else {
            &self.http_no_redirects
        };
        let mut rb = http.request(method, url.clone()).timeout(remaining);
        for (k, v) in &req.headers {
            rb = rb.header(k, v);
        }
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = &req.body {
            rb = rb.body(b.clone());
        }
        let resp = rb.send().map_err(|e| self.classify(e, url, deadline))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = self.read_body(resp, url, deadline)?;
        Ok(Response {
            status,
            headers,
            body,
            elapsed: Duration::ZERO,
            attempts: 1,
            url: url.to_string(),
        })
    }

    /// Reads at most `max_response_bytes`, stopping (and failing) as soon
    /// as more arrives, and failing when the deadline passes mid-body.
    fn read_body(
        &self,
        resp: reqwest::blocking::Response,
        url: &reqwest::Url,
        deadline: Instant,
    ) -> Result<Vec<u8>, EndpointError> {
        let limit = self.region.max_response_bytes();
        let too_large = || EndpointError::TooLarge {
            url: url.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        let mut reader = resp.take(limit + 1);
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    body.extend_from_slice(&chunk[..n]);
                    if body.len() as u64 > limit {
                        return Err(too_large());
                    }
                }
                Err(e) => {
                    return Err(if Instant::now() >= deadline || is_timeout(&e) {
                        EndpointError::Timeout {
                            url: url.to_string(),
                            after: self.region.timeout(),
                        }
                    } else {
                        EndpointError::Transport {
                            url: url.to_string(),
                            message: format!(
                                "the response body ended early after {} bytes ({})",
                                body.len(),
                                conform_outcome::error_chain(&e)
                            ),
                        }
                    })
                }
            }
        }
        Ok(body)
    }

    fn classify(&self, e: reqwest::Error, url: &reqwest::Url, deadline: Instant) -> EndpointError {
        let url_s = url.to_string();
        let message = conform_outcome::error_chain(&e);
        if e.is_timeout() || Instant::now() >= deadline {
            EndpointError::Timeout {
                url: url_s,
                after: self.region.timeout(),
            }
        } else if e.is_redirect() {
            EndpointError::Redirect {
                url: url_s,
                message,
            }
        } else if e.is_connect() {
            EndpointError::Unreachable {
                url: url_s,
                message,
            }
        } else {
            EndpointError::Transport {
                url: url_s,
                message,
            }
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return true;
    }
    let mut source = e.get_ref().map(|s| s as &(dyn std::error::Error + 'static));
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<reqwest::Error>() {
            if r.is_timeout() {
                return true;
            }
        }
        source = s.source();
    }
    false
}

fn build_http(
    region: &Region,
    redactor: &Redactor,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::blocking::Client, EndpointError> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT,
        reqwest::header::HeaderValue::from_static("application/fhir+json"),
    );
    for (k, v) in &region.headers {
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| EndpointError::config(format!("bad header name '{k}'")))?;
        let value = reqwest::header::HeaderValue::from_str(v)
            .map_err(|_| EndpointError::config(format!("bad value for header '{k}'")))?;
        headers.insert(name, value);
    }
    let mut b = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .min_tls_version(reqwest::tls::Version::TLS_1_2)
        .default_headers(headers)
        .user_agent(concat!("conform/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(region.timeout())
        .timeout(region.timeout())
        .redirect(redirects);
    if let Some(ca) = &region.tls.ca_file {
        let pem = read_file(ca, "CA bundle")?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| EndpointError::config(format!("CA bundle {}: {e}", ca.display())))?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if let (Some(cert), Some(key)) = (&region.tls.client_cert, &region.tls.client_key) {
        let mut pem = read_file(cert, "client certificate")?;
        let key_pem = read_file(key, "client key")?;
        redactor.add(&String::from_utf8_lossy(&key_pem));
        pem.push(b'\n');
        pem.extend_from_slice(&key_pem);
        let id = reqwest::Identity::from_pem(&pem).map_err(|e| {
            EndpointError::config(format!(
                "client certificate {} with key {}: {e}",
                cert.display(),
                key.display()
            ))
        })?;
        b = b.identity(id);
    }
    b.build().map_err(|e| {
        EndpointError::config(format!(
            "cannot build the HTTP client: {}",
            conform_outcome::error_chain(&e)
        ))
    })
}

pub(crate) fn read_file(path: &std::path::Path, what: &str) -> Result<Vec<u8>, EndpointError> {
    std::fs::read(path)
        .map_err(|e| EndpointError::config(format!("cannot read {what} {}: {e}", path.display())))
}

/// Follows at most five redirects, all to the origin asked for (scheme,
/// host and port): a token must never travel to a host it was not
/// configured for, nor from https:// down to plain http://.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().cloned();
        let same = first.as_ref().is_some_and(|f| {
            f.scheme() == attempt.url().scheme()
                && f.host_str() == attempt.url().host_str()
                && f.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if attempt.previous().len() > 5 {
            attempt.error("more than five redirects")
        } else if !same {
            let to = attempt.url().host_str().unwrap_or("?").to_string();
            let scheme = attempt.url().scheme().to_string();
            if first.is_some_and(|f| f.host_str() == Some(to.as_str())) {
                attempt.error(format!(
                    "redirect to another origin ({scheme}://{to}) refused"
                ))
            } else {
                attempt.error(format!("redirect to another host ({to}) refused"))
            }
        } else {
            attempt.follow()
        }
    })
}
