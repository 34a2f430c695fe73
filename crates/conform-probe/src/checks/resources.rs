//! Declared vs actual, per resource type: search (with `_count` and
//! paging), read of a found id, search by identifier (NHS number for
//! Patient), ETag, and our validator over every body. Declared-but-missing
//! and working-but-undeclared are both reported.

use super::skip_all;
use crate::runner::{Ctx, Def};
use conform_endpoint::Request;
use conform_outcome::Requirement::{Shall, Should};
use serde_json::Value;

const SEARCH: Def = Def {
    id: "search",
    requirement: Shall,
    why: "A declared search-type interaction must work: clients rely on the CapabilityStatement.",
};
const SEARCH_UNDECLARED: Def = Def { id: "search.undeclared", requirement: Should, why: "A search that works but is not declared is invisible to clients that read the CapabilityStatement." };
const SEARCH_VALID: Def = Def {
    id: "search.valid",
    requirement: Shall,
    why: "Search results must be valid FHIR and conform to the national profiles.",
};
const PAGING: Def = Def { id: "search.paging", requirement: Should, why: "Servers should honour _count and give a next link that works, so clients can page large results." };
const READ: Def = Def {
    id: "read",
    requirement: Shall,
    why: "A declared read interaction must return the resource a search found.",
};
const READ_UNDECLARED: Def = Def { id: "read.undeclared", requirement: Should, why: "A read that works but is not declared is invisible to clients that read the CapabilityStatement." };
const READ_VALID: Def = Def {
    id: "read.valid",
    requirement: Shall,
    why: "Resources must be valid FHIR and conform to the national profiles.",
};
const ETAG: Def = Def {
    id: "read.etag",
    requirement: Should,
    why: "An ETag matching meta.versionId lets clients update safely with If-Match.",
};
const BY_IDENTIFIER: Def = Def {
    id: "search.identifier",
    requirement: Shall,
    why: "Records are found across regions by business identifier (the NHS number for a Patient).",
};

const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";

pub(crate) fn run(ctx: &mut Ctx) {
    for t in ctx.opts.types.clone() {
        let subject = Some(t.as_str());
        if let Err(reason) = ctx.usable() {
            let all = [
                &SEARCH,
                &SEARCH_UNDECLARED,
                &SEARCH_VALID,
                &PAGING,
                &READ,
                &READ_UNDECLARED,
                &READ_VALID,
                &ETAG,
                &BY_IDENTIFIER,
            ];
            skip_all(ctx, &all, subject, &reason);
            continue;
        }
        search(ctx, &t);
        read(ctx, &t);
        by_identifier(ctx, &t);
    }
}

/// Declared: the check itself; not declared: whether it works anyway.
fn declared_vs_actual(
    ctx: &mut Ctx,
    t: &str,
    interaction: &str,
    (main, undeclared): (&Def, &Def),
    works: bool,
    detail: &str,
    took: Option<std::time::Duration>,
) {
    let declared = ctx.declared().is_some_and(|d| d.has(t, interaction));
    let timed = took.map(|d| (interaction, d));
    if declared {
        let msg = if works {
            detail.to_string()
        } else {
            format!("declared but not working: {detail}")
        };
        ctx.outcome(main, Some(t), works, msg, timed);
        ctx.skip(undeclared, Some(t), format!("{interaction} is declared"));
    } else {
        ctx.skip(
            main,
            Some(t),
            format!("{interaction} is not declared for {t}"),
        );
        let msg = if works {
            format!("works but is not declared: {detail}")
        } else {
            format!("not declared and not offered: {detail}")
        };
        ctx.outcome(undeclared, Some(t), !works, msg, timed);
    }
}

fn is_searchset(v: &Value) -> bool {
    v["resourceType"] == "Bundle" && v["type"] == "searchset"
}

fn matches(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["search"]["mode"].as_str().is_none_or(|m| m == "match"))
        .map(|e| &e["resource"])
        .collect()
}

fn search(ctx: &mut Ctx, t: &str) {
    let count = ctx.opts.page_size;
    let got = ctx.call(
        "search-type",
        Request::get(t).query("_count", &count.to_string()),
    );
    let (resp, took) = match got {
        Ok(r) => r,
        Err(e) => {
            declared_vs_actual(
                ctx,
                t,
                "search-type",
                (&SEARCH, &SEARCH_UNDECLARED),
                false,
                &e,
                None,
            );
            skip_all(ctx, &[&SEARCH_VALID, &PAGING], Some(t), "the search failed");
            return;
        }
    };
    let bundle = resp
        .json()
        .filter(|b| resp.status == 200 && is_searchset(b));
    let Some(bundle) = bundle else {
        let detail = format!(
            "GET {t}?_count={count}: status {}, no searchset Bundle",
            resp.status
        );
        declared_vs_actual(
            ctx,
            t,
            "search-type",
            (&SEARCH, &SEARCH_UNDECLARED),
            false,
            &detail,
            Some(took),
        );
        skip_all(
            ctx,
            &[&SEARCH_VALID, &PAGING],
            Some(t),
            "the search gave no searchset Bundle",
        );
        return;
    };
    let hits = matches(&bundle);
    let total = bundle["total"].as_u64();
    let detail = format!(
        "searchset with {} match(es){}",
        hits.len(),
        total.map(|n| format!(" of {n}")).unwrap_or_default()
    );
    declared_vs_actual(
        ctx,
        t,
        "search-type",
        (&SEARCH, &SEARCH_UNDECLARED),
        true,
        &detail,
        Some(took),
    );
    if let Some(first) = hits
        .first()
        .filter(|r| r["resourceType"] == t && r["id"].is_string())
    {
        ctx.found.insert(t.to_string(), (*first).clone());
    }
    ctx.validate(&SEARCH_VALID, Some(t), &resp.body, "the searchset");
    paging(ctx, t, &bundle, hits.len(), total);
}

fn paging(ctx: &mut Ctx, t: &str, bundle: &Value, hits: usize, total: Option<u64>) {
    let count = ctx.opts.page_size as usize;
    if hits > count {
        ctx.fail(
            &PAGING,
            Some(t),
            format!("_count={count} asked, {hits} matches returned"),
            None,
        );
        return;
    }
    let next = bundle["link"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["relation"] == "next")
        .and_then(|l| l["url"].as_str());
    let Some(next) = next else {
        if total.is_some_and(|n| n as usize > hits) {
            ctx.fail(
                &PAGING,
                Some(t),
                format!(
                    "{} matches in all, {hits} on this page, and no next link",
                    total.unwrap_or(0)
                ),
                None,
            );
        } else {
            ctx.skip(
                &PAGING,
                Some(t),
                format!("fewer than {} matches: nothing to page", count + 1),
            );
        }
        return;
    };
    match ctx.call("search-type", Request::get(next)) {
        Ok((r, took)) => {
            let ok = r.status == 200 && r.json().is_some_and(|b| is_searchset(&b));
            ctx.outcome(
                &PAGING,
                Some(t),
                ok,
                format!("_count honoured; next link: status {}", r.status),
                Some(("search-type", took)),
            );
        }
        Err(e) => ctx.fail(&PAGING, Some(t), format!("next link: {e}"), None),
    }
}

fn read(ctx: &mut Ctx, t: &str) {
    let Some(id) = ctx
        .found
        .get(t)
        .and_then(|r| r["id"].as_str())
        .map(str::to_string)
    else {
        skip_all(
            ctx,
            &[&READ, &READ_UNDECLARED, &READ_VALID, &ETAG],
            Some(t),
            &format!("no {t} found by search to read"),
        );
        return;
    };
    let got = ctx.call("read", Request::get(&format!("{t}/{id}")));
    let (resp, took) = match got {
        Ok(r) => r,
        Err(e) => {
            declared_vs_actual(ctx, t, "read", (&READ, &READ_UNDECLARED), false, &e, None);
            skip_all(ctx, &[&READ_VALID, &ETAG], Some(t), "the read failed");
            return;
        }
    };
    let body = resp.json().unwrap_or(Value::Null);
    let works = resp.status == 200 && body["resourceType"] == t && body["id"] == id.as_str();
    let detail = format!("GET {t}/{id}: status {}", resp.status);
    declared_vs_actual(
        ctx,
        t,
        "read",
        (&READ, &READ_UNDECLARED),
        works,
        &detail,
        Some(took),
    );
    if !works {
        skip_all(ctx, &[&READ_VALID, &ETAG], Some(t), "the read failed");
        return;
    }
    ctx.validate(&READ_VALID, Some(t), &resp.body, &format!("{t}/{id}"));
    let version = body["meta"]["versionId"].as_str();
    match (resp.header("etag"), version) {
        (None, _) => ctx.fail(&ETAG, Some(t), "no ETag header", None),
        (Some(e), Some(v)) => {
            let ok = e.trim_start_matches("W/").trim_matches('"') == v;
            ctx.outcome(
                &ETAG,
                Some(t),
                ok,
                format!("ETag {e}, meta.versionId {v}"),
                None,
            );
        }
        (Some(e), None) => ctx.pass(
            &ETAG,
            Some(t),
            format!("ETag {e} (no meta.versionId to compare)"),
            None,
        ),
    }
}

fn by_identifier(ctx: &mut Ctx, t: &str) {
    if !ctx.declared().is_some_and(|d| d.has_param(t, "identifier")) {
        ctx.skip(
            &BY_IDENTIFIER,
            Some(t),
            format!("the identifier search parameter is not declared for {t}"),
        );
        return;
    }
    let Some(found) = ctx.found.get(t).cloned() else {
        ctx.skip(
            &BY_IDENTIFIER,
            Some(t),
            format!("no {t} found by search to look up"),
        );
        return;
    };
    let ids: Vec<&Value> = found["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let chosen = ids.iter().find(|i| i["system"] == NHS_NUMBER).or_else(|| {
        ids.iter()
            .find(|i| i["system"].is_string() && i["value"].is_string())
    });
    let (Some(system), Some(value)) = (
        chosen.and_then(|i| i["system"].as_str()),
        chosen.and_then(|i| i["value"].as_str()),
    ) else {
        ctx.skip(
            &BY_IDENTIFIER,
            Some(t),
            format!("the {t} found has no identifier with system and value"),
        );
        return;
    };
    let what = if system == NHS_NUMBER {
        format!("NHS number {value}")
    } else {
        format!("{system}|{value}")
    };
    let id = found["id"].as_str().unwrap_or_default().to_string();
    match ctx.call(
        "search-type",
        Request::get(t).query("identifier", &format!("{system}|{value}")),
    ) {
        Ok((r, took)) => {
            let hit = r.json().is_some_and(|b| {
                is_searchset(&b) && matches(&b).iter().any(|m| m["id"] == id.as_str())
            });
            ctx.outcome(
                &BY_IDENTIFIER,
                Some(t),
                r.status == 200 && hit,
                format!(
                    "by {what}: status {}, {t}/{id} {}",
                    r.status,
                    if hit { "found" } else { "not found" }
                ),
                Some(("search-type", took)),
            );
        }
        Err(e) => ctx.fail(&BY_IDENTIFIER, Some(t), e, None),
    }
}
