//! Is the regions file usable: does it parse, are each region's secrets,
//! keys and certificates where it says, and does each endpoint answer
//! `GET /metadata` as a FHIR R4 server?

use crate::Check;
use conform_endpoint::{AuthConfig, Endpoint, Region, RegionsFile, Request};
use std::path::{Path, PathBuf};

/// Checks the regions file at `path`; with `offline`, no endpoint is
/// contacted.
pub fn regions(path: &Path, offline: bool) -> Vec<Check> {
    let file = match RegionsFile::load(path) {
        Ok(f) => f,
        Err(e) => {
            return vec![Check::problem(
                "regions",
                path.display().to_string(),
                e.to_string(),
                "fix the file (docs/regions.md describes it)",
            )]
        }
    };
    let mut out = vec![Check::ok(
        "regions",
        path.display().to_string(),
        format!("{} region(s)", file.regions.len()),
    )];
    for r in &file.regions {
        out.extend(region(r, offline));
    }
    out
}

fn region(r: &Region, offline: bool) -> Vec<Check> {
    let area = format!("region {}", r.name);
    let mut out = secrets(&area, r);
    if out.iter().any(|c| c.status == crate::Status::Problem) {
        out.push(Check::skipped(
            &area,
            r.base_url.as_str(),
            "not contacted: fix the problems above first",
        ));
        return out;
    }
    if offline {
        out.push(Check::skipped(
            &area,
            r.base_url.as_str(),
            "not contacted (offline)",
        ));
        return out;
    }
    out.push(reachable(&area, r));
    out
}

/// Every secret source and file the region names exists (values unread).
fn secrets(area: &str, r: &Region) -> Vec<Check> {
    let mut out = Vec::new();
    let env = |out: &mut Vec<Check>, var: &str, what: &str| {
        let set = std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
        out.push(if set {
            Check::ok(area, format!("secret {var}"), format!("{what} is set"))
        } else {
            Check::problem(
                area,
                format!("secret {var}"),
                format!("the environment variable {var} ({what}) is not set"),
                format!("export {var} in the pipeline's secret settings"),
            )
        });
    };
    let file = |out: &mut Vec<Check>, p: &Path, what: &str| {
        out.push(match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {
                Check::ok(area, p.display().to_string(), format!("{what} is readable"))
            }
            _ => Check::problem(
                area,
                p.display().to_string(),
                format!("the {what} {} cannot be read", p.display()),
                format!("put the {what} there or correct the path in the regions file"),
            ),
        });
    };
    // a secret from an environment variable or a file, whichever is named
    let source =
        |out: &mut Vec<Check>, var: &Option<String>, path: &Option<PathBuf>, what: &str| {
            if let Some(v) = var {
                env(out, v, what);
            }
            if let Some(p) = path {
                file(out, p, &format!("{what} file"));
            }
        };
    match &r.auth {
        AuthConfig::None => {}
        AuthConfig::Bearer {
            token_env,
            token_file,
        } => source(&mut out, token_env, token_file, "bearer token"),
        AuthConfig::ClientCredentials {
            secret_env,
            secret_file,
            ..
        } => source(&mut out, secret_env, secret_file, "client secret"),
        AuthConfig::PrivateKeyJwt { key_file, .. } => file(&mut out, key_file, "private key"),
    }
    for (p, what) in [
        (&r.tls.ca_file, "CA bundle"),
        (&r.tls.client_cert, "client certificate"),
        (&r.tls.client_key, "client key"),
    ] {
        if let Some(p) = p {
            file(&mut out, p, what);
        }
    }
    out
}

/// `GET [base]/metadata` answers with a FHIR 4.0.1 CapabilityStatement.
fn reachable(area: &str, r: &Region) -> Check {
    let subject = format!("{}/metadata", r.base_url.trim_end_matches('/'));
    let endpoint = match Endpoint::new(r) {
        Ok(e) => e,
        Err(e) => {
            return Check::problem(
                area,
                subject,
                e.to_string(),
                "fix the region's auth or TLS settings",
            )
        }
    };
    let resp = match endpoint.send(&Request::get("metadata")) {
        Ok(resp) => resp,
        Err(e) if e.is_infrastructure() => return Check::problem(
            area,
            subject,
            format!("unreachable: {e}"),
            "check base_url, the network path (proxy, firewall) and the server's TLS certificate",
        )
        .infrastructure(),
        Err(e) => {
            return Check::problem(
                area,
                subject,
                e.to_string(),
                "fix the region's auth or TLS settings",
            )
        }
    };
    let version = resp
        .json()
        .and_then(|v| v["fhirVersion"].as_str().map(str::to_string));
    match (resp.status, version.as_deref()) {
        (200, Some("4.0.1")) => Check::ok(area, subject, "a FHIR 4.0.1 CapabilityStatement"),
        (200, other) => Check::problem(
            area,
            subject,
            format!(
                "answers, but with fhirVersion {}",
                other.unwrap_or("(none)")
            ),
            "point base_url at the server's FHIR R4 base (often ending in /fhir or /R4)",
        ),
        (401 | 403, _) => Check::problem(
            area,
            subject,
            format!("HTTP {}: the credentials were refused", resp.status),
            "check the client id, scope and secret or key registered with the server",
        ),
        (s, _) => Check::problem(
            area,
            subject,
            format!("HTTP {s} instead of a CapabilityStatement"),
            "point base_url at the server's FHIR R4 base",
        )
        .infrastructure(),
    }
}
