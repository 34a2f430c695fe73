//! HTTP and FHIR protocol behaviour: format negotiation, request ids,
//! errors as OperationOutcomes.

use super::skip_all;
use crate::runner::{Ctx, Def};
use conform_endpoint::Request;
use conform_outcome::Requirement::{Shall, Should};

const ACCEPT_JSON: Def = Def { id: "format.accept-json", requirement: Shall, why: "Asked for application/fhir+json, a FHIR server answers in FHIR JSON with that content type." };
const FORMAT_JSON: Def = Def {
    id: "format.param-json",
    requirement: Should,
    why: "The _format=json parameter lets clients that cannot set Accept ask for JSON.",
};
const XML: Def = Def {
    id: "format.xml",
    requirement: Shall,
    why: "A server that declares XML must answer in XML when asked.",
};
const REQUEST_ID: Def = Def {
    id: "http.request-id",
    requirement: Should,
    why: "Echoing X-Request-ID lets regions trace one request across systems.",
};
const UNKNOWN_ID: Def = Def {
    id: "errors.unknown-id",
    requirement: Shall,
    why:
        "Reading an id that does not exist must give 404 (or 410 if deleted), not an empty success.",
};
const UNKNOWN_ID_OO: Def = Def {
    id: "errors.unknown-id-outcome",
    requirement: Should,
    why: "Errors should carry an OperationOutcome saying what went wrong.",
};
const BAD_PARAM: Def = Def { id: "errors.invalid-search-param", requirement: Should, why: "With Prefer: handling=strict an unknown search parameter should be an error, not silently ignored." };

pub(crate) fn run(ctx: &mut Ctx) {
    let declared = match ctx.usable() {
        Ok(d) => d,
        Err(reason) => {
            let all = [
                &ACCEPT_JSON,
                &FORMAT_JSON,
                &XML,
                &REQUEST_ID,
                &UNKNOWN_ID,
                &UNKNOWN_ID_OO,
                &BAD_PARAM,
            ];
            skip_all(ctx, &all, None, &reason);
            return;
        }
    };
    negotiate(
        ctx,
        &ACCEPT_JSON,
        Request::get("metadata").header("Accept", "application/fhir+json"),
        "application/fhir+json",
    );
    negotiate(
        ctx,
        &FORMAT_JSON,
        Request::get("metadata").query("_format", "json"),
        "json",
    );
    if declared.has_xml() {
        negotiate(
            ctx,
            &XML,
            Request::get("metadata").header("Accept", "application/fhir+xml"),
            "xml",
        );
    } else {
        ctx.skip(&XML, None, "XML is not declared");
    }
    let rid = uuid::Uuid::new_v4().to_string();
    match ctx.call(
        "metadata",
        Request::get("metadata").header("X-Request-ID", &rid),
    ) {
        Ok((r, took)) => {
            let echoed = r.header("x-request-id") == Some(rid.as_str());
            ctx.outcome(
                &REQUEST_ID,
                None,
                echoed,
                if echoed {
                    "echoed".into()
                } else {
                    "not echoed".to_string()
                },
                Some(("metadata", took)),
            );
        }
        Err(e) => ctx.fail(&REQUEST_ID, None, e, None),
    }
    errors(ctx);
}

fn negotiate(ctx: &mut Ctx, def: &Def, req: Request, want: &str) {
    match ctx.call("metadata", req) {
        Ok((r, took)) => {
            let t = r.media_type().unwrap_or_else(|| "no content type".into());
            let body_ok = if want.contains("xml") {
                r.body.first() == Some(&b'<')
            } else {
                r.json().is_some()
            };
            let ok = r.status == 200 && t.contains(want) && body_ok;
            ctx.outcome(
                def,
                None,
                ok,
                format!("status {}, {t}", r.status),
                Some(("metadata", took)),
            );
        }
        Err(e) => ctx.fail(def, None, e, None),
    }
}

fn errors(ctx: &mut Ctx) {
    let declared = ctx.declared().cloned().unwrap_or_default();
    let readable = ctx
        .opts
        .types
        .iter()
        .find(|t| declared.has(t, "read"))
        .cloned();
    let Some(t) = readable else {
        skip_all(
            ctx,
            &[&UNKNOWN_ID, &UNKNOWN_ID_OO],
            None,
            "no probed type declares read",
        );
        ctx.skip(&BAD_PARAM, None, "no probed type declares read");
        return;
    };
    let missing = format!(
        "conform-probe-missing-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    match ctx.call("read", Request::get(&format!("{t}/{missing}"))) {
        Ok((r, took)) => {
            ctx.outcome(
                &UNKNOWN_ID,
                None,
                r.status == 404 || r.status == 410,
                format!("GET {t}/<unknown id>: status {}", r.status),
                Some(("read", took)),
            );
            let oo = r
                .json()
                .is_some_and(|b| b["resourceType"] == "OperationOutcome");
            ctx.outcome(
                &UNKNOWN_ID_OO,
                None,
                oo,
                if oo {
                    "OperationOutcome returned"
                } else {
                    "no OperationOutcome in the body"
                },
                None,
            );
        }
        Err(e) => {
            ctx.fail(&UNKNOWN_ID, None, e, None);
            ctx.skip(&UNKNOWN_ID_OO, None, "no response");
        }
    }
    if !declared.has(&t, "search-type") {
        ctx.skip(
            &BAD_PARAM,
            None,
            format!("{t} does not declare search-type"),
        );
        return;
    }
    let req = Request::get(&t)
        .query("conform-no-such-param", "1")
        .header("Prefer", "handling=strict");
    match ctx.call("search-type", req) {
        Ok((r, took)) => {
            let oo = r
                .json()
                .is_some_and(|b| b["resourceType"] == "OperationOutcome");
            let ok = (400..500).contains(&r.status) && oo;
            ctx.outcome(
                &BAD_PARAM,
                None,
                ok,
                format!(
                    "status {}{}",
                    r.status,
                    if oo { " with an OperationOutcome" } else { "" }
                ),
                Some(("search-type", took)),
            );
        }
        Err(e) => ctx.fail(&BAD_PARAM, None, e, None),
    }
}
