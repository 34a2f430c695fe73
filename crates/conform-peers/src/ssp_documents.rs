//! A stand-in for the Spine Secure Proxy relaying a custodian's documents
//! (scenario S4: a care plan PDF behind an NRL pointer). No real SSP can run
//! here, and SEKMET answers a Binary read asking for the native content
//! (`Accept: application/pdf`) with 406. This front does what the consumer
//! sees of the SSP and the custodian together: `GET {base}/{record url}`
//! (the pointer's `attachment.url`, custodian-relative or absolute and
//! percent-encoded, as NRL's retrieval read puts it after the proxy's
//! address) answers with the native content of the custodian's `Binary`:
//! its `contentType` and its decoded `data`. The Binary is read from the
//! custodian's FHIR server on every request, so what `conform seed` stored
//! is what is served.
//!
//! Enforced (nhsconnect/FHIR-NRLS-API, retrieval read): the SSP headers
//! `Ssp-TraceID` (a UUID), `Ssp-From`, `Ssp-To` (must be the custodian's
//! ASID) and `Ssp-InteractionID` `urn:nhs:names:services:nrl:SspRetrieval.read`
//! (400 or 403 otherwise), `Accept` admitting the content type (406), GET
//! only (405). Not checked: the audit JWT (the SSP's, not visible to a
//! consumer test). A [`SspFault`] breaks one promise at a time.

use crate::httpd::{decode, respond, HttpRequest, Server};
use crate::PeerResult;
use base64::Engine;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The interaction id of a record retrieval through the SSP.
pub const SSP_RETRIEVAL_INTERACTION: &str = "urn:nhs:names:services:nrl:SspRetrieval.read";

/// One broken promise of the document relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SspFault {
    /// A byte of the content changed on the way (size kept, hash not).
    AlteredBytes,
    /// Every retrieval after the first differs (a counter appended), though
    /// the pointer says the document is `static`.
    ChangingBytes,
    /// The content labelled `application/octet-stream`, whatever it is.
    WrongContentType,
}

pub struct SspDocuments {
    server: Server,
}

struct Relay {
    custodian: String,
    custodian_asid: String,
    fault: Option<SspFault>,
    served: AtomicUsize,
    http: reqwest::blocking::Client,
}

impl SspDocuments {
    /// Relays the documents of the custodian at `custodian_base` (a FHIR
    /// base URL) whose ASID is `custodian_asid`.
    pub fn start(custodian_base: &str, custodian_asid: &str) -> PeerResult<SspDocuments> {
        SspDocuments::start_with(custodian_base, custodian_asid, None)
    }

    pub fn start_with(
        custodian_base: &str,
        custodian_asid: &str,
        fault: Option<SspFault>,
    ) -> PeerResult<SspDocuments> {
        let relay = Arc::new(Relay {
            custodian: custodian_base.trim_end_matches('/').to_string(),
            custodian_asid: custodian_asid.to_string(),
            fault,
            served: AtomicUsize::new(0),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| e.to_string())?,
        });
        let server = Server::start(move |req, conn| relay.handle(req, conn));
        Ok(SspDocuments { server })
    }

    /// The proxy's address: the record URL goes after it.
    pub fn base_url(&self) -> String {
        format!("{}/ssp", self.server.url())
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.server.hits()
    }
}

fn outcome(conn: &mut TcpStream, status: u16, code: &str, text: &str) {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}]
    });
    respond(
        conn,
        status,
        &[("Content-Type", "application/fhir+json")],
        body.to_string().as_bytes(),
    );
}

/// Whether an `Accept` header admits a media type (absent admits all).
fn accepts(accept: Option<&str>, media_type: &str) -> bool {
    let Some(accept) = accept else { return true };
    let major = media_type.split('/').next().unwrap_or("");
    accept.split(',').any(|a| {
        let a = a
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        a == "*/*" || a == media_type || a == format!("{major}/*")
    })
}

impl Relay {
    fn handle(&self, req: &HttpRequest, conn: &mut TcpStream) {
        if req.method != "GET" {
            return outcome(conn, 405, "not-supported", "the SSP relays GET only");
        }
        let Some(rest) = req.target.strip_prefix("/ssp/") else {
            return outcome(
                conn,
                404,
                "not-found",
                "not an SSP path (/ssp/{record url})",
            );
        };
        for h in ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"] {
            if req.header(h).is_none_or(|v| v.trim().is_empty()) {
                return outcome(conn, 400, "required", &format!("missing SSP header {h}"));
            }
        }
        let trace = req.header("Ssp-TraceID").unwrap_or("");
        if uuid::Uuid::parse_str(trace).is_err() {
            return outcome(conn, 400, "value", "Ssp-TraceID is not a UUID");
        }
        if req.header("Ssp-InteractionID") != Some(SSP_RETRIEVAL_INTERACTION) {
            return outcome(
                conn,
                403,
                "forbidden",
                &format!("Ssp-InteractionID must be {SSP_RETRIEVAL_INTERACTION}"),
            );
        }
        if req.header("Ssp-To") != Some(self.custodian_asid.as_str()) {
            return outcome(conn, 403, "forbidden", "Ssp-To is not the custodian's ASID");
        }
        // The record URL: percent-encoded after the proxy's address, or as is.
        let record = decode(rest);
        let record = record
            .strip_prefix(&format!("{}/", self.custodian))
            .unwrap_or(&record);
        let Some(id) = record.strip_prefix("Binary/").filter(|id| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }) else {
            return outcome(
                conn,
                404,
                "not-found",
                "no document at that URL (the custodian's documents are Binary/{id})",
            );
        };
        let binary: Value = match self
            .http
            .get(format!("{}/Binary/{id}", self.custodian))
            .header("Accept", "application/fhir+json")
            .send()
        {
            Ok(r) if r.status().as_u16() == 200 => match r.json() {
                Ok(v) => v,
                Err(e) => return outcome(conn, 502, "exception", &format!("custodian: {e}")),
            },
            Ok(r) if r.status().as_u16() == 404 || r.status().as_u16() == 410 => {
                return outcome(conn, 404, "not-found", "the custodian has no such document")
            }
            Ok(r) => {
                return outcome(
                    conn,
                    502,
                    "exception",
                    &format!("custodian answered {}", r.status()),
                )
            }
            Err(e) => return outcome(conn, 502, "exception", &format!("custodian: {e}")),
        };
        let media_type = binary["contentType"]
            .as_str()
            .unwrap_or("application/octet-stream");
        if !accepts(req.header("Accept"), media_type) {
            return outcome(
                conn,
                406,
                "not-supported",
                &format!("the document is {media_type}, which Accept does not admit"),
            );
        }
        let Ok(mut bytes) =
            base64::engine::general_purpose::STANDARD.decode(binary["data"].as_str().unwrap_or(""))
        else {
            return outcome(
                conn,
                502,
                "exception",
                "the custodian's Binary.data is not base64",
            );
        };
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        let mut served_type = media_type.to_string();
        match self.fault {
            Some(SspFault::AlteredBytes) => {
                if let Some(b) = bytes.last_mut() {
                    *b ^= 0x20;
                }
            }
            Some(SspFault::ChangingBytes) if n > 0 => {
                bytes.extend_from_slice(format!("\n% retrieval {n}\n").as_bytes())
            }
            Some(SspFault::WrongContentType) => served_type = "application/octet-stream".into(),
            Some(SspFault::ChangingBytes) | None => {}
        }
        respond(
            conn,
            200,
            &[("Content-Type", &served_type), ("Ssp-TraceID", trace)],
            &bytes,
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn accept_admits_the_type_its_family_or_anything() {
        use super::accepts;
        assert!(accepts(None, "application/pdf"));
        assert!(accepts(Some("application/pdf"), "application/pdf"));
        assert!(accepts(
            Some("text/html, application/*;q=0.8"),
            "application/pdf"
        ));
        assert!(accepts(Some("*/*"), "application/pdf"));
        assert!(!accepts(Some("application/fhir+json"), "application/pdf"));
    }
}
