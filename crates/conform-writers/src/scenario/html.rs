//! A self-contained HTML page (inline CSS, no scripts, nothing fetched):
//! a summary, then each scenario with its steps, failed assertions and the
//! recorded request/response in collapsible sections.

use crate::xml::escape;
use conform_outcome::scenario::RunResult;
use conform_outcome::Status;
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}.pass{color:#176f2c}.fail,.error{color:#b00020;font-weight:bold}.skip{color:#777}.warn{color:#a65e00}pre{white-space:pre-wrap;background:#f6f6f6;padding:6px;max-height:30em;overflow:auto}";

pub fn render_html(run: &RunResult) -> String {
    let s = &run.summary;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>conform scenario run</title><style>{STYLE}</style></head><body>\n<h1>conform scenario run</h1>\n<p>{} scenarios: <span class=\"pass\">{} passed</span>, <span class=\"fail\">{} failed</span>, <span class=\"skip\">{} skipped</span>; {} steps, {} assertions ({} failed, {} warnings). Started {}.</p>\n",
        s.scenarios, s.passed, s.failed, s.skipped, s.steps, s.assertions, s.failed_assertions, s.warnings, escape(&run.started.to_string())
    );
    for sc in &run.scenarios {
        let _ = writeln!(
            out,
            "<h2 class=\"{}\">{} {} — {}</h2>",
            sc.status.as_str(),
            sc.status.as_str().to_uppercase(),
            escape(&sc.identity.id),
            escape(&sc.identity.title)
        );
        if let Some(r) = &sc.reason {
            let _ = writeln!(out, "<p>{}</p>", escape(r));
        }
        out.push_str("<table><tr><th>status</th><th>phase</th><th>step</th><th>region</th><th>assertions</th></tr>\n");
        for st in &sc.steps {
            let mut cell = String::new();
            for a in &st.assertions {
                let _ = write!(
                    cell,
                    "<div class=\"{}\">{} {} {}: {}</div>",
                    a.status.as_str(),
                    a.status.as_str(),
                    super::requirement(a),
                    escape(&a.rule),
                    escape(&a.message)
                );
            }
            if st.status == Status::Skip {
                if let Some(r) = &st.reason {
                    let _ = write!(cell, "<div class=\"skip\">{}</div>", escape(r));
                }
            }
            if let Some(e) = &st.exchange {
                let resp = e.response.as_ref();
                let _ = write!(
                    cell,
                    "<details><summary>exchange</summary><pre>{}</pre><pre>{}</pre><pre>{}</pre></details>",
                    escape(&e.curl),
                    escape(&resp.and_then(|r| r.status).map_or("no response".into(), |s| s.to_string())),
                    escape(resp.and_then(|r| r.body.as_deref()).unwrap_or(""))
                );
            }
            let _ = writeln!(
                out,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{cell}</td></tr>",
                st.status.as_str(),
                st.status.as_str(),
                st.phase.as_str(),
                escape(&st.name),
                escape(&st.region)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
