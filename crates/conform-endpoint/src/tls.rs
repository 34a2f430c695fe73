//! The TLS preflight: one handshake with the region's trust settings that
//! records the protocol version, the server certificate's expiry and
//! whether the chain and host name verify, without stopping at the first
//! verification failure (so an expired or misnamed certificate is reported,
//! not just refused).

use crate::error::EndpointError;
use conform_regions::Region;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

#[derive(Clone, Debug)]
pub struct TlsReport {
    /// e.g. `TLS 1.3`.
    pub version: String,
    pub cipher_suite: String,
    /// The server certificate's notAfter.
    pub not_after: Option<SystemTime>,
    /// Whole days from now to notAfter (negative when expired).
    pub days_left: Option<i64>,
    /// Chain and host name verification: `Ok` or the reason it failed.
    pub verification: Result<(), String>,
    /// False when the certificate does not name the host.
    pub hostname_matches: bool,
}

/// Connects to an `https://` base URL and reports on its TLS.
pub fn inspect_tls(region: &Region, timeout: Duration) -> Result<TlsReport, EndpointError> {
    let url = reqwest::Url::parse(&region.base_url)
        .map_err(|e| EndpointError::config(format!("bad base_url: {e}")))?;
    let unreachable = |m: String| EndpointError::Unreachable {
        url: region.base_url.clone(),
        message: m,
    };
    if url.scheme() != "https" {
        return Err(EndpointError::config("not an https:// URL"));
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let outcome = Arc::new(Mutex::new(None));
    let config = client_config(region, outcome.clone())?;
    let name = ServerName::try_from(host.clone())
        .map_err(|e| EndpointError::config(format!("bad host name {host}: {e}")))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| unreachable(e.to_string()))?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .next()
        .ok_or_else(|| unreachable("no address".into()))?;
    let mut sock =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| unreachable(e.to_string()))?;
    sock.set_read_timeout(Some(timeout)).ok();
    sock.set_write_timeout(Some(timeout)).ok();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .map_err(|e| unreachable(format!("TLS handshake failed: {e}")))?;
    }
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "unknown".to_string(),
    };
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let (cert, verification) = outcome
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or((Vec::new(), Err("no certificate seen".into())));
    let not_after = not_after(&cert);
    let days_left = not_after.map(|t| match t.duration_since(SystemTime::now()) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        Err(e) => -((e.duration().as_secs() / 86_400) as i64) - 1,
    });
    let hostname_matches = !matches!(&verification, Err(m) if m.contains("NotValidForName"));
    Ok(TlsReport {
        version,
        cipher_suite,
        not_after,
        days_left,
        verification,
        hostname_matches,
    })
}

type Outcome = Arc<Mutex<Option<(Vec<u8>, Result<(), String>)>>>;

fn client_config(region: &Region, outcome: Outcome) -> Result<rustls::ClientConfig, EndpointError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(ca) = &region.tls.ca_file {
        for c in CertificateDer::pem_file_iter(ca)
            .map_err(|e| EndpointError::config(format!("CA bundle {}: {e}", ca.display())))?
        {
            let c =
                c.map_err(|e| EndpointError::config(format!("CA bundle {}: {e}", ca.display())))?;
            roots
                .add(c)
                .map_err(|e| EndpointError::config(format!("CA bundle {}: {e}", ca.display())))?;
        }
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| EndpointError::config(format!("trust settings: {e}")))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EndpointError::config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Recording { inner, outcome }));
    match (&region.tls.client_cert, &region.tls.client_key) {
        (Some(cert), Some(key)) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<_, _>>())
                .map_err(|e| {
                    EndpointError::config(format!("client certificate {}: {e}", cert.display()))
                })?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| EndpointError::config(format!("client key {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| EndpointError::config(format!("client certificate: {e}")))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// Verifies as usual but records the result instead of failing, so the
/// handshake completes and the preflight can say what is wrong.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    outcome: Outcome,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let r = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .map(|_| ())
            .map_err(|e| format!("{e:?}"));
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some((end_entity.to_vec(), r));
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// notAfter of a DER X.509 certificate: Certificate ⊃ tbsCertificate ⊃
/// [version], serial, signature, issuer, validity{notBefore, notAfter}.
fn not_after(der: &[u8]) -> Option<SystemTime> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xA0 {
        rest = r;
    }
    for _ in 0..3 {
        rest = tlv(rest)?.2; // serial, signature, issuer
    }
    let (_, validity, _) = tlv(rest)?;
    let (_, _, r) = tlv(validity)?;
    let (tag, time, _) = tlv(r)?;
    parse_time(std::str::from_utf8(time).ok()?, tag == 0x18)
}

/// (tag, content, rest) of one DER element.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, start) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7F;
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, b.get(start..end)?, b.get(end..)?))
}

fn parse_time(s: &str, generalized: bool) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (year, rest) = if generalized {
        (s.get(0..4)?.parse::<i64>().ok()?, s.get(4..)?)
    } else {
        let yy = s.get(0..2)?.parse::<i64>().ok()?;
        (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
    };
    let n = |i: usize| rest.get(i..i + 2).and_then(|x| x.parse::<i8>().ok());
    let at = jiff::civil::DateTime::new(
        i16::try_from(year).ok()?,
        n(0)?,
        n(2)?,
        n(4)?,
        n(6)?,
        n(8)?,
        0,
    )
    .ok()?;
    let ts = at.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(SystemTime::from(ts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    #[test]
    fn reads_asn1_times() {
        let t = parse_time("300101000000Z", false).unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_893_456_000
        );
        let g = parse_time("20300101000000Z", true).unwrap();
        assert_eq!(t, g);
    }
}
