//! A YAML scenario file → planned scenarios: includes expanded with their
//! parameters, one instance per matrix combination, fixtures read, checks
//! spelled out, and everything that can be checked before a run checked
//! (regions named, ids unique, FHIRPath parses, durations, read-only).

use crate::interp::{bind, substitute_params, Vars};
use crate::load::LoadError;
use crate::model::{Check, ScenarioFile, Severity, StepItem};
use crate::plan::{
    Body, BodyMeasure, Capture, CheckKind, HeaderExpect, HeaderValue, Operator, PlannedCheck,
    PlannedScenario, PlannedStep, RetryPlan,
};
pub use conform_outcome::scenario::slug;
use conform_outcome::scenario::ScenarioIdentity;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// Includes may include, but not deeper than this (cycles end here).
pub const MAX_INCLUDE_DEPTH: usize = 8;
/// Steps in one phase (setup, steps, teardown) once includes are expanded.
pub const MAX_STEPS: usize = 1000;
/// Scenarios one file's matrix may make (the product of its value lists).
pub const MAX_MATRIX_COMBINATIONS: usize = 100;
/// Attempts a retry may make (`retry.for` / `retry.every`); the runner
/// stops there too.
pub const MAX_RETRY_ATTEMPTS: u32 = 100;
/// Longest `retry.for`.
pub const MAX_RETRY_FOR: Duration = Duration::from_secs(600);
/// Largest scenario or fragment file read, in bytes.
pub const MAX_SCENARIO_FILE_BYTES: u64 = 4 << 20;

/// A scenario file's text, refused past [`MAX_SCENARIO_FILE_BYTES`].
fn read_text(file: &Path) -> Result<String, LoadError> {
    let len = std::fs::metadata(file)
        .map_err(|e| LoadError::new(file, e.to_string()))?
        .len();
    if len > MAX_SCENARIO_FILE_BYTES {
        return Err(LoadError::new(
            file,
            format!("the file is {len} bytes, over the limit of {MAX_SCENARIO_FILE_BYTES} for a scenario file (docs/limits.md)"),
        ));
    }
    std::fs::read_to_string(file).map_err(|e| LoadError::new(file, e.to_string()))
}

pub fn parse_file(file: &Path) -> Result<ScenarioFile, LoadError> {
    let text = read_text(file)?;
    serde_yaml_ng::from_str(&text).map_err(|e| LoadError::yaml(file, &e))
}

fn check_schema(file: &Path, raw: &Value) -> Result<(), LoadError> {
    let errors = crate::schema::schema_errors(raw);
    if errors.is_empty() {
        return Ok(());
    }
    Err(LoadError::new(
        file,
        format!("does not follow the scenario schema: {}", errors.join("; ")),
    ))
}

pub fn compile_file(file: &Path) -> Result<Vec<PlannedScenario>, LoadError> {
    let sf = parse_file(file)?;
    let err = |m: String| LoadError::new(file, m);
    let id = sf
        .id
        .clone()
        .ok_or_else(|| err("a scenario needs an 'id'".into()))?;
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut fixtures = BTreeMap::new();
    for (name, rel) in &sf.fixtures {
        let path = dir.join(rel);
        let text = std::fs::read(&path)
            .map_err(|e| err(format!("fixture '{name}' ({}): {e}", path.display())))?;
        let v: Value = serde_json::from_slice(&text)
            .map_err(|e| err(format!("fixture '{name}' ({}): {e}", path.display())))?;
        fixtures.insert(name.clone(), v);
    }
    let phases = [&sf.setup, &sf.steps, &sf.teardown].map(|items| expand(items, dir, 0));
    let [setup, steps, teardown] = phases;
    let (setup, steps, teardown) = (setup?, steps?, teardown?);
    let count = sf
        .matrix
        .values()
        .try_fold(1usize, |n, values| n.checked_mul(values.len()))
        .filter(|&n| n <= MAX_MATRIX_COMBINATIONS);
    if count.is_none() {
        return Err(err(format!(
            "the matrix makes more than {MAX_MATRIX_COMBINATIONS} combinations (docs/limits.md)"
        )));
    }
    let mut out = Vec::new();
    for combo in combinations(&sf.matrix) {
        let mut mvars = Vars::new();
        for (k, v) in &combo {
            bind(&mut mvars, k, v);
        }
        let on_matrix = |s: &str| crate::interp::interpolate(s, &mvars).unwrap_or(s.to_string());
        let regions: Vec<String> = sf.regions.iter().map(|r| on_matrix(r)).collect();
        let suffix = if combo.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = combo
                .iter()
                .map(|(k, v)| format!("{k}={}", short(v)))
                .collect();
            format!("[{}]", parts.join(","))
        };
        let mut s = PlannedScenario {
            identity: ScenarioIdentity {
                id: format!("{id}{suffix}"),
                title: sf.title.clone().unwrap_or(id.clone()),
                source: file.display().to_string(),
                tags: sf.tags.clone(),
                requirements: sf.requirements.clone(),
                regions: regions.clone(),
                roles: sf.roles.clone(),
                matrix: combo.iter().cloned().collect(),
            },
            vars: sf
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            fixtures: fixtures.clone(),
            packages: sf.packages.clone(),
            ..Default::default()
        };
        let mut ids = BTreeSet::new();
        for (target, items) in [
            (&mut s.setup, &setup),
            (&mut s.steps, &steps),
            (&mut s.teardown, &teardown),
        ] {
            for step in items {
                let mut p = plan_step(step).map_err(&err)?;
                p.on = on_matrix(&p.on);
                if !regions.contains(&p.on) {
                    return Err(err(format!(
                        "step '{}' is on region '{}', which the scenario's 'regions' ({}) does not list",
                        p.id,
                        p.on,
                        regions.join(", ")
                    )));
                }
                if !ids.insert(p.id.clone()) {
                    return Err(err(format!("step id '{}' is used twice", p.id)));
                }
                if let Some(Body::Fixture { name, .. }) = &p.body {
                    if !fixtures.contains_key(name) {
                        return Err(err(format!(
                            "step '{}' uses fixture '{name}', which 'fixtures' does not define",
                            p.id
                        )));
                    }
                }
                if sf.read_only && p.writes {
                    return Err(err(format!(
                        "step '{}' writes, but the scenario is read_only",
                        p.id
                    )));
                }
                target.push(p);
            }
        }
        out.push(s);
    }
    // Everything our own checks say has been said; the schema has the rest.
    let text = read_text(file)?;
    let raw: Value = serde_yaml_ng::from_str(&text).map_err(|e| LoadError::yaml(file, &e))?;
    check_schema(file, &raw)?;
    Ok(out)
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("id")
            .or_else(|| o.values().next())
            .map(short)
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Every combination of the matrix values, keys in order.
fn combinations(matrix: &BTreeMap<String, Vec<Value>>) -> Vec<Vec<(String, Value)>> {
    let mut out: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (k, values) in matrix {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push((k.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    out
}

/// Steps with every include replaced by the fragment's steps, its
/// parameters substituted.
fn expand(items: &[StepItem], dir: &Path, depth: usize) -> Result<Vec<StepItem>, LoadError> {
    let mut out = Vec::new();
    let too_many = || {
        LoadError::new(
            dir,
            format!("more than {MAX_STEPS} steps in one phase, includes expanded (docs/limits.md)"),
        )
    };
    for item in items {
        // Checked before each item, so a fan-out of includes stops early.
        if out.len() > MAX_STEPS {
            return Err(too_many());
        }
        let Some(include) = &item.include else {
            out.push(item.clone());
            continue;
        };
        let path = dir.join(include);
        if item.name.is_some() || item.request.is_some() || item.on.is_some() {
            return Err(LoadError::new(
                dir,
                format!(
                    "an include of {include} has step fields too: an item is a step or an include"
                ),
            ));
        }
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(LoadError::new(&path, "includes nest too deep (a cycle?)"));
        }
        let text = read_text(&path)?;
        let mut raw: Value =
            serde_yaml_ng::from_str(&text).map_err(|e| LoadError::yaml(&path, &e))?;
        let params: Vec<String> = raw["params"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        for k in item.with.keys() {
            if !params.contains(k) {
                return Err(LoadError::new(
                    &path,
                    format!(
                        "the include passes '{k}', which the fragment's 'params' does not list"
                    ),
                ));
            }
        }
        if let Some(missing) = params.iter().find(|p| !item.with.contains_key(*p)) {
            return Err(LoadError::new(
                &path,
                format!("the include does not give parameter '{missing}'"),
            ));
        }
        // Our own messages first (above); then the schema, before substitution.
        check_schema(&path, &raw)?;
        substitute_params(&mut raw["steps"], &item.with);
        let items: Vec<StepItem> = serde_json::from_value(raw["steps"].take())
            .map_err(|e| LoadError::new(&path, format!("steps: {e}")))?;
        let inner_dir = path.parent().unwrap_or(Path::new(""));
        out.extend(expand(&items, inner_dir, depth + 1)?);
    }
    if out.len() > MAX_STEPS {
        return Err(too_many());
    }
    Ok(out)
}

fn duration(text: &str, what: &str) -> Result<Duration, String> {
    conform_endpoint::parse_duration(text)
        .ok_or_else(|| format!("bad {what} '{text}' (use e.g. 500ms, 2s, 1m)"))
}

/// Checks a FHIRPath expression parses (those with `${...}` are checked
/// after interpolation, at run time).
fn fhirpath(expr: &str, step: &str) -> Result<(), String> {
    if expr.contains("${") {
        return Ok(());
    }
    conform_fhirpath::parse(expr)
        .map(|_| ())
        .map_err(|e| format!("step '{step}': FHIRPath '{expr}' does not parse: {e}"))
}

/// A step's retry, within [`MAX_RETRY_FOR`] and [`MAX_RETRY_ATTEMPTS`].
fn retry_plan(r: &crate::model::Retry, id: &str) -> Result<RetryPlan, String> {
    let every = match &r.every {
        Some(t) => duration(t, "retry.every")?,
        None => Duration::from_secs(1),
    };
    let limit = duration(&r.limit, "retry.for")?;
    if limit > MAX_RETRY_FOR {
        return Err(format!(
            "step '{id}': retry.for {:?} is over the limit of {:?} (docs/limits.md)",
            limit, MAX_RETRY_FOR
        ));
    }
    let attempts = limit.as_nanos() / every.as_nanos().max(1) + 1;
    if attempts > u128::from(MAX_RETRY_ATTEMPTS) {
        return Err(format!(
            "step '{id}': retrying every {every:?} for {limit:?} makes up to {attempts} attempts, \
             over the limit of {MAX_RETRY_ATTEMPTS}: wait longer between them (docs/limits.md)"
        ));
    }
    Ok(RetryPlan { every, limit })
}

fn plan_step(step: &StepItem) -> Result<PlannedStep, String> {
    let name = step.name.clone().ok_or_else(|| {
        format!(
            "a step needs a name (id: {})",
            step.id.as_deref().unwrap_or("none")
        )
    })?;
    let id = step.id.clone().unwrap_or_else(|| slug(&name));
    let on = step
        .on
        .clone()
        .ok_or_else(|| format!("step '{id}' needs 'on' (the region it talks to)"))?;
    let r = step
        .request
        .as_ref()
        .ok_or_else(|| format!("step '{id}' needs a 'request'"))?;
    let e = &step.expect;
    let sev = e.severity.unwrap_or(Severity::Shall);
    let check = |id: String, severity: Option<Severity>, reqs: &[String], kind| PlannedCheck {
        id,
        severity: severity.unwrap_or(sev),
        requirements: if reqs.is_empty() {
            e.requirements.clone()
        } else {
            reqs.to_vec()
        },
        message: None,
        kind,
        source: None,
    };
    let mut checks = Vec::new();
    if let Some(st) = &e.status {
        checks.push(check(
            "status".into(),
            None,
            &[],
            CheckKind::Status(st.codes()),
        ));
    }
    for (name, want) in &e.headers {
        let expect = match want.as_str() {
            "present" => HeaderExpect::Present,
            "absent" => HeaderExpect::Absent,
            v => HeaderExpect::Compare(Operator::Equals, v.to_string()),
        };
        checks.push(check(
            format!("header.{name}"),
            None,
            &[],
            CheckKind::Header {
                name: name.clone(),
                expect,
            },
        ));
    }
    for (i, c) in e.fhirpath.iter().enumerate() {
        let (cid, expr, severity, reqs, message) = match c {
            Check::Expr(x) => (None, x.clone(), None, Vec::new(), None),
            Check::Full(f) => (
                f.id.clone(),
                f.expr.clone(),
                f.severity,
                f.requirements.clone(),
                f.message.clone(),
            ),
        };
        fhirpath(&expr, &id)?;
        let mut c = check(
            cid.unwrap_or(format!("fhirpath.{}", i + 1)),
            severity,
            &reqs,
            CheckKind::FhirPath(expr),
        );
        c.message = message;
        checks.push(c);
    }
    for (i, c) in e.count.iter().enumerate() {
        fhirpath(&c.expr, &id)?;
        let (min, max) = match c.equals {
            Some(n) => (Some(n), Some(n)),
            None => (c.min, c.max),
        };
        if min.is_none() && max.is_none() {
            return Err(format!(
                "step '{id}': count '{}' needs equals, min or max",
                c.expr
            ));
        }
        checks.push(check(
            c.id.clone().unwrap_or(format!("count.{}", i + 1)),
            c.severity,
            &c.requirements,
            CheckKind::Count {
                expr: c.expr.clone(),
                min,
                max,
            },
        ));
    }
    for target in e.validate.iter().flat_map(|v| v.items()) {
        checks.push(check(
            format!("validate.{target}"),
            None,
            &[],
            CheckKind::Validate(target),
        ));
    }
    if let Some(b) = &e.body {
        if let Some(t) = &b.content_type {
            checks.push(check(
                "body.content_type".into(),
                None,
                &[],
                CheckKind::ContentType(t.clone()),
            ));
        }
        let measures = [
            (BodyMeasure::Size, b.size.as_ref().map(scalar)),
            (BodyMeasure::Sha1, b.sha1.clone()),
        ];
        for (measure, value) in measures {
            let Some(value) = value else { continue };
            let name = if measure == BodyMeasure::Size {
                "size"
            } else {
                "sha1"
            };
            checks.push(check(
                format!("body.{name}"),
                None,
                &[],
                CheckKind::BodyMeasure { measure, value },
            ));
        }
        if !b.not_contains.is_empty() {
            checks.push(check(
                "body.not_contains".into(),
                None,
                &[],
                CheckKind::BodyExcludes(b.not_contains.clone()),
            ));
        }
    }
    let mut captures = Vec::new();
    for (var, from) in &step.capture {
        let c = match from.strip_prefix("header:") {
            Some(h) => Capture::Header(h.trim().to_string()),
            None if from.starts_with("body:") => {
                let what = from["body:".len()..].trim();
                Capture::Body(BodyMeasure::parse(what).ok_or_else(|| {
                    format!(
                        "step '{id}': capture '{from}': the body gives 'body:size' or 'body:sha1'"
                    )
                })?)
            }
            None => {
                fhirpath(from, &id)?;
                Capture::FhirPath(from.clone())
            }
        };
        captures.push((var.clone(), c));
    }
    let retry = match &step.retry {
        Some(r) => Some(retry_plan(r, &id)?),
        None if step.until.is_some() => {
            return Err(format!("step '{id}': 'until' needs a 'retry'"))
        }
        None => None,
    };
    if let Some(u) = &step.until {
        fhirpath(u, &id)?;
    }
    let method = r.method.to_ascii_uppercase();
    let searches = method == "POST" && r.path.trim_end_matches('/').ends_with("_search");
    // GP Connect's structured record is read with a POST of Parameters.
    let reads_gp_record = method == "POST"
        && r.gp_connect.as_ref().is_some_and(|c| {
            c.interaction == conform_endpoint::gp_connect::Interaction::StructuredRecord.id()
        });
    if matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
        && !searches
        && !reads_gp_record
        && !step.writes
    {
        return Err(format!(
            "step '{id}' sends {method}, which changes data: mark it 'writes: true' (it then runs only with --allow-writes)"
        ));
    }
    let params = pairs(&r.params);
    if r.body.is_some() && !r.form.is_empty() {
        return Err(format!("step '{id}' has both a body and a form: give one"));
    }
    let body = match &r.body {
        None if !r.form.is_empty() => Some(Body::Form(pairs(&r.form))),
        None => None,
        Some(Value::Object(o)) if o.contains_key("fixture") && !o.contains_key("resourceType") => {
            let name = o["fixture"]
                .as_str()
                .ok_or_else(|| format!("step '{id}': body.fixture must be a name"))?;
            let set = o
                .get("set")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            Some(Body::Fixture {
                name: name.to_string(),
                set,
            })
        }
        Some(v) => Some(Body::Inline(v.clone())),
    };
    Ok(PlannedStep {
        id,
        name,
        group: None,
        on,
        writes: step.writes,
        method,
        path: r.path.clone(),
        params,
        headers: r
            .headers
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    crate::model::HeaderSpec::Text(t) => HeaderValue::Text(t.clone()),
                    crate::model::HeaderSpec::Encoded(e) => HeaderValue::Base64(e.base64.clone()),
                };
                (k.clone(), value)
            })
            .collect(),
        body,
        checks,
        captures,
        retry,
        until: step.until.clone(),
        gp_connect: r.gp_connect.clone(),
        keep_as: Vec::new(),
        soft_captures: Vec::new(),
        gate: false,
        anonymous: !r.authenticate,
        stop_at_redirects: !r.follow_redirects,
    })
}

/// Name/value pairs from a map whose list values repeat the name.
fn pairs(map: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            Value::Array(a) => out.extend(a.iter().map(|x| (k.clone(), scalar(x)))),
            x => out.push((k.clone(), scalar(x))),
        }
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
