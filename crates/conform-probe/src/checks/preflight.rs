//! Preflight: TLS, access token, SMART configuration, the CapabilityStatement.

use super::skip_all;
use crate::capability::Declared;
use crate::runner::{Ctx, Def, ProbeError};
use conform_endpoint::{inspect_tls, AuthKind, Request};
use conform_outcome::Requirement::{May, Shall, Should};

const TLS_IN_USE: Def = Def { id: "tls.in-use", requirement: Should, why: "Health records and access tokens must not travel unencrypted; national APIs are HTTPS only." };
const TLS_VERSION: Def = Def {
    id: "tls.version",
    requirement: Shall,
    why: "TLS 1.2 or later is the minimum that NHS and FHIR security guidance accept.",
};
const TLS_CERT: Def = Def {
    id: "tls.certificate",
    requirement: Shall,
    why: "Clients must be able to verify the server certificate's chain against a trusted CA.",
};
const TLS_HOST: Def = Def { id: "tls.hostname", requirement: Shall, why: "A certificate that does not name the host cannot prove that the client reached the right server." };
const TLS_EXPIRY: Def = Def {
    id: "tls.expiry",
    requirement: Should,
    why:
        "A certificate close to expiry will soon break every client; renew at least 30 days ahead.",
};
const AUTH_TOKEN: Def = Def {
    id: "auth.token",
    requirement: Shall,
    why: "Without an access token no authorised request can be made.",
};
const SMART_CONFIG: Def = Def { id: "smart.configuration", requirement: Shall, why: "SMART Backend Services servers publish /.well-known/smart-configuration so clients can find the token endpoint." };
const SMART_TOKEN_URL: Def = Def {
    id: "smart.token-endpoint",
    requirement: Should,
    why: "The advertised token endpoint should be the one clients are configured to use.",
};
const SMART_METHOD: Def = Def { id: "smart.private-key-jwt", requirement: Shall, why: "Backend services authenticate with private_key_jwt; the server must say that it accepts it." };
const SMART_ALG: Def = Def {
    id: "smart.signing-algorithm",
    requirement: Should,
    why: "The server should advertise the signing algorithm the client uses.",
};
const META: Def = Def {
    id: "metadata.capability-statement",
    requirement: Shall,
    why: "GET [base]/metadata must return the server's CapabilityStatement.",
};
const META_VERSION: Def = Def {
    id: "metadata.fhir-version",
    requirement: Shall,
    why: "The national profiles are FHIR R4: the server must declare fhirVersion 4.0.1.",
};
const META_JSON: Def = Def {
    id: "metadata.json-format",
    requirement: Shall,
    why: "National APIs exchange JSON, so the server must declare the json format.",
};
const META_SERVER: Def = Def {
    id: "metadata.server-mode",
    requirement: Shall,
    why: "A FHIR server declares what it does in a rest entry with mode server.",
};
const META_VALID: Def = Def {
    id: "metadata.valid",
    requirement: Shall,
    why: "The CapabilityStatement must itself be a valid FHIR resource.",
};
const META_PROFILES: Def = Def {
    id: "metadata.profiles",
    requirement: May,
    why: "Declared profiles tell clients which national profiles the server supports.",
};
const AUTH_ENFORCED: Def = Def {
    id: "auth.enforced",
    requirement: Should,
    why: "A server that issues tokens should refuse requests that carry none.",
};

pub(crate) fn run(ctx: &mut Ctx) -> Result<(), ProbeError> {
    tls(ctx)?;
    let token_ok = token(ctx);
    smart(ctx);
    metadata(ctx, token_ok)?;
    enforced(ctx);
    Ok(())
}

fn tls(ctx: &mut Ctx) -> Result<(), ProbeError> {
    let tls_defs = [&TLS_VERSION, &TLS_CERT, &TLS_HOST, &TLS_EXPIRY];
    if !ctx.ep.base_url().starts_with("https://") {
        ctx.fail(&TLS_IN_USE, None, "the base URL is plain http://", None);
        skip_all(
            ctx,
            &tls_defs,
            None,
            "plain HTTP endpoint: no TLS to inspect",
        );
        return Ok(());
    }
    ctx.pass(&TLS_IN_USE, None, "the base URL is https://", None);
    let timeout = ctx.ep.region().timeout();
    let report = inspect_tls(ctx.ep.region(), timeout)
        .map_err(|e| ProbeError::Unreachable(ctx.ep.redactor().redact(&e.to_string())))?;
    let modern = report.version == "TLS 1.3" || report.version == "TLS 1.2";
    ctx.outcome(
        &TLS_VERSION,
        None,
        modern,
        format!("{} ({})", report.version, report.cipher_suite),
        None,
    );
    match &report.verification {
        Ok(()) => ctx.pass(&TLS_CERT, None, "the certificate chain verifies", None),
        Err(e) if !report.hostname_matches => ctx.pass(
            &TLS_CERT,
            None,
            format!("the chain was checked apart from the name ({e})"),
            None,
        ),
        Err(e) => ctx.fail(
            &TLS_CERT,
            None,
            format!("the certificate does not verify: {e}"),
            None,
        ),
    }
    if report.hostname_matches {
        ctx.pass(&TLS_HOST, None, "the certificate names the host", None);
    } else {
        ctx.fail(
            &TLS_HOST,
            None,
            "the certificate does not name the host in the base URL",
            None,
        );
    }
    match report.days_left {
        Some(d) if d >= 30 => ctx.pass(&TLS_EXPIRY, None, format!("{d} days left"), None),
        Some(d) if d >= 0 => ctx.fail(&TLS_EXPIRY, None, format!("only {d} days left"), None),
        Some(d) => ctx.fail(&TLS_EXPIRY, None, format!("expired {} days ago", -d), None),
        None => ctx.skip(
            &TLS_EXPIRY,
            None,
            "the certificate's expiry could not be read",
        ),
    }
    Ok(())
}

/// Gets a token now when the auth fetches one; false when that failed.
fn token(ctx: &mut Ctx) -> bool {
    match ctx.ep.auth_kind() {
        AuthKind::None => {
            ctx.skip(&AUTH_TOKEN, None, "no auth configured");
            true
        }
        AuthKind::Bearer => {
            ctx.skip(&AUTH_TOKEN, None, "static bearer token: nothing to fetch");
            true
        }
        kind => match ctx.ep.authenticate() {
            Ok(()) => {
                ctx.pass(
                    &AUTH_TOKEN,
                    None,
                    format!("token issued ({})", kind.label()),
                    None,
                );
                true
            }
            Err(e) => {
                ctx.fail(&AUTH_TOKEN, None, e.to_string(), None);
                false
            }
        },
    }
}

fn smart(ctx: &mut Ctx) {
    let defs = [&SMART_CONFIG, &SMART_TOKEN_URL, &SMART_METHOD, &SMART_ALG];
    let AuthKind::PrivateKeyJwt(alg) = ctx.ep.auth_kind() else {
        skip_all(
            ctx,
            &defs,
            None,
            "auth is not SMART Backend Services (private_key_jwt)",
        );
        return;
    };
    let got = ctx.call(
        "smart-configuration",
        Request::get(".well-known/smart-configuration").without_auth(),
    );
    let (resp, took) = match got {
        Ok(r) => r,
        Err(e) => {
            ctx.fail(&SMART_CONFIG, None, e, None);
            skip_all(ctx, &defs[1..], None, "no SMART configuration");
            return;
        }
    };
    let timed = Some(("smart-configuration", took));
    let Some(cfg) = resp
        .json()
        .filter(|j| resp.status == 200 && j["token_endpoint"].is_string())
    else {
        ctx.fail(
            &SMART_CONFIG,
            None,
            format!("status {}, no JSON with a token_endpoint", resp.status),
            timed,
        );
        skip_all(ctx, &defs[1..], None, "no SMART configuration");
        return;
    };
    ctx.pass(
        &SMART_CONFIG,
        None,
        "published with a token_endpoint",
        timed,
    );
    let advertised = cfg["token_endpoint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match ctx.ep.token_url() {
        Some(configured) if configured == advertised => ctx.pass(
            &SMART_TOKEN_URL,
            None,
            format!("{advertised} as configured"),
            None,
        ),
        Some(configured) => ctx.fail(
            &SMART_TOKEN_URL,
            None,
            format!("advertises {advertised}, configured {configured}"),
            None,
        ),
        None => ctx.skip(&SMART_TOKEN_URL, None, "no token endpoint configured"),
    }
    let has = |key: &str, want: &str| {
        cfg[key]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == want))
    };
    let methods = has("token_endpoint_auth_methods_supported", "private_key_jwt");
    ctx.outcome(
        &SMART_METHOD,
        None,
        methods,
        if methods {
            "private_key_jwt is supported".into()
        } else {
            "token_endpoint_auth_methods_supported lacks private_key_jwt".to_string()
        },
        None,
    );
    let algs = has(
        "token_endpoint_auth_signing_alg_values_supported",
        alg.as_str(),
    );
    ctx.outcome(
        &SMART_ALG,
        None,
        algs,
        format!(
            "{} {}advertised",
            alg.as_str(),
            if algs { "" } else { "not " }
        ),
        None,
    );
}

fn metadata(ctx: &mut Ctx, token_ok: bool) -> Result<(), ProbeError> {
    let rest = [
        &META_VERSION,
        &META_JSON,
        &META_SERVER,
        &META_VALID,
        &META_PROFILES,
    ];
    let mut req = Request::get("metadata");
    if !token_ok {
        req = req.without_auth();
    }
    let (resp, took) = match ctx.ep.send(&req) {
        Ok(r) => {
            let took = r.elapsed;
            (r, took)
        }
        Err(e) if e.is_infrastructure() => return Err(ProbeError::Unreachable(e.to_string())),
        Err(e) => {
            ctx.fail(&META, None, e.to_string(), None);
            skip_all(ctx, &rest, None, "no CapabilityStatement");
            return Ok(());
        }
    };
    ctx.record("metadata", took);
    let timed = Some(("metadata", took));
    let cs = resp
        .json()
        .filter(|j| j["resourceType"] == "CapabilityStatement");
    let Some(cs) = cs.filter(|_| resp.status == 200) else {
        let what = match (resp.status, resp.media_type()) {
            (200, Some(t)) if !t.contains("json") => format!("status 200 but {t}, not FHIR JSON"),
            (200, _) if resp.json().is_none() => "status 200 but the body is not JSON".to_string(),
            (200, _) => "status 200 but not a CapabilityStatement".to_string(),
            (s, _) => format!("status {s}"),
        };
        ctx.fail(&META, None, what, timed);
        skip_all(ctx, &rest, None, "no usable CapabilityStatement");
        return Ok(());
    };
    ctx.pass(&META, None, "CapabilityStatement returned", timed);
    let d = Declared::from_capability_statement(&cs);
    let v = d.fhir_version.clone().unwrap_or_else(|| "none".into());
    ctx.outcome(
        &META_VERSION,
        None,
        v == "4.0.1",
        format!("fhirVersion {v}"),
        None,
    );
    ctx.outcome(
        &META_JSON,
        None,
        d.has_json(),
        format!("formats: {}", d.formats.join(", ")),
        None,
    );
    ctx.outcome(
        &META_SERVER,
        None,
        d.server_mode,
        if d.server_mode {
            format!("{} resource types declared", d.interactions.len())
        } else {
            "no rest entry with mode server".into()
        },
        None,
    );
    ctx.validate(&META_VALID, None, &resp.body, "the CapabilityStatement");
    let n: usize = d.profiles.values().map(Vec::len).sum();
    if n == 0 {
        ctx.skip(&META_PROFILES, None, "no profiles declared");
    } else {
        ctx.pass(
            &META_PROFILES,
            None,
            format!("{n} profile(s) declared on {} type(s)", d.profiles.len()),
            None,
        );
    }
    ctx.declared = Some(d);
    if !token_ok {
        ctx.blocked = Some("no access token (see auth.token)".into());
    }
    Ok(())
}

fn enforced(ctx: &mut Ctx) {
    if ctx.ep.auth_kind() == AuthKind::None {
        ctx.skip(&AUTH_ENFORCED, None, "no auth configured");
        return;
    }
    let t = ctx
        .opts
        .types
        .first()
        .cloned()
        .unwrap_or_else(|| "Patient".into());
    match ctx.call(
        "search-type",
        Request::get(&t).query("_count", "1").without_auth(),
    ) {
        Ok((r, took)) => {
            let ok = r.status == 401 || r.status == 403;
            ctx.outcome(
                &AUTH_ENFORCED,
                None,
                ok,
                format!("{t} search without a token: status {}", r.status),
                Some(("search-type", took)),
            );
        }
        Err(e) => ctx.fail(&AUTH_ENFORCED, None, e, None),
    }
}
