//! FHIR R4 TestScript (JSON, or XML read with the definitions) → a planned
//! scenario, from the TestScript specification: fixtures (contained, files,
//! `Type/id` from the fixture folders), variables, `metadata.capability`
//! (a gate step on the server's CapabilityStatement), every operation type
//! and every assert (docs/scenarios.md lists them). Destinations are bound
//! to regions with `--bind INDEX=REGION`; conform is every origin. What is
//! left (`rule`, `ruleset`, `scope`) is listed as unsupported and reported as
//! a skipped assertion, never silently passed.
//!
//! Here: the script as a whole (fixtures, variables, destinations, setup,
//! tests and teardown); `operation` turns an operation into a step and
//! `assert` an assert into a check on that step.

use crate::load::{Bindings, LoadError, LoadSettings};
use crate::plan::{Capture, PlannedScenario, PlannedStep};
use conform_outcome::scenario::ScenarioIdentity;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

mod assert;
mod fixtures;
mod operation;

pub use fixtures::FixtureIndex;

struct Compiler<'a> {
    ts: &'a Value,
    bindings: &'a Bindings,
    out: PlannedScenario,
    /// Variable name → how a response fills it (by responseId).
    response_vars: Vec<(String, String, Capture)>,
    /// Variables with no source: filled from each response that has them.
    latest_vars: Vec<(String, Capture)>,
    steps: usize,
}

/// A TestScript file, JSON or XML.
pub fn compile_file(
    file: &Path,
    settings: &LoadSettings,
    index: &FixtureIndex,
) -> Result<PlannedScenario, LoadError> {
    let ts = fixtures::read_resource(file, settings.xml).map_err(|m| {
        LoadError::new(
            file,
            m.strip_prefix(&format!("{}: ", file.display()))
                .unwrap_or(&m)
                .to_string(),
        )
    })?;
    compile(&ts, file, settings, index).map_err(|m| LoadError::new(file, m))
}

pub fn compile(
    ts: &Value,
    file: &Path,
    settings: &LoadSettings,
    index: &FixtureIndex,
) -> Result<PlannedScenario, String> {
    let bindings = &settings.bindings;
    let given = &settings.values;
    if ts["resourceType"] != "TestScript" {
        return Err("not a TestScript".into());
    }
    let name = ts["name"]
        .as_str()
        .or(ts["id"].as_str())
        .unwrap_or("testscript");
    let mut c = Compiler {
        ts,
        bindings,
        out: PlannedScenario {
            identity: ScenarioIdentity {
                id: ts["id"].as_str().unwrap_or(name).to_string(),
                title: ts["title"].as_str().unwrap_or(name).to_string(),
                source: file.display().to_string(),
                tags: vec!["testscript".into()],
                ..Default::default()
            },
            ..Default::default()
        },
        response_vars: Vec::new(),
        latest_vars: Vec::new(),
        steps: 0,
    };
    for (k, _) in ts.as_object().into_iter().flatten() {
        // R4's rule and ruleset (removed in R5) and R5's scope.
        if ["rule", "ruleset", "scope"].contains(&k.as_str()) {
            c.out.unsupported.push(format!("TestScript.{k}"));
        }
    }
    c.fixtures(file.parent().unwrap_or(Path::new("")), index)?;
    c.variables(given)?;
    for d in ts["destination"].as_array().into_iter().flatten() {
        let i = d["index"].as_u64().unwrap_or(1) as u32;
        let region = c.region(Some(i))?;
        if !c.out.identity.regions.contains(&region) {
            c.out.identity.regions.push(region);
        }
    }
    if ts["destination"].as_array().is_none_or(|a| a.is_empty()) {
        let region = c.region(None)?;
        c.out.identity.regions.push(region);
    }
    // autocreate: stored before the setup (PUT with its id, else POST);
    // autodelete: deleted after the teardown.
    let fixtures: Vec<(String, bool, bool)> = ts["fixture"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let id = f["id"].as_str()?.to_string();
            Some((id, f["autocreate"] == true, f["autodelete"] == true))
        })
        .collect();
    let mut setup = c.capability_steps(index, file.parent().unwrap_or(Path::new("")))?;
    for (id, create, _) in &fixtures {
        if *create {
            let op = c.auto_operation(id, "autocreate")?;
            setup.push(c.operation(&op, None)?);
        }
    }
    setup.extend(c.actions(&ts["setup"]["action"], None)?);
    c.out.setup = setup;
    for (i, t) in ts["test"].as_array().into_iter().flatten().enumerate() {
        let group = t["name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or(format!("test {}", i + 1));
        let steps = c.actions(&t["action"], Some(group))?;
        c.out.steps.extend(steps);
    }
    let mut teardown = c.actions(&ts["teardown"]["action"], None)?;
    for (id, _, delete) in &fixtures {
        if *delete {
            let op = c.auto_operation(id, "autodelete")?;
            teardown.push(c.operation(&op, None)?);
        }
    }
    c.out.teardown = teardown;
    let latest = std::mem::take(&mut c.latest_vars);
    for step in c
        .out
        .setup
        .iter_mut()
        .chain(c.out.steps.iter_mut())
        .chain(c.out.teardown.iter_mut())
    {
        step.soft_captures.extend(latest.iter().cloned());
    }
    // Response variables become captures on the step that names the response.
    for (var, response_id, capture) in std::mem::take(&mut c.response_vars) {
        let step = c
            .out
            .setup
            .iter_mut()
            .chain(c.out.steps.iter_mut())
            .find(|s| s.id.ends_with(&format!("#{response_id}")));
        match step {
            Some(s) => s.captures.push((var, capture)),
            None => c.out.unsupported.push(format!(
                "variable '{var}': no operation has responseId '{response_id}'"
            )),
        }
    }
    Ok(c.out)
}

impl Compiler<'_> {
    fn region(&self, index: Option<u32>) -> Result<String, String> {
        let i = index.unwrap_or(1);
        self.bindings.get(&i).cloned().ok_or_else(|| {
            format!("TestScript destination {i} is not bound to a region: use --bind {i}=REGION")
        })
    }

    fn fixtures(&mut self, dir: &Path, index: &FixtureIndex) -> Result<(), String> {
        let contained: BTreeMap<&str, &Value> = self.ts["contained"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(|id| (id, r)))
            .collect();
        for f in self.ts["fixture"].as_array().into_iter().flatten() {
            let id = f["id"].as_str().ok_or("a fixture has no id")?;
            let Some(reference) = f["resource"]["reference"].as_str() else {
                continue;
            };
            let value = if let Some(local) = reference.strip_prefix('#') {
                (*contained
                    .get(local)
                    .ok_or(format!("fixture '{id}': no contained resource '{local}'"))?)
                .clone()
            } else {
                index
                    .resolve(reference, dir)
                    .map_err(|e| format!("fixture '{id}' ({reference}): {e}"))?
            };
            self.out.fixtures.insert(id.to_string(), value);
        }
        Ok(())
    }

    /// The operation `autocreate` or `autodelete` of a fixture stands for.
    fn auto_operation(&self, fixture: &str, what: &str) -> Result<Value, String> {
        let f = self
            .out
            .fixtures
            .get(fixture)
            .ok_or(format!("fixture '{fixture}': {what} needs its resource"))?;
        let rtype = f["resourceType"].as_str().unwrap_or("");
        let label = format!("{what} {fixture}");
        Ok(match (what, f["id"].is_string()) {
            ("autocreate", true) => {
                serde_json::json!({"type": {"code": "update"}, "resource": rtype, "sourceId": fixture, "label": label})
            }
            ("autocreate", false) => {
                serde_json::json!({"type": {"code": "create"}, "resource": rtype, "sourceId": fixture, "responseId": fixture, "label": label})
            }
            _ => {
                serde_json::json!({"type": {"code": "delete"}, "resource": rtype, "targetId": fixture, "label": label})
            }
        })
    }

    /// `metadata.capability`: for each, the server's CapabilityStatement
    /// is read first and must declare what the capability needs: the
    /// interactions of the CapabilityStatement it names (contained or
    /// found like a fixture), else those its `link`s to the RESTful API
    /// page name (`http.html#read`...) on the resource types the script's
    /// operations use. A required one missing skips the script with the
    /// reason; one not required is a warning.
    fn capability_steps(
        &mut self,
        index: &FixtureIndex,
        dir: &Path,
    ) -> Result<Vec<PlannedStep>, String> {
        let mut steps = Vec::new();
        let capabilities = self.ts["metadata"]["capability"].clone();
        for (i, cap) in capabilities.as_array().into_iter().flatten().enumerate() {
            let dest = cap["destination"].as_u64().map(|d| d as u32);
            let named = cap["capabilities"]
                .as_str()
                .and_then(|r| match r.strip_prefix('#') {
                    Some(local) => self.ts["contained"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["id"] == local)
                        .cloned(),
                    None => index.resolve(r, dir).ok(),
                });
            let required = match named {
                Some(cs) => declared_interactions(&cs),
                None => {
                    let types = self.operation_types(dest);
                    let mut out = Vec::new();
                    for link in cap["link"].as_array().into_iter().flatten() {
                        let anchor = link.as_str().and_then(|l| l.rsplit_once('#')).map(|x| x.1);
                        let (system, codes): (bool, &[&str]) = match anchor {
                            Some("read") => (false, &["read"]),
                            Some("vread") => (false, &["vread"]),
                            Some("update") => (false, &["update"]),
                            Some("patch") => (false, &["patch"]),
                            Some("delete") => (false, &["delete"]),
                            Some("history") => (false, &["history-instance", "history-type"]),
                            Some("create") => (false, &["create"]),
                            Some("search") => (false, &["search-type"]),
                            Some("transaction") => (true, &["transaction"]),
                            Some("batch") => (true, &["batch"]),
                            _ => continue,
                        };
                        let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
                        if system {
                            out.push((String::new(), codes));
                        } else {
                            out.extend(types.iter().map(|t| (t.clone(), codes.clone())));
                        }
                    }
                    out
                }
            };
            let description = cap["description"].as_str().unwrap_or("capability");
            if required.is_empty() {
                self.out.unsupported.push(format!(
                    "metadata.capability '{description}': names no interaction to check (its CapabilityStatement was not found and its links name none)"
                ));
                continue;
            }
            let on = self.region(dest)?;
            let must = cap["required"] != false;
            let validated = if cap["validated"] == true {
                " (validated)"
            } else {
                ""
            };
            steps.push(PlannedStep {
                id: format!("capability{}", i + 1),
                name: format!("metadata.capability: {description}{validated}"),
                on,
                method: "GET".into(),
                path: "metadata".into(),
                gate: must,
                checks: vec![crate::plan::PlannedCheck {
                    id: format!("capability{}", i + 1),
                    severity: if must {
                        crate::model::Severity::Shall
                    } else {
                        crate::model::Severity::Should
                    },
                    requirements: Vec::new(),
                    message: None,
                    kind: crate::plan::CheckKind::Capabilities(required),
                    source: None,
                }],
                ..Default::default()
            });
        }
        Ok(steps)
    }

    /// The resource types the operations to a destination use.
    fn operation_types(&self, dest: Option<u32>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut actions: Vec<&Value> = Vec::new();
        for part in [&self.ts["setup"], &self.ts["teardown"]] {
            actions.extend(part["action"].as_array().into_iter().flatten());
        }
        for t in self.ts["test"].as_array().into_iter().flatten() {
            actions.extend(t["action"].as_array().into_iter().flatten());
        }
        for a in actions {
            let op = &a["operation"];
            if op.is_null()
                || (dest.is_some()
                    && op["destination"].as_u64().map(|d| d as u32).unwrap_or(1)
                        != dest.unwrap_or(1))
            {
                continue;
            }
            let rtype = op["resource"].as_str().map(str::to_string).or_else(|| {
                op["sourceId"]
                    .as_str()
                    .and_then(|s| self.out.fixtures.get(s))
                    .and_then(|f| f["resourceType"].as_str().map(str::to_string))
            });
            if let Some(t) = rtype {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    fn is_fixture(&self, id: &str) -> bool {
        self.out.fixtures.contains_key(id)
    }

    /// Variables: a value given with `--var` first, then what the variable
    /// says: `expression`, `path` or `headerField` on its `sourceId` (a
    /// fixture, read when the run starts, or a response, captured when it
    /// comes); with no `sourceId`, on each response as it comes (the latest
    /// wins); else its `defaultValue`. A variable with only a `hint` needs
    /// `--var`.
    fn variables(&mut self, given: &BTreeMap<String, String>) -> Result<(), String> {
        for v in self.ts["variable"].as_array().into_iter().flatten() {
            let name = v["name"]
                .as_str()
                .ok_or("a variable has no name")?
                .to_string();
            for (k, _) in v.as_object().into_iter().flatten() {
                if !VARIABLE_KEYS.contains(&k.as_str()) {
                    self.out.unsupported.push(format!("variable '{name}': {k}"));
                }
            }
            if let Some(value) = given.get(&name) {
                self.out.vars.push((name, Value::String(value.clone())));
                continue;
            }
            if v["path"].is_string() {
                self.out.needs_definitions = true;
            }
            let how = match (
                v["expression"].as_str(),
                v["path"].as_str(),
                v["headerField"].as_str(),
            ) {
                (Some(e), _, _) => Some(Capture::FhirPath(e.to_string())),
                (None, Some(p), _) => Some(Capture::Path(p.to_string())),
                (None, None, Some(h)) => Some(Capture::Header(h.to_string())),
                _ => None,
            };
            if let Some(d) = v["defaultValue"].as_str() {
                // The default until (if ever) its source gives a value.
                self.out
                    .vars
                    .push((name.clone(), Value::String(d.to_string())));
            }
            match (how, v["sourceId"].as_str()) {
                (Some(how), Some(src)) if self.is_fixture(src) => {
                    self.out.fixture_vars.push((name, src.to_string(), how))
                }
                (Some(how), Some(src)) => self.response_vars.push((name, src.to_string(), how)),
                (Some(how), None) => self.latest_vars.push((name, how)),
                (None, _) if v["defaultValue"].is_string() => {}
                (None, _) => {
                    let hint = v["hint"]
                        .as_str()
                        .map(|h| format!(" (hint: {h})"))
                        .unwrap_or_default();
                    return Err(format!(
                        "variable '{name}' has no value: give it with --var {name}=VALUE{hint}"
                    ));
                }
            }
        }
        Ok(())
    }

    fn actions(
        &mut self,
        actions: &Value,
        group: Option<String>,
    ) -> Result<Vec<PlannedStep>, String> {
        let mut steps: Vec<PlannedStep> = Vec::new();
        for (i, action) in actions.as_array().into_iter().flatten().enumerate() {
            if let Some(op) = action.get("operation") {
                let step = self.operation(op, group.clone())?;
                steps.push(step);
            } else if let Some(a) = action.get("assert") {
                let check = self.assert(a, steps.last());
                match steps.last_mut() {
                    Some(s) => s.checks.push(check),
                    None => self.out.unsupported.push(format!(
                        "{} action {}: an assert before any operation",
                        group.as_deref().unwrap_or("setup/teardown"),
                        i + 1
                    )),
                }
            }
        }
        Ok(steps)
    }
}

/// The server-mode interactions a CapabilityStatement declares, each as
/// (type or empty for the system, [code]).
fn declared_interactions(cs: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for rest in cs["rest"].as_array().into_iter().flatten() {
        if rest["mode"] != "server" {
            continue;
        }
        for i in rest["interaction"].as_array().into_iter().flatten() {
            if let Some(c) = i["code"].as_str() {
                out.push((String::new(), vec![c.to_string()]));
            }
        }
        for r in rest["resource"].as_array().into_iter().flatten() {
            let t = r["type"].as_str().unwrap_or("").to_string();
            for i in r["interaction"].as_array().into_iter().flatten() {
                if let Some(c) = i["code"].as_str() {
                    out.push((t.clone(), vec![c.to_string()]));
                }
            }
        }
    }
    out
}

const VARIABLE_KEYS: &[&str] = &[
    "id",
    "extension",
    "modifierExtension",
    "name",
    "defaultValue",
    "description",
    "expression",
    "headerField",
    "hint",
    "path",
    "sourceId",
];
