//! `--format junit`: one test suite per file, one test case per resource,
//! failing when the resource has errors, so CI systems show each resource.

use crate::xml::escape;
use crate::ValidationReport;
use std::fmt::Write;

pub fn render_junit(report: &ValidationReport) -> String {
    let s = &report.summary;
    let failures: usize = report
        .files
        .iter()
        .map(|f| f.resources.iter().filter(|r| r.errors() > 0).count())
        .sum();
    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<testsuites name="conform validate" tests="{}" failures="{failures}" errors="{}">"#,
        s.resources, s.unreadable
    );
    for f in &report.files {
        let fails = f.resources.iter().filter(|r| r.errors() > 0).count();
        let errors = usize::from(f.failure.is_some());
        let _ = writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{fails}" errors="{errors}">"#,
            escape(&f.path),
            f.resources.len() + errors
        );
        if let Some(failure) = &f.failure {
            let _ = writeln!(
                out,
                r#"    <testcase classname="{0}" name="{0}"><error message="{1}"/></testcase>"#,
                escape(&f.path),
                escape(&failure.message)
            );
        }
        for r in &f.resources {
            let name = match (&r.resource_type, &r.id) {
                (Some(t), Some(id)) => format!("{t}/{id} (line {})", r.line),
                (Some(t), None) => format!("{t} (line {})", r.line),
                _ => format!("line {}", r.line),
            };
            let _ = write!(
                out,
                r#"    <testcase classname="{}" name="{}""#,
                escape(&f.path),
                escape(&name)
            );
            let errors: Vec<_> = r
                .findings
                .iter()
                .filter(|x| x.severity.is_error())
                .collect();
            if errors.is_empty() {
                let _ = writeln!(out, "/>");
                continue;
            }
            let body: String = errors
                .iter()
                .map(|x| {
                    format!(
                        "{}:{} {} {} [{}]\n",
                        x.line, x.column, x.expression, x.message, x.rule
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                r#"><failure message="{} error(s)" type="validation">{}</failure></testcase>"#,
                errors.len(),
                escape(&body)
            );
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    let _ = writeln!(out, "</testsuites>");
    out
}
