//! Hostile HTTP on demand, for the cases real servers will not produce when
//! asked: every path answers with the chosen fault (and, for the faults
//! that clear up, a small CapabilityStatement afterwards).

use crate::httpd::{respond, Server};
use serde_json::json;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Fault {
    /// No answer at all for this long, then a normal one.
    SlowHeaders(Duration),
    /// Headers at once, then one body byte per interval.
    SlowBody(Duration),
    /// `Content-Length` promises more than is sent, then the connection closes.
    Truncated,
    /// A body of this many bytes; with `declared` the length is announced
    /// up front, without it the body simply keeps coming.
    Huge { bytes: u64, declared: bool },
    /// `200` with a body that is not JSON.
    MalformedJson,
    /// `200` with an HTML body and `text/html`.
    WrongContentType,
    /// `302` to the same port on `localhost`, another host name.
    RedirectElsewhere,
    /// `429` with `Retry-After: secs` for the first `times` requests.
    TooManyRequests { times: usize, retry_after_secs: u64 },
    /// `503` (no `Retry-After`) for the first `times` requests.
    Unavailable { times: usize },
}

pub struct FaultServer {
    pub server: Server,
}

/// A CapabilityStatement just good enough to be read.
pub fn capability_statement() -> serde_json::Value {
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{"mode": "server"}]
    })
}

impl FaultServer {
    pub fn start(fault: Fault) -> FaultServer {
        let count = Arc::new(AtomicUsize::new(0));
        let server = Server::start(move |req, conn| {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let ok = capability_statement().to_string();
            let fhir = [("Content-Type", "application/fhir+json")];
            match &fault {
                Fault::SlowHeaders(d) => {
                    std::thread::sleep(*d);
                    respond(conn, 200, &fhir, ok.as_bytes());
                }
                Fault::SlowBody(interval) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n\r\n",
                        ok.len()
                    );
                    let _ = conn.write_all(head.as_bytes());
                    for b in ok.as_bytes() {
                        if conn.write_all(&[*b]).and_then(|_| conn.flush()).is_err() {
                            return;
                        }
                        std::thread::sleep(*interval);
                    }
                }
                Fault::Truncated => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        ok.len() * 2
                    );
                    let _ = conn.write_all(head.as_bytes());
                    let _ = conn.write_all(&ok.as_bytes()[..ok.len() / 2]);
                }
                Fault::Huge { bytes, declared } => {
                    let mut head = "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n".to_string();
                    if *declared {
                        head.push_str(&format!("Content-Length: {bytes}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = conn.write_all(head.as_bytes());
                    let chunk = vec![b' '; 64 * 1024];
                    let mut sent = 0u64;
                    while sent < *bytes {
                        let n = chunk.len().min((*bytes - sent) as usize);
                        if conn.write_all(&chunk[..n]).is_err() {
                            return;
                        }
                        sent += n as u64;
                    }
                }
                Fault::MalformedJson => respond(
                    conn,
                    200,
                    &fhir,
                    b"{\"resourceType\": \"CapabilityStatement\", ",
                ),
                Fault::WrongContentType => respond(
                    conn,
                    200,
                    &[("Content-Type", "text/html")],
                    b"<html><body>Welcome to the portal</body></html>",
                ),
                Fault::RedirectElsewhere => {
                    let port = conn.local_addr().map(|a| a.port()).unwrap_or(0);
                    let to = format!("http://localhost:{port}{}", req.target);
                    respond(conn, 302, &[("Location", to.as_str())], b"");
                }
                Fault::TooManyRequests {
                    times,
                    retry_after_secs,
                } if n < *times => {
                    let ra = retry_after_secs.to_string();
                    respond(conn, 429, &[("Retry-After", ra.as_str())], b"");
                }
                Fault::Unavailable { times } if n < *times => respond(conn, 503, &[], b""),
                _ => respond(conn, 200, &fhir, ok.as_bytes()),
            }
        });
        FaultServer { server }
    }

    /// The base URL (`http://127.0.0.1:PORT/fhir`).
    pub fn base_url(&self) -> String {
        format!("{}/fhir", self.server.url())
    }

    pub fn hits(&self) -> usize {
        self.server.hits()
    }
}
