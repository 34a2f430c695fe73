//! Is the terminology server usable: its secrets are where the settings
//! say, it answers (with a token, when it needs one), it is a FHIR R4
//! server, it holds SNOMED CT in the edition asked for; or, replaying, the
//! cache holds answers. A missing server is not a problem: codes the
//! packages cannot judge stay "not checked", which reports say.

use crate::{infrastructure, ok, problem, skipped, Area};
use conform_outcome::Outcome;
use conform_terminology::{Terminology, TxConfig, SNOMED};

const AREA: Area<'static> = Area::Terminology;

/// Checks the terminology settings; `client` is the client the settings
/// made (or why they could not; the caller makes none when offline, as
/// making one asks the server what it holds). With `offline`, the server
/// is not asked.
pub fn terminology(
    config: &TxConfig,
    client: Result<Option<&Terminology>, String>,
    offline: bool,
) -> Vec<Outcome> {
    let Some(url) = config.server() else {
        return vec![skipped(
            AREA,
            "terminology server",
            "none configured: codes of systems the packages do not define (SNOMED CT, dm+d, LOINC...) stay \"not checked\" (--tx URL or [terminology] url)",
        )];
    };
    let mut out = match config.as_region() {
        Ok(region) => crate::regions::secrets(AREA, &region),
        Err(e) => return vec![problem(AREA, url, e, "fix [terminology] in conform.toml")],
    };
    if offline {
        out.push(skipped(AREA, url, "not contacted (offline)"));
        return out;
    }
    let t = match client {
        Ok(Some(t)) => t,
        Ok(None) => return out,
        Err(e) => {
            out.push(problem(
                AREA,
                url,
                e,
                "fix [terminology] in conform.toml or the --tx options",
            ));
            return out;
        }
    };
    if let Some(cache) = t.cache() {
        out.push(ok(
            AREA,
            cache.path().display().to_string(),
            format!("terminology cache with {} answers", cache.len()),
        ));
    }
    if t.is_replay() {
        out.push(skipped(
            AREA,
            url,
            "not contacted: --tx-replay answers from the cache only",
        ));
        return out;
    }
    let Some(endpoint) = t.endpoint() else {
        return out;
    };
    if let Err(e) = endpoint.authenticate() {
        out.push(problem(
            AREA,
            format!("{url} (auth)"),
            e.to_string(),
            "check the client id, secret and token URL in [terminology] auth",
        ));
        return out;
    }
    let Some(info) = t.server_info() else {
        out.push(infrastructure(problem(
            AREA,
            format!("{url}/metadata"),
            "the terminology server did not answer metadata with a CapabilityStatement",
            "check the URL, the network path and the server's TLS certificate",
        )));
        return out;
    };
    let software = [info.software.as_deref(), info.software_version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    match info.fhir_version.as_deref() {
        Some(v) if v.starts_with("4.0") => out.push(ok(
            AREA,
            format!("{url}/metadata"),
            format!("FHIR {v} terminology server {software}"),
        )),
        other => out.push(problem(
            AREA,
            format!("{url}/metadata"),
            format!(
                "the server says FHIR {}, not R4 (4.0)",
                other.unwrap_or("(no version)")
            ),
            "point --tx at the server's FHIR R4 base URL",
        )),
    }
    out.push(snomed(url, info, t.config()));
    out
}

/// SNOMED CT is held, in the edition asked for when one is.
fn snomed(url: &str, info: &conform_terminology::ServerInfo, config: &TxConfig) -> Outcome {
    let subject = format!("{url} SNOMED CT");
    if info.code_systems.is_empty() {
        return skipped(
            AREA,
            subject,
            "the server does not list its code systems (metadata?mode=terminology)",
        );
    }
    let Some(versions) = info.code_systems.get(SNOMED) else {
        return problem(
            AREA,
            subject,
            "the server does not hold SNOMED CT",
            "use a server with SNOMED CT (the NHS England Terminology Server has the UK edition)",
        );
    };
    match config.snomed_edition.as_deref() {
        Some(edition) if !versions.iter().any(|v| v.starts_with(edition)) => problem(
            AREA,
            subject,
            format!(
                "the server holds SNOMED CT {} but not the edition {edition}",
                versions.join(", ")
            ),
            "choose an edition the server holds (snomed-edition in [terminology] or the pack)",
        ),
        _ => ok(AREA, subject, format!("SNOMED CT {}", versions.join(", "))),
    }
}
