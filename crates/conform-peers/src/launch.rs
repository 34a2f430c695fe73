//! A stand-in for a shared care record's in-context launch endpoint
//! (scenario S7: another ICS, or NCRS, opens the home ShCR's view of a
//! patient from an NRL pointer). A real one is a web application behind
//! NHS CIS2 sign-in; none can run here. This one serves over TLS (nginx
//! with a throwaway [`TestPki`], whose CA the consumer must trust) at
//! `GET /launch/{nhs}` and keeps the one promise a consumer can test from
//! outside: without a verified CIS2 session it shows no patient data. A
//! call without `Authorization` gets 401 with a `WWW-Authenticate: Bearer`
//! challenge (or, [`LaunchBehaviour::RedirectToLogin`], a 302 to the sign-in
//! page); one with a token gets 401 too, since no CIS2 token can be verified
//! here. The patient page it holds (name, NHS number, birth date from the
//! Patient it is given) is what [`LaunchBehaviour::OpenToAnyone`] and
//! [`LaunchBehaviour::LeakyChallenge`] wrongly give away.

use crate::httpd::{respond, HttpRequest, Server};
use crate::nginx::MtlsFront;
use crate::pki::TestPki;
use crate::PeerResult;
use serde_json::Value;
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;

/// The sign-in page a redirect sends the browser to (never followed).
pub const CIS2_SIGN_IN: &str = "https://am.nhsidentity.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare/authorize";

/// How the endpoint answers a caller without a verified session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchBehaviour {
    /// 401 with a Bearer challenge and a sign-in page (the contract).
    Challenge,
    /// 302 to the CIS2 sign-in (the contract, as web applications do it).
    RedirectToLogin,
    /// Broken: 200 with the patient page to anyone.
    OpenToAnyone,
    /// Broken: 401, but the body is the patient page.
    LeakyChallenge,
}

pub struct LaunchEndpoint {
    front: MtlsFront,
    pki: TestPki,
    _server: Server,
    _dir: tempfile::TempDir,
}

struct Page {
    nhs: String,
    html: String,
    behaviour: LaunchBehaviour,
}

impl LaunchEndpoint {
    /// The endpoint holding `patient`'s page (a FHIR Patient with an NHS number).
    pub fn start(patient: &Value, behaviour: LaunchBehaviour) -> PeerResult<LaunchEndpoint> {
        let nhs = patient["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["system"] == "https://fhir.nhs.uk/Id/nhs-number")
            .and_then(|i| i["value"].as_str())
            .ok_or("the launch endpoint's Patient has no NHS number")?
            .to_string();
        let name = &patient["name"][0];
        let family = name["family"].as_str().unwrap_or("");
        let given = name["given"][0].as_str().unwrap_or("");
        let html = format!(
            "<!doctype html><html><body><h1>{}, {given}</h1><p>NHS number {} {} {}</p>\
             <p>Born {}</p><p>Shared care record summary</p></body></html>",
            family.to_uppercase(),
            &nhs[..3.min(nhs.len())],
            nhs.get(3..6).unwrap_or(""),
            nhs.get(6..).unwrap_or(""),
            patient["birthDate"].as_str().unwrap_or("")
        );
        let page = Arc::new(Page {
            nhs,
            html,
            behaviour,
        });
        let server = Server::start(move |req, conn| page.handle(req, conn));
        let dir = tempfile::Builder::new()
            .prefix("launch-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let pki = TestPki::generate(dir.path())?;
        let front = MtlsFront::start_with(MtlsFront::reserve_port(), server.port, &pki, false)?;
        Ok(LaunchEndpoint {
            front,
            pki,
            _server: server,
            _dir: dir,
        })
    }

    /// `https://127.0.0.1:{port}` (the launch region's base URL).
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.front.port)
    }

    /// Where a pointer sends a clinician for this NHS number.
    pub fn launch_url(&self, nhs: &str) -> String {
        format!("{}/launch/{nhs}", self.base_url())
    }

    /// The CA a client must trust for this endpoint's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.pki.ca_cert.clone()
    }
}

const SIGN_IN_PAGE: &str = "<!doctype html><html><body><p>Sign in with your NHS Care Identity \
     (smartcard or authenticator) to view this record.</p></body></html>";

impl Page {
    fn handle(&self, req: &HttpRequest, conn: &mut TcpStream) {
        let html = [("Content-Type", "text/html; charset=utf-8")];
        let path = req.target.split('?').next().unwrap_or("");
        if req.method != "GET" {
            return respond(conn, 405, &html, b"GET only");
        }
        if path != format!("/launch/{}", self.nhs) {
            return respond(conn, 404, &html, b"<p>No such page</p>");
        }
        let challenge = if req.header("authorization").is_some() {
            // No CIS2 token can be verified here: refused, as an unknown one is.
            "Bearer realm=\"NHS CIS2\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"NHS CIS2\""
        };
        match self.behaviour {
            LaunchBehaviour::Challenge => respond(
                conn,
                401,
                &[html[0], ("WWW-Authenticate", challenge)],
                SIGN_IN_PAGE.as_bytes(),
            ),
            LaunchBehaviour::RedirectToLogin => {
                let to = format!("{CIS2_SIGN_IN}?response_type=code&client_id=shcr-launch");
                respond(conn, 302, &[html[0], ("Location", &to)], b"")
            }
            LaunchBehaviour::OpenToAnyone => respond(conn, 200, &html, self.html.as_bytes()),
            LaunchBehaviour::LeakyChallenge => respond(
                conn,
                401,
                &[html[0], ("WWW-Authenticate", challenge)],
                self.html.as_bytes(),
            ),
        }
    }
}
