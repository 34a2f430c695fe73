//! `--format sarif`: SARIF 2.1.0, the format code-scanning tools read, for
//! every command's outcomes. One run; one result per outcome that did not
//! pass (information and passes only when asked), placed by where it was
//! found: a payload finding by file, line and column with its FHIRPath as
//! a logical location; an endpoint check by the URL it was made against; a
//! scenario step or a set-up check by a logical location. Each result has a
//! partial fingerprint from [`Outcome::fingerprint`] (rule and location,
//! never the message or the line) so it keeps its identity across runs.
//! `tool.driver.rules` lists the rules that fired, with a description.

use crate::group::{Group, Scope};
use crate::pretty::PrettyArray;
use crate::spool::{Spool, SPOOL_MEMORY};
use conform_outcome::validate::{ResourceResult, Sink, ValidationReport};
use conform_outcome::{Outcome, Severity, Triage};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the partial fingerprint; bump the version if its inputs change
/// (v2: [`Outcome::fingerprint`] of the artifact URI, endpoint, scenario or
/// area).
pub const FINGERPRINT_KEY: &str = "conformFinding/v2";

/// Describes a rule by its id, when it knows the rule.
pub type Describe<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Clone, Default)]
pub struct SarifOptions<'a> {
    /// Also report information outcomes and passes (as SARIF `note`s).
    pub include_information: bool,
    /// Describes a rule by id (the validator's rules, a pack's national
    /// rules); rules it does not know are described by their outcome's
    /// `why`, else generically.
    pub describe: Option<Describe<'a>>,
    /// The folder file URIs are made relative to (the working folder).
    pub base_dir: Option<&'a Path>,
    /// `runs[0].properties` (a validation run's packages, say).
    pub properties: Map<String, Value>,
}

/// A validation run's `runs[0].properties`: the packages loaded, and those
/// substituted or left out when there are any.
pub fn validation_properties(report: &ValidationReport) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert("packages".into(), json!(report.packages));
    if !report.substitutions.is_empty() {
        properties.insert("substitutions".into(), json!(report.substitutions));
    }
    if !report.missing_packages.is_empty() {
        properties.insert("missing_packages".into(), json!(report.missing_packages));
    }
    properties
}

/// The whole log of outcomes already grouped in memory (every command):
/// fed through the [`SarifWriter`] that streams a validation run.
pub fn render_sarif(groups: &[Group], opts: &SarifOptions) -> String {
    let mut writer = SarifWriter::new(Vec::new(), opts.clone(), Spool::in_memory());
    for group in groups {
        for o in &group.outcomes {
            writer.outcome(group.scope, o);
        }
    }
    let bytes = writer.finish().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// Writes a SARIF log outcome by outcome, in flat memory. `results` comes
/// after `tool.driver.rules` in the log, and each result's `ruleIndex` is
/// its rule's place in the sorted list of the rules that fired — both
/// known only at the end — so results are spooled (as compact JSON, one a
/// line: in memory up to a few MB, then in a temporary file) and written
/// after the rules by [`SarifWriter::finish`]. What stays in memory is one
/// description per distinct rule. The log is byte for byte the one the
/// whole report gave before results were streamed.
pub struct SarifWriter<'a, W: Write> {
    out: W,
    opts: SarifOptions<'a>,
    /// By rule id (sorted: `ruleIndex` is the place here), the rule's
    /// description, made from the first outcome of the rule.
    rules: BTreeMap<String, Value>,
    /// The results so far, compact, one a line, without `ruleIndex`.
    results: Spool,
    /// The first write error; later writes are skipped and `finish` says.
    failed: Option<io::Error>,
}

impl<'a, W: Write> SarifWriter<'a, W> {
    pub(crate) fn new(out: W, opts: SarifOptions<'a>, results: Spool) -> SarifWriter<'a, W> {
        SarifWriter {
            out,
            opts,
            rules: BTreeMap::new(),
            results,
            failed: None,
        }
    }

    /// A writer whose spool moves to a temporary file when it grows.
    pub fn streaming(out: W, opts: SarifOptions<'a>) -> SarifWriter<'a, W> {
        SarifWriter::new(out, opts, Spool::new(SPOOL_MEMORY))
    }

    /// One outcome about `scope` (skipped when it is information and
    /// information is not asked for).
    pub fn outcome(&mut self, scope: Scope, o: &Outcome) {
        if o.severity == Severity::Information && !self.opts.include_information {
            return;
        }
        if !self.rules.contains_key(&o.rule) {
            let rule = rule(o, self.opts.describe);
            self.rules.insert(o.rule.clone(), rule);
        }
        if self.failed.is_some() {
            return;
        }
        let place = GroupPlace::of(scope, self.opts.base_dir);
        let result = result(o, &place);
        let written = serde_json::to_writer(&mut self.results, &result)
            .map_err(io::Error::from)
            .and_then(|()| self.results.write_all(b"\n"));
        self.failed = written.err();
    }

    /// Writes the log: the rules, the properties, then the spooled results
    /// with their `ruleIndex`. The writer, or the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let rule_ids: Vec<String> = self.rules.keys().cloned().collect();
        let rules: Vec<Value> = std::mem::take(&mut self.rules).into_values().collect();
        let mut run = json!({
            "tool": { "driver": {
                "name": "conform",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
        });
        if !self.opts.properties.is_empty() {
            run["properties"] = Value::Object(std::mem::take(&mut self.opts.properties));
        }
        run["results"] = json!([]);
        let log = json!({
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [run],
        });
        let mut results = PrettyArray::new(log, "/runs/0/results");
        let out = &mut self.out;
        out.write_all(results.head().as_bytes())?;
        self.results.drain(|spooled| {
            let mut line = Vec::new();
            while spooled.read_until(b'\n', &mut line)? > 0 {
                let mut result: Value = serde_json::from_slice(&line)?;
                let id = result["ruleId"].as_str().unwrap_or_default();
                if let Ok(i) = rule_ids.binary_search_by(|r| r.as_str().cmp(id)) {
                    result["ruleIndex"] = json!(i);
                }
                out.write_all(results.item(&result).as_bytes())?;
                line.clear();
            }
            Ok(())
        })?;
        out.write_all(results.end().as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(self.out)
    }
}

/// `--format sarif` of `conform validate`, streamed: each finding goes to
/// the [`SarifWriter`] as its resource is validated, placed by its file.
pub struct SarifSink<'a, W: Write> {
    writer: SarifWriter<'a, W>,
}

impl<'a, W: Write> SarifSink<'a, W> {
    pub fn new(out: W, opts: SarifOptions<'a>) -> SarifSink<'a, W> {
        SarifSink::with_spool(out, opts, Spool::new(SPOOL_MEMORY))
    }

    pub(crate) fn with_spool(out: W, opts: SarifOptions<'a>, results: Spool) -> SarifSink<'a, W> {
        SarifSink {
            writer: SarifWriter::new(out, opts, results),
        }
    }

    /// Writes the log ([`SarifWriter::finish`]).
    pub fn finish(self) -> io::Result<W> {
        self.writer.finish()
    }
}

impl<W: Write> Sink for SarifSink<'_, W> {
    fn resource(&mut self, name: &str, result: &mut ResourceResult) {
        for o in &result.findings {
            self.writer.outcome(Scope::File(name), o);
        }
    }

    fn file_failed(&mut self, name: &str, failure: Outcome) {
        self.writer.outcome(Scope::File(name), &failure);
    }

    /// One note per profile (shown, like every information outcome, when
    /// information is asked for), placed by the profile's URL.
    fn must_support(&mut self, report: &conform_outcome::validate::MustSupportReport) {
        for o in report.outcomes() {
            self.writer.outcome(Scope::Area(MUST_SUPPORT_AREA), &o);
        }
    }
}

/// Where SARIF places the Must-Support summaries (a logical location).
pub const MUST_SUPPORT_AREA: &str = "must-support";

/// Where a group's outcomes are, before each outcome adds its own place.
struct GroupPlace<'a> {
    scope: Scope<'a>,
    /// The artifact: a file's URI reference, or an endpoint's URL.
    uri: Option<String>,
}

impl<'a> GroupPlace<'a> {
    fn of(scope: Scope<'a>, base: Option<&Path>) -> GroupPlace<'a> {
        let uri = match scope {
            Scope::File(path) => artifact_uri(path, base),
            Scope::Endpoint(url) => Some(url.to_string()),
            Scope::Scenario(_) | Scope::Area(_) => None,
        };
        GroupPlace { scope, uri }
    }

    /// What the fingerprint is scoped by: the artifact, else the scope's name.
    fn fingerprint_scope(&self) -> &str {
        match (&self.uri, self.scope) {
            (Some(uri), _) => uri,
            (None, Scope::File(_)) => "",
            (None, scope) => scope.name(),
        }
    }
}

fn result(o: &Outcome, place: &GroupPlace) -> Value {
    let mut result = json!({
        "ruleId": o.rule,
        "level": level(o.severity),
        "message": { "text": o.message },
    });
    let l = &o.location;
    let mut location = Map::new();
    // An outcome's own URL (a probe check made against one resource) wins
    // over its endpoint's.
    let uri = l.url.clone().or_else(|| place.uri.clone());
    if let Some(uri) = uri {
        let mut physical = json!({ "artifactLocation": { "uri": uri } });
        if let Some(line) = l.line {
            physical["region"] =
                json!({ "startLine": line.max(1), "startColumn": l.column.unwrap_or(1).max(1) });
        }
        location.insert("physicalLocation".into(), physical);
    }
    let mut logical = Vec::new();
    if let Some(expression) = l.expression.as_deref().filter(|e| !e.is_empty()) {
        logical.push(json!({ "fullyQualifiedName": expression, "kind": "element" }));
    }
    let step = match (&l.scenario, &l.step) {
        (Some(s), Some(step)) => Some(format!("{s}/{step}")),
        (Some(s), None) => Some(s.clone()),
        (None, Some(step)) => Some(step.clone()),
        (None, None) => match place.scope {
            Scope::Scenario(s) => Some(s.to_string()),
            _ => None,
        },
    };
    if let Some(step) = step {
        logical.push(json!({ "fullyQualifiedName": step, "kind": "function" }));
    }
    if let Some(subject) = &l.subject {
        let name = match place.scope {
            Scope::Area(area) => format!("{area}/{subject}"),
            _ => subject.clone(),
        };
        logical.push(json!({ "fullyQualifiedName": name, "kind": "resource" }));
    } else if let Scope::Area(area) = place.scope {
        logical.push(json!({ "fullyQualifiedName": area, "kind": "namespace" }));
    }
    if !logical.is_empty() {
        location.insert("logicalLocations".into(), json!(logical));
    }
    if !location.is_empty() {
        result["locations"] = json!([Value::Object(location)]);
    }
    result["partialFingerprints"] =
        json!({ FINGERPRINT_KEY: o.fingerprint(place.fingerprint_scope()) });
    let mut properties = Map::new();
    if let Some(code) = o.code {
        properties.insert("issueCode".into(), json!(code.as_str()));
    }
    properties.insert("severity".into(), json!(o.severity.as_str()));
    if let Some(r) = o.requirement {
        properties.insert("requirement".into(), json!(r.as_str()));
        properties.insert("status".into(), json!(o.status.as_str()));
    }
    if let Some(region) = &l.region {
        properties.insert("region".into(), json!(region));
    }
    result["properties"] = Value::Object(properties);
    apply_triage(&mut result, o.triage.as_ref());
    result
}

fn rule(o: &Outcome, describe: Option<Describe>) -> Value {
    let text = describe
        .and_then(|d| d(&o.rule))
        .or_else(|| o.why.clone())
        .unwrap_or_else(|| match o.code {
            Some(conform_outcome::IssueCode::Invariant) => {
                format!(
                    "The FHIR invariant {} of the definitions does not hold.",
                    o.rule
                )
            }
            _ => format!("conform rule {}.", o.rule),
        });
    let mut properties = Map::new();
    if let Some(code) = o.code {
        properties.insert("issueCode".into(), json!(code.as_str()));
    }
    if let Some(r) = o.requirement {
        properties.insert("requirement".into(), json!(r.as_str()));
    }
    // A check's default level is what its failure would be.
    let severity = o.requirement.map_or(o.severity, |r| r.failure_severity());
    json!({
        "id": o.rule,
        "name": o.rule,
        "shortDescription": { "text": text },
        "fullDescription": { "text": text },
        "defaultConfiguration": { "level": level(severity) },
        "properties": properties,
    })
}

fn apply_triage(result: &mut Value, triage: Option<&Triage>) {
    let suppression = |status: &str, justification: &str| json!([{ "kind": "external", "status": status, "justification": justification }]);
    match triage {
        None => {}
        Some(Triage::New) => result["baselineState"] = json!("new"),
        Some(Triage::Baselined) => result["baselineState"] = json!("unchanged"),
        Some(Triage::Waived { justification }) => {
            result["suppressions"] = suppression("accepted", justification)
        }
        // The waiver no longer holds: shown as rejected, and it fails again.
        Some(Triage::Expired { justification }) => {
            result["suppressions"] = suppression("rejected", justification)
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Fatal | Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "note",
    }
}

/// The file's URI reference relative to `base` (or as given when it lies
/// elsewhere), with `/` separators and percent-encoding; none for stdin.
pub fn artifact_uri(path: &str, base: Option<&Path>) -> Option<String> {
    if path == "<stdin>" || path == "-" {
        return None;
    }
    let p = Path::new(path);
    let rel = match base {
        Some(b) if p.is_absolute() => p.strip_prefix(b).unwrap_or(p),
        _ => p,
    };
    let text = rel.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else if b == b':' && out.is_empty() {
            out.push_str("%3A");
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if p.is_absolute() && rel == p {
        // Outside the base folder: an absolute file URI.
        return Some(format!(
            "file://{}",
            if out.starts_with('/') {
                out
            } else {
                format!("/{out}")
            }
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        let base = Path::new("/work/repo");
        assert_eq!(
            artifact_uri("/work/repo/a b/p.json", Some(base)).as_deref(),
            Some("a%20b/p.json")
        );
        assert_eq!(
            artifact_uri("./fixtures/p.json", Some(base)).as_deref(),
            Some("fixtures/p.json")
        );
        assert_eq!(
            artifact_uri("/elsewhere/p.json", Some(base)).as_deref(),
            Some("file:///elsewhere/p.json")
        );
        assert_eq!(artifact_uri("<stdin>", Some(base)), None);
    }
}
