//! `--format junit`: one testcase per check; a failed check is a
//! `<failure>` whatever its severity (the type attribute says which), a
//! skipped one is `<skipped>` with the reason.

use crate::{ProbeReport, Status};
use conform_report::xml::escape;
use std::fmt::Write;

pub fn render_junit(r: &ProbeReport) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<testsuites name="conform probe" tests="{}" failures="{}" skipped="{}">"#,
        s.checks, s.failed, s.skipped
    );
    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" tests="{}" failures="{}" skipped="{}" time="{:.3}">"#,
        escape(&r.target.base_url),
        s.checks,
        s.failed,
        s.skipped,
        r.duration_ms / 1000.0
    );
    let t = &r.target;
    let props = [
        ("base_url", Some(t.base_url.as_str())),
        ("region", t.region.as_deref()),
        ("auth", Some(t.auth.as_str())),
        ("fhir_version", t.fhir_version.as_deref()),
        ("software", t.software.as_deref()),
        ("started", Some(r.started.as_str())),
    ];
    let _ = writeln!(out, "    <properties>");
    for (name, value) in props {
        if let Some(v) = value {
            let _ = writeln!(
                out,
                r#"      <property name="{name}" value="{}"/>"#,
                escape(v)
            );
        }
    }
    let _ = writeln!(out, "    </properties>");
    for c in &r.checks {
        let class = c.id.split('.').next().unwrap_or("probe");
        let time = c
            .latency_ms
            .map(|ms| format!(r#" time="{:.3}""#, ms / 1000.0))
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"    <testcase classname="{}" name="{} [{}]"{time}"#,
            escape(class),
            escape(&c.id),
            c.severity.as_str()
        );
        match c.status {
            Status::Pass => {
                let _ = writeln!(out, "/>");
            }
            Status::Fail => {
                let _ = writeln!(
                    out,
                    r#"><failure message="{}" type="{}">{}</failure></testcase>"#,
                    escape(&c.message),
                    c.severity.as_str(),
                    escape(&c.why)
                );
            }
            Status::Skip => {
                let _ = writeln!(
                    out,
                    r#"><skipped message="{}"/></testcase>"#,
                    escape(&c.message)
                );
            }
        }
    }
    let _ = writeln!(out, "  </testsuite>");
    let _ = writeln!(out, "</testsuites>");
    out
}
