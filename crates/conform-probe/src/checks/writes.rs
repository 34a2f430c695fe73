//! Write checks, only with `--allow-writes`, on Patients and an
//! Observation the probe creates itself (a private identifier system marks
//! them) and deletes again, whatever the checks found.

use super::{id_from_location, skip_all};
use crate::runner::{Ctx, Def};
use conform_endpoint::{Request, Response};
use conform_outcome::Requirement::{Shall, Should};
use serde_json::{json, Value};

const CREATE: Def = Def {
    id: "write.create",
    requirement: Shall,
    why: "A declared create must store the resource and answer 201 Created.",
};
const LOCATION: Def = Def {
    id: "write.create.location",
    requirement: Should,
    why: "The Location header tells the client the new resource's id and version.",
};
const CONDITIONAL: Def = Def {
    id: "write.conditional-create",
    requirement: Should,
    why:
        "Declared conditional create (If-None-Exist) stops cross-region copies being stored twice.",
};
const UPDATE: Def = Def { id: "write.update", requirement: Shall, why: "A declared update with the current version in If-Match must succeed and make a new version." };
const STALE: Def = Def {
    id: "write.update.stale",
    requirement: Should,
    why: "An update with a stale If-Match must be refused with 412, or concurrent edits are lost.",
};
const TRANSACTION: Def = Def { id: "write.transaction", requirement: Shall, why: "A declared transaction must store all entries and rewrite urn:uuid references to the new ids." };
const DELETE: Def = Def {
    id: "write.delete",
    requirement: Shall,
    why: "A declared delete must remove the resource, so that a later read gives 404 or 410.",
};

/// The identifier system that marks probe data.
const SYSTEM: &str = "https://conform.invalid/probe-run";
const ALL: [&Def; 7] = [
    &CREATE,
    &LOCATION,
    &CONDITIONAL,
    &UPDATE,
    &STALE,
    &TRANSACTION,
    &DELETE,
];

fn patient(run: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM, "value": run}],
        "name": [{"family": "CONFORM-PROBE", "given": ["Test"]}],
        "gender": "unknown",
        "birthDate": "2000-01-01"
    })
}

pub(crate) fn run(ctx: &mut Ctx) {
    if !ctx.opts.allow_writes {
        skip_all(
            ctx,
            &ALL,
            None,
            "read-only by default: run with --allow-writes to create, update and delete probe data",
        );
        return;
    }
    let d = match ctx.usable() {
        Ok(d) => d,
        Err(reason) => return skip_all(ctx, &ALL, None, &reason),
    };
    let run = uuid::Uuid::new_v4().to_string();
    let mut created: Vec<(String, String)> = Vec::new();
    let id = if d.has("Patient", "create") {
        create(ctx, &run, &mut created)
    } else {
        skip_all(
            ctx,
            &[&CREATE, &LOCATION],
            None,
            "create is not declared for Patient",
        );
        None
    };
    match (&id, d.conditional_create.contains("Patient")) {
        (Some(_), true) => conditional(ctx, &run, id.as_deref().unwrap_or_default(), &mut created),
        (None, true) => ctx.skip(&CONDITIONAL, None, "no Patient was created to match"),
        (_, false) => ctx.skip(
            &CONDITIONAL,
            None,
            "conditionalCreate is not declared for Patient",
        ),
    }
    match (&id, d.has("Patient", "update")) {
        (Some(id), true) => update(ctx, &run, id),
        (None, true) => skip_all(
            ctx,
            &[&UPDATE, &STALE],
            None,
            "no Patient was created to update",
        ),
        (_, false) => skip_all(
            ctx,
            &[&UPDATE, &STALE],
            None,
            "update is not declared for Patient",
        ),
    }
    if d.system_interactions.contains("transaction") {
        transaction(ctx, &run, &mut created);
    } else {
        ctx.skip(&TRANSACTION, None, "transaction is not declared");
    }
    match (&id, d.has("Patient", "delete")) {
        (Some(id), true) => delete(ctx, id),
        (None, true) => ctx.skip(&DELETE, None, "no Patient was created to delete"),
        (_, false) => ctx.skip(&DELETE, None, "delete is not declared for Patient"),
    }
    // Clean up whatever is left, Observations before the Patients they name.
    created.sort_by_key(|(t, _)| t != "Observation");
    for (t, id) in created {
        let _ = ctx.ep.send(&Request::new("DELETE", &format!("{t}/{id}")));
    }
}

fn created_id(r: &Response, t: &str) -> Option<String> {
    r.header("location")
        .and_then(|l| id_from_location(l, t))
        .or_else(|| r.json().and_then(|b| b["id"].as_str().map(str::to_string)))
}

fn create(ctx: &mut Ctx, run: &str, created: &mut Vec<(String, String)>) -> Option<String> {
    let req = Request::new("POST", "Patient")
        .json(&patient(run))
        .header("Prefer", "return=representation");
    match ctx.call("create", req) {
        Ok((r, took)) => {
            let id = created_id(&r, "Patient").filter(|_| r.status == 201);
            if let Some(id) = &id {
                created.push(("Patient".into(), id.clone()));
            }
            ctx.outcome(
                &CREATE,
                None,
                id.is_some(),
                format!("POST Patient: status {}", r.status),
                Some(("create", took)),
            );
            let loc = r
                .header("location")
                .is_some_and(|l| id_from_location(l, "Patient").is_some());
            if id.is_some() {
                ctx.outcome(
                    &LOCATION,
                    None,
                    loc,
                    if loc {
                        "Location names the new Patient"
                    } else {
                        "no usable Location header"
                    },
                    None,
                );
            } else {
                ctx.skip(&LOCATION, None, "nothing was created");
            }
            id
        }
        Err(e) => {
            ctx.fail(&CREATE, None, e, None);
            ctx.skip(&LOCATION, None, "nothing was created");
            None
        }
    }
}

fn conditional(ctx: &mut Ctx, run: &str, id: &str, created: &mut Vec<(String, String)>) {
    let req = Request::new("POST", "Patient")
        .json(&patient(run))
        .header("If-None-Exist", &format!("identifier={SYSTEM}|{run}"));
    match ctx.call("create", req) {
        Ok((r, took)) => {
            let again = created_id(&r, "Patient");
            if r.status == 201 {
                if let Some(dup) = &again {
                    created.push(("Patient".into(), dup.clone()));
                }
            }
            let ok = r.status == 200 && again.as_deref().is_none_or(|a| a == id);
            ctx.outcome(
                &CONDITIONAL,
                None,
                ok,
                format!(
                    "POST with If-None-Exist matching Patient/{id}: status {}{}",
                    r.status,
                    if r.status == 201 {
                        " (a duplicate was created)"
                    } else {
                        ""
                    }
                ),
                Some(("create", took)),
            );
        }
        Err(e) => ctx.fail(&CONDITIONAL, None, e, None),
    }
}

fn version_of(ctx: &mut Ctx, id: &str) -> Option<String> {
    let (r, _) = ctx
        .call("read", Request::get(&format!("Patient/{id}")))
        .ok()?;
    r.json()?["meta"]["versionId"].as_str().map(str::to_string)
}

fn update(ctx: &mut Ctx, run: &str, id: &str) {
    let Some(v1) = version_of(ctx, id) else {
        skip_all(
            ctx,
            &[&UPDATE, &STALE],
            None,
            "the created Patient has no meta.versionId to send in If-Match",
        );
        return;
    };
    let mut body = patient(run);
    body["id"] = json!(id);
    body["name"][0]["given"] = json!(["Updated"]);
    let put = |v: &str| {
        Request::new("PUT", &format!("Patient/{id}"))
            .json(&body)
            .header("If-Match", &format!("W/\"{v}\""))
    };
    match ctx.call("update", put(&v1)) {
        Ok((r, took)) => {
            let v2 = version_of(ctx, id);
            let ok = r.status == 200 && v2.as_deref().is_some_and(|v| v != v1);
            ctx.outcome(
                &UPDATE,
                None,
                ok,
                format!(
                    "PUT with If-Match W/\"{v1}\": status {}, version now {}",
                    r.status,
                    v2.unwrap_or_else(|| "unknown".into())
                ),
                Some(("update", took)),
            );
            if !ok {
                ctx.skip(&STALE, None, "the update itself failed");
                return;
            }
        }
        Err(e) => {
            ctx.fail(&UPDATE, None, e, None);
            ctx.skip(&STALE, None, "the update itself failed");
            return;
        }
    }
    match ctx.call("update", put(&v1)) {
        Ok((r, took)) => ctx.outcome(
            &STALE,
            None,
            r.status == 412,
            format!("PUT with stale If-Match W/\"{v1}\": status {}", r.status),
            Some(("update", took)),
        ),
        Err(e) => ctx.fail(&STALE, None, e, None),
    }
}

fn transaction(ctx: &mut Ctx, run: &str, created: &mut Vec<(String, String)>) {
    let pid = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": pid, "resource": patient(&format!("{run}-tx")), "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
             "resource": {"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
                "subject": {"reference": pid},
                "valueQuantity": {"value": 72, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"}},
             "request": {"method": "POST", "url": "Observation"}}
        ]
    });
    let (r, took) = match ctx.call("transaction", Request::new("POST", "").json(&bundle)) {
        Ok(x) => x,
        Err(e) => return ctx.fail(&TRANSACTION, None, e, None),
    };
    let timed = Some(("transaction", took));
    let body = r.json().unwrap_or(Value::Null);
    let locations: Vec<String> = body["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["response"]["location"].as_str().map(str::to_string))
        .collect();
    let patient_id = locations
        .iter()
        .find_map(|l| id_from_location(l, "Patient"));
    let obs_id = locations
        .iter()
        .find_map(|l| id_from_location(l, "Observation"));
    if let Some(o) = &obs_id {
        created.push(("Observation".into(), o.clone()));
    }
    if let Some(p) = &patient_id {
        created.push(("Patient".into(), p.clone()));
    }
    let (Some(p), Some(o)) = (patient_id, obs_id) else {
        return ctx.fail(
            &TRANSACTION,
            None,
            format!(
                "status {}, {} entry location(s) in the response",
                r.status,
                locations.len()
            ),
            timed,
        );
    };
    let subject = ctx
        .call("read", Request::get(&format!("Observation/{o}")))
        .ok()
        .and_then(|(r, _)| r.json())
        .and_then(|b| b["subject"]["reference"].as_str().map(str::to_string));
    let want = format!("Patient/{p}");
    let ok = r.status == 200
        && body["type"] == "transaction-response"
        && subject
            .as_deref()
            .is_some_and(|s| s == want || s.ends_with(&format!("/{want}")));
    ctx.outcome(
        &TRANSACTION,
        None,
        ok,
        format!(
            "status {}, Observation.subject is {} (expected {want})",
            r.status,
            subject.unwrap_or_else(|| "unreadable".into())
        ),
        timed,
    );
}

fn delete(ctx: &mut Ctx, id: &str) {
    let (r, took) = match ctx.call("delete", Request::new("DELETE", &format!("Patient/{id}"))) {
        Ok(x) => x,
        Err(e) => return ctx.fail(&DELETE, None, e, None),
    };
    let after = ctx
        .call("read", Request::get(&format!("Patient/{id}")))
        .map(|(r, _)| r.status)
        .ok();
    let ok = matches!(r.status, 200 | 202 | 204) && matches!(after, Some(404 | 410));
    ctx.outcome(
        &DELETE,
        None,
        ok,
        format!(
            "DELETE: status {}, then read: {}",
            r.status,
            after
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer".into())
        ),
        Some(("delete", took)),
    );
}
