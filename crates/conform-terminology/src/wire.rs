//! The FHIR R4 terminology operations on the wire: a [`CodeQuestion`] as
//! the `Parameters` of `$validate-code`, and the server's `Parameters` (or
//! `OperationOutcome`) read back as a [`CodeAnswer`]. Servers differ in
//! how much structure their answers carry: tx.fhir.org and recent
//! Ontoserver add an `issues` OperationOutcome whose issue types
//! (`http://hl7.org/fhir/tools/CodeSystem/tx-issue-type`) say *why* a code
//! failed, and `x-caused-by-unknown-system` when the code system is not
//! known; a plain R4 server says only `result` and `message`. Both are read.

use conform_outcome::terminology::{CodeAnswer, CodeQuestion, Verdict};
use serde_json::{json, Value};

const TX_ISSUE_TYPE: &str = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type";

/// The operation a question goes to, relative to the base URL.
pub fn operation(q: &CodeQuestion) -> &'static str {
    if q.value_set.is_some() {
        "ValueSet/$validate-code"
    } else {
        "CodeSystem/$validate-code"
    }
}

/// The question as `$validate-code` input parameters; `version` is the
/// code system version asked in (the coding's, or the configured edition).
///
/// `inline`: the value set itself, sent in place of its canonical when the
/// server does not hold it (the `valueSet` parameter).
pub fn parameters(q: &CodeQuestion, version: Option<&str>, inline: Option<&Value>) -> Value {
    let mut p = Vec::new();
    match &q.value_set {
        Some(vs) => {
            let (url, vs_version) = match vs.split_once('|') {
                Some((u, v)) => (u, Some(v)),
                None => (vs.as_str(), None),
            };
            match inline {
                Some(resource) => p.push(json!({"name": "valueSet", "resource": resource})),
                None => {
                    p.push(json!({"name": "url", "valueUri": url}));
                    if let Some(v) = vs_version {
                        p.push(json!({"name": "valueSetVersion", "valueString": v}));
                    }
                }
            }
            let mut coding = json!({"system": q.system, "code": q.code});
            if let Some(v) = version {
                coding["version"] = json!(v);
            }
            if let Some(d) = &q.display {
                coding["display"] = json!(d);
            }
            p.push(json!({"name": "coding", "valueCoding": coding}));
        }
        None => {
            p.push(json!({"name": "url", "valueUri": q.system}));
            p.push(json!({"name": "code", "valueCode": q.code}));
            if let Some(v) = version {
                p.push(json!({"name": "version", "valueString": v}));
            }
            if let Some(d) = &q.display {
                p.push(json!({"name": "display", "valueString": d}));
            }
        }
    }
    json!({"resourceType": "Parameters", "parameter": p})
}

/// Reads a server's answer to one question: `status` is the HTTP status
/// (or the batch entry's), `body` the resource it returned.
pub fn answer(q: &CodeQuestion, status: u16, body: Option<&Value>) -> CodeAnswer {
    let Some(body) = body else {
        return CodeAnswer::not_checked(format!(
            "the terminology server answered HTTP {status} without a FHIR resource"
        ));
    };
    match body["resourceType"].as_str() {
        Some("Parameters") if (200..300).contains(&status) => from_parameters(q, body),
        Some("OperationOutcome") => CodeAnswer::not_checked(format!(
            "the terminology server answered HTTP {status}: {}",
            outcome_text(body)
        )),
        Some(other) => CodeAnswer::not_checked(format!(
            "the terminology server answered HTTP {status} with a {other}, not Parameters"
        )),
        None => CodeAnswer::not_checked(format!(
            "the terminology server answered HTTP {status} with something that is not a FHIR resource"
        )),
    }
}

fn from_parameters(q: &CodeQuestion, p: &Value) -> CodeAnswer {
    let param = |name: &str| {
        p["parameter"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["name"] == name)
    };
    let text = |name: &str| {
        param(name).and_then(|x| {
            ["valueString", "valueCode", "valueUri", "valueCanonical"]
                .iter()
                .find_map(|k| x[*k].as_str())
                .map(str::to_string)
        })
    };
    let flag = |name: &str| param(name).and_then(|x| x["valueBoolean"].as_bool());
    let message = text("message");
    let display = text("display");
    let system_version = text("version");
    let inactive = flag("inactive").unwrap_or(false);
    let unknown_system = text("x-caused-by-unknown-system").or_else(|| text("x-unknown-system"));
    let issue_types = param("issues")
        .map(|x| issue_types(&x["resource"]))
        .unwrap_or_default();
    let base = |verdict| CodeAnswer {
        verdict,
        message: message.clone(),
        display: display.clone(),
        display_valid: q.display.as_ref().map(|_| true),
        inactive,
        system_version: system_version.clone(),
        unknown_system: unknown_system.clone(),
    };
    if let Some(system) = &unknown_system {
        let mut a = base(Verdict::NotChecked);
        a.message = Some(match &message {
            Some(m) => format!("the server does not know the code system {system} ({m})"),
            None => format!("the server does not know the code system {system}"),
        });
        a.display_valid = None;
        return a;
    }
    let Some(result) = flag("result") else {
        return CodeAnswer::not_checked("the terminology server's answer has no 'result'");
    };
    if result {
        return base(Verdict::Valid);
    }
    // Why did it fail? Structured issues say; else the message is read.
    let errors: Vec<&str> = issue_types
        .iter()
        .filter(|(sev, _)| matches!(sev.as_str(), "error" | "fatal"))
        .map(|(_, t)| t.as_str())
        .collect();
    let display_only = if errors.is_empty() {
        q.display.is_some()
            && message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("display"))
            && !message.as_deref().is_some_and(mentions_invalid_code)
    } else {
        errors.iter().all(|t| *t == "invalid-display")
    };
    if display_only {
        let mut a = base(Verdict::Valid);
        a.display_valid = Some(false);
        return a;
    }
    let mut a = if errors.contains(&"not-found") && !errors.contains(&"invalid-code") {
        base(Verdict::NotChecked)
    } else if errors.contains(&"invalid-code")
        || (q.value_set.is_none() && !errors.contains(&"not-in-vs"))
    {
        base(Verdict::InvalidCode)
    } else {
        base(Verdict::NotInValueSet)
    };
    if errors.contains(&"invalid-display") {
        a.display_valid = Some(false);
    } else if q.display.is_some() && a.verdict != Verdict::Valid {
        // The display was not judged on its own.
        a.display_valid = None;
    }
    a
}

fn mentions_invalid_code(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    m.contains("unknown code") || m.contains("not found") || m.contains("invalid code")
}

/// (severity, tx issue type) of each issue of an OperationOutcome.
fn issue_types(oo: &Value) -> Vec<(String, String)> {
    oo["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            let sev = i["severity"].as_str().unwrap_or_default().to_string();
            let ty = i["details"]["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["system"] == TX_ISSUE_TYPE)
                .and_then(|c| c["code"].as_str())
                .unwrap_or_default()
                .to_string();
            (sev, ty)
        })
        .collect()
}

/// The words of an OperationOutcome's issues.
pub fn outcome_text(oo: &Value) -> String {
    let texts: Vec<String> = oo["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i["details"]["text"]
                .as_str()
                .or_else(|| i["diagnostics"].as_str())
                .or_else(|| i["code"].as_str())
                .map(str::to_string)
        })
        .collect();
    if texts.is_empty() {
        "(no details)".to_string()
    } else {
        texts.join("; ")
    }
}

/// Whether an answer says the server does not hold the value set asked
/// about (404, or an OperationOutcome `not-found`).
pub fn names_unknown_value_set(q: &CodeQuestion, status: u16, body: Option<&Value>) -> bool {
    let Some(body) = body.filter(|b| b["resourceType"] == "OperationOutcome") else {
        return false;
    };
    q.value_set.is_some()
        && (status == 404
            || body["issue"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|i| i["code"] == "not-found"))
}

/// One question as sent: the code system version asked in, and the value
/// set itself when the server does not hold it.
pub type Sent<'a> = (&'a CodeQuestion, Option<&'a str>, Option<&'a Value>);

/// A batch Bundle of `$validate-code` requests, one entry per question.
pub fn batch(entries: &[Sent<'_>]) -> Value {
    let entry: Vec<Value> = entries
        .iter()
        .map(|(q, version, inline)| {
            json!({
                "request": {"method": "POST", "url": operation(q)},
                "resource": parameters(q, *version, *inline),
            })
        })
        .collect();
    json!({"resourceType": "Bundle", "type": "batch", "entry": entry})
}

/// The status code of a batch-response entry (`"200 OK"` → 200).
pub fn entry_status(entry: &Value) -> u16 {
    entry["response"]["status"]
        .as_str()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(vs: Option<&str>, display: Option<&str>) -> CodeQuestion {
        CodeQuestion {
            value_set: vs.map(str::to_string),
            system: "http://snomed.info/sct".into(),
            version: None,
            code: "22298006".into(),
            display: display.map(str::to_string),
        }
    }

    fn params(p: Value) -> Value {
        json!({"resourceType": "Parameters", "parameter": p})
    }

    fn issue(sev: &str, ty: &str) -> Value {
        json!({"name": "issues", "resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": sev, "code": "invalid", "details": {"coding": [{"system": TX_ISSUE_TYPE, "code": ty}], "text": "x"}}]}})
    }

    #[test]
    fn questions_become_parameters() {
        let p = parameters(
            &q(Some("http://vs|2"), Some("MI")),
            Some("http://snomed.info/sct/83821000000107"),
            None,
        );
        assert_eq!(p["parameter"][0]["valueUri"], "http://vs");
        assert_eq!(p["parameter"][1]["valueString"], "2");
        assert_eq!(
            p["parameter"][2]["valueCoding"]["version"],
            "http://snomed.info/sct/83821000000107"
        );
        assert_eq!(p["parameter"][2]["valueCoding"]["display"], "MI");
        let inline = json!({"resourceType": "ValueSet", "url": "http://vs"});
        let p = parameters(&q(Some("http://vs|2"), None), None, Some(&inline));
        assert_eq!(p["parameter"][0]["name"], "valueSet");
        assert_eq!(p["parameter"][0]["resource"], inline);
        let p = parameters(&q(None, None), None, None);
        assert_eq!(p["parameter"][0]["valueUri"], "http://snomed.info/sct");
        assert_eq!(p["parameter"][1]["valueCode"], "22298006");
        assert_eq!(operation(&q(None, None)), "CodeSystem/$validate-code");
    }

    #[test]
    fn structured_answers_are_read_by_issue_type() {
        let ok = answer(
            &q(None, None),
            200,
            Some(&params(json!([{"name": "result", "valueBoolean": true},
            {"name": "display", "valueString": "Myocardial infarction"}, {"name": "inactive", "valueBoolean": true}]))),
        );
        assert_eq!(ok.verdict, Verdict::Valid);
        assert!(ok.inactive);
        assert_eq!(ok.display.as_deref(), Some("Myocardial infarction"));

        let display = answer(
            &q(None, Some("heart attack!")),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false}, issue("error", "invalid-display")]))),
        );
        assert_eq!(
            (display.verdict, display.display_valid),
            (Verdict::Valid, Some(false))
        );

        let bad = answer(
            &q(None, None),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false}, issue("error", "invalid-code")]))),
        );
        assert_eq!(bad.verdict, Verdict::InvalidCode);

        let out = answer(
            &q(Some("http://vs"), None),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false}, issue("error", "not-in-vs")]))),
        );
        assert_eq!(out.verdict, Verdict::NotInValueSet);

        let unknown = answer(
            &q(None, None),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false},
            {"name": "x-caused-by-unknown-system", "valueCanonical": "http://snomed.info/sct|2001"}]))),
        );
        assert_eq!(unknown.verdict, Verdict::NotChecked);
        assert!(unknown
            .message
            .unwrap()
            .contains("does not know the code system http://snomed.info/sct|2001"));
    }

    #[test]
    fn plain_answers_are_read_by_result_and_message() {
        let out = answer(
            &q(Some("http://vs"), None),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false}, {"name": "message", "valueString": "not in the value set"}]))),
        );
        assert_eq!(out.verdict, Verdict::NotInValueSet);
        let bad = answer(
            &q(None, None),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false}, {"name": "message", "valueString": "Unknown code"}]))),
        );
        assert_eq!(bad.verdict, Verdict::InvalidCode);
        let display = answer(
            &q(None, Some("x")),
            200,
            Some(&params(json!([
            {"name": "result", "valueBoolean": false}, {"name": "message", "valueString": "The display 'x' is wrong"}]))),
        );
        assert_eq!(display.display_valid, Some(false));
    }

    #[test]
    fn failures_are_never_verdicts() {
        for (status, body) in [
            (
                404,
                Some(
                    json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found", "details": {"text": "no such value set"}}]}),
                ),
            ),
            (200, Some(json!({"resourceType": "Bundle"}))),
            (
                200,
                Some(json!({"resourceType": "Parameters", "parameter": []})),
            ),
            (503, None),
        ] {
            let a = answer(&q(Some("http://vs"), None), status, body.as_ref());
            assert_eq!(a.verdict, Verdict::NotChecked, "{status} {body:?}");
            assert!(a.message.is_some());
        }
    }
}
