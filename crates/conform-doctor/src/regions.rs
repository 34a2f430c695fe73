//! Is the regions file usable: does it parse, are each region's secrets,
//! keys and certificates where it says, and does each endpoint answer
//! `GET /metadata` as a FHIR R4 server?

use crate::{infrastructure, ok, problem, skipped, Area};
use conform_endpoint::{
    Endpoint, ProbeProfile, Region, RegionsFile, Request, SecretSource, SecretSpec,
};
use conform_outcome::{Outcome, Status};
use std::path::Path;

/// Checks the regions file at `path`; with `offline`, no endpoint is
/// contacted.
pub fn regions(path: &Path, offline: bool) -> Vec<Outcome> {
    let file = match RegionsFile::load(path) {
        Ok(f) => f,
        Err(e) => {
            return vec![problem(
                Area::Regions,
                path.display().to_string(),
                e.to_string(),
                "fix the file (docs/regions.md describes it)",
            )]
        }
    };
    let mut out = vec![ok(
        Area::Regions,
        path.display().to_string(),
        format!("{} region(s)", file.regions.len()),
    )];
    for r in &file.regions {
        out.extend(region(r, offline));
    }
    out
}

fn region(r: &Region, offline: bool) -> Vec<Outcome> {
    let area = Area::Region(&r.name);
    let mut out = secrets(area, r);
    if out.iter().any(|c| c.status == Status::Fail) {
        out.push(skipped(
            area,
            r.base_url.as_str(),
            "not contacted: fix the problems above first",
        ));
        return out;
    }
    if offline {
        out.push(skipped(
            area,
            r.base_url.as_str(),
            "not contacted (offline)",
        ));
        return out;
    }
    if r.probe_profile == ProbeProfile::GpConnect {
        // A bare GET /metadata would be refused for want of the SSP headers
        // and the audit JWT, and the answer is STU3: not a set-up problem.
        out.push(skipped(
            area,
            r.base_url.as_str(),
            "not contacted: a GP Connect provider (conform probe --profile gp-connect checks it)",
        ));
        return out;
    }
    out.push(reachable(area, r));
    out
}

/// Every secret source and file the region names exists (values unread):
/// the same list the endpoint reads them from.
pub(crate) fn secrets(area: Area, r: &Region) -> Vec<Outcome> {
    r.secret_sources()
        .into_iter()
        .map(|SecretSpec { what, source }| match source {
            SecretSource::Env(var) => {
                let subject = format!("secret {var}");
                if std::env::var(var).is_ok_and(|v| !v.trim().is_empty()) {
                    ok(area, subject, format!("{what} is set"))
                } else {
                    problem(
                        area,
                        subject,
                        format!("the environment variable {var} ({what}) is not set"),
                        format!("export {var} in the pipeline's secret settings"),
                    )
                }
            }
            SecretSource::File(p) => {
                let subject = p.display().to_string();
                match std::fs::metadata(p) {
                    Ok(m) if m.is_file() => ok(area, subject, format!("{what} is readable")),
                    _ => problem(
                        area,
                        subject,
                        format!("the {what} {} cannot be read", p.display()),
                        format!("put the {what} there or correct the path in the regions file"),
                    ),
                }
            }
        })
        .collect()
}

/// `GET [base]/metadata` answers with a FHIR 4.0.1 CapabilityStatement.
fn reachable(area: Area, r: &Region) -> Outcome {
    let subject = format!("{}/metadata", r.base_url.trim_end_matches('/'));
    let endpoint = match Endpoint::new(r) {
        Ok(e) => e,
        Err(e) => {
            // refused before any request: plain http:// to a host that is
            // neither loopback nor a listed test host, or bad auth/TLS
            let plain_http = std::iter::once(r.base_url.as_str())
                .chain(r.auth.token_url())
                .any(|u| r.plain_http_refusal(u).is_some());
            let fix = if plain_http {
                "use https://, or list the host under test_hosts in the regions file if it is a test server"
            } else {
                "fix the region's auth or TLS settings"
            };
            return problem(area, subject, e.to_string(), fix);
        }
    };
    let resp = match endpoint.send(&Request::get("metadata")) {
        Ok(resp) => resp,
        Err(e) if e.is_infrastructure() => return infrastructure(problem(
            area,
            subject,
            format!("unreachable: {e}"),
            "check base_url, the network path (proxy, firewall) and the server's TLS certificate",
        )),
        Err(e) => {
            return problem(
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
        (200, Some("4.0.1")) => ok(area, subject, "a FHIR 4.0.1 CapabilityStatement"),
        (200, other) => problem(
            area,
            subject,
            format!(
                "answers, but with fhirVersion {}",
                other.unwrap_or("(none)")
            ),
            "point base_url at the server's FHIR R4 base (often ending in /fhir or /R4)",
        ),
        (401 | 403, _) => problem(
            area,
            subject,
            format!("HTTP {}: the credentials were refused", resp.status),
            "check the client id, scope and secret or key registered with the server",
        ),
        (s, _) => infrastructure(problem(
            area,
            subject,
            format!("HTTP {s} instead of a CapabilityStatement"),
            "point base_url at the server's FHIR R4 base",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_and_tls_files_are_looked_for_where_the_endpoint_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token.txt"), "t0ken").unwrap();
        let path = dir.path().join("regions.yaml");
        std::fs::write(
            &path,
            "regions:\n- name: north\n  base_url: https://x\n  auth: {type: bearer, token_file: token.txt}\n  tls: {client_cert: c.pem, client_key: k.pem}\n",
        )
        .unwrap();
        let checks = regions(&path, true);
        let lines: Vec<(Status, String)> = checks
            .iter()
            .map(|c| {
                (
                    c.status,
                    c.message.replace(&dir.path().display().to_string(), "DIR"),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (Status::Pass, "1 region(s)".to_string()),
                (Status::Pass, "bearer token file is readable".to_string()),
                (
                    Status::Fail,
                    "the client certificate DIR/c.pem cannot be read".to_string()
                ),
                (
                    Status::Fail,
                    "the client key DIR/k.pem cannot be read".to_string()
                ),
                (
                    Status::Skip,
                    "not contacted: fix the problems above first".to_string()
                ),
            ]
        );
        assert!(checks[1..]
            .iter()
            .all(|c| c.rule == "doctor.region" && c.location.region.as_deref() == Some("north")));
        assert!(!checks.iter().any(|c| c.message.contains("t0ken")));
    }

    #[test]
    fn plain_http_to_a_host_not_listed_for_tests_is_refused_with_that_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.yaml");
        // .invalid never resolves; the refusal comes before any lookup anyway
        std::fs::write(
            &path,
            "regions:\n- name: north\n  base_url: http://conform-must-never-be-looked-up.invalid/fhir\n",
        )
        .unwrap();
        let checks = regions(&path, false);
        let last = checks.last().unwrap();
        assert_eq!(last.status, Status::Fail, "{last:?}");
        assert!(
            last.fix
                .as_deref()
                .is_some_and(|f| f.contains("test_hosts")),
            "{last:?}"
        );
    }

    #[test]
    fn a_gp_connect_provider_is_left_to_its_probe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions.yaml");
        std::fs::write(
            &path,
            "regions:\n- name: practice\n  base_url: http://127.0.0.1:9/B82617/STU3/1/gpconnect\n  probe_profile: gp-connect\n",
        )
        .unwrap();
        let checks = regions(&path, false);
        let last = checks.last().unwrap();
        assert_eq!(last.status, Status::Skip);
        assert_eq!(
            last.message,
            "not contacted: a GP Connect provider (conform probe --profile gp-connect checks it)"
        );
    }
}
