//! The one JUnit XML writer: every command (validate, probe, scenario,
//! scorecard, doctor) describes its results as suites of test cases and
//! this turns them into the XML CI systems read, counts included, so the
//! format is written and escaped in one place.

use crate::xml::escape;
use std::fmt::Write;

/// A whole report: `<testsuites>`.
#[derive(Clone, Debug, Default)]
pub struct Junit {
    pub name: String,
    pub suites: Vec<Suite>,
}

/// One `<testsuite>`: a file, an endpoint, a scenario, a region...
#[derive(Clone, Debug, Default)]
pub struct Suite {
    pub name: String,
    pub time_secs: Option<f64>,
    pub properties: Vec<(String, String)>,
    pub cases: Vec<Case>,
}

/// One `<testcase>`.
#[derive(Clone, Debug)]
pub struct Case {
    pub classname: String,
    pub name: String,
    pub time_secs: Option<f64>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    Pass,
    /// The thing tested is wrong: `<failure message type>body</failure>`.
    Failure {
        message: String,
        kind: String,
        body: String,
    },
    /// The test could not run (unreadable input): `<error message>`.
    Error {
        message: String,
    },
    Skipped {
        message: String,
    },
}

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
}

fn failed(o: &Outcome) -> bool {
    matches!(o, Outcome::Failure { .. })
}
fn errored(o: &Outcome) -> bool {
    matches!(o, Outcome::Error { .. })
}
fn skipped(o: &Outcome) -> bool {
    matches!(o, Outcome::Skipped { .. })
}

fn time_attr(t: Option<f64>) -> String {
    t.map(|s| format!(r#" time="{s:.3}""#)).unwrap_or_default()
}

impl Junit {
    pub fn render(&self) -> String {
        let total =
            |f: fn(&Outcome) -> bool| -> usize { self.suites.iter().map(|s| s.count(f)).sum() };
        let tests: usize = self.suites.iter().map(|s| s.cases.len()).sum();
        let mut out = String::new();
        let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            out,
            r#"<testsuites name="{}" tests="{tests}" failures="{}" errors="{}" skipped="{}">"#,
            escape(&self.name),
            total(failed),
            total(errored),
            total(skipped)
        );
        for s in &self.suites {
            let _ = writeln!(
                out,
                r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}"{}>"#,
                escape(&s.name),
                s.cases.len(),
                s.count(failed),
                s.count(errored),
                s.count(skipped),
                time_attr(s.time_secs)
            );
            if !s.properties.is_empty() {
                let _ = writeln!(out, "    <properties>");
                for (k, v) in &s.properties {
                    let _ = writeln!(
                        out,
                        r#"      <property name="{}" value="{}"/>"#,
                        escape(k),
                        escape(v)
                    );
                }
                let _ = writeln!(out, "    </properties>");
            }
            for c in &s.cases {
                let _ = write!(
                    out,
                    r#"    <testcase classname="{}" name="{}"{}"#,
                    escape(&c.classname),
                    escape(&c.name),
                    time_attr(c.time_secs)
                );
                let _ = match &c.outcome {
                    Outcome::Pass => writeln!(out, "/>"),
                    Outcome::Failure {
                        message,
                        kind,
                        body,
                    } => writeln!(
                        out,
                        r#"><failure message="{}" type="{}">{}</failure></testcase>"#,
                        escape(message),
                        escape(kind),
                        escape(body)
                    ),
                    Outcome::Error { message } => {
                        writeln!(out, r#"><error message="{}"/></testcase>"#, escape(message))
                    }
                    Outcome::Skipped { message } => writeln!(
                        out,
                        r#"><skipped message="{}"/></testcase>"#,
                        escape(message)
                    ),
                };
            }
            let _ = writeln!(out, "  </testsuite>");
        }
        let _ = writeln!(out, "</testsuites>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let j = Junit {
            name: "conform <x>".into(),
            suites: vec![Suite {
                name: "a&b".into(),
                time_secs: Some(1.5),
                properties: vec![("k".into(), "v\"".into())],
                cases: vec![
                    Case {
                        classname: "c".into(),
                        name: "ok".into(),
                        time_secs: None,
                        outcome: Outcome::Pass,
                    },
                    Case {
                        classname: "c".into(),
                        name: "bad".into(),
                        time_secs: Some(0.25),
                        outcome: Outcome::Failure {
                            message: "1 error".into(),
                            kind: "validation".into(),
                            body: "<div>".into(),
                        },
                    },
                    Case {
                        classname: "c".into(),
                        name: "skip".into(),
                        time_secs: None,
                        outcome: Outcome::Skipped {
                            message: "why".into(),
                        },
                    },
                ],
            }],
        };
        let xml = j.render();
        assert!(xml.contains(
            r#"<testsuites name="conform &lt;x&gt;" tests="3" failures="1" errors="0" skipped="1">"#
        ));
        assert!(xml.contains(
            r#"<testsuite name="a&amp;b" tests="3" failures="1" errors="0" skipped="1" time="1.500">"#
        ));
        assert!(xml.contains(r#"<property name="k" value="v&quot;"/>"#));
        assert!(xml.contains(
            r#"time="0.250"><failure message="1 error" type="validation">&lt;div&gt;</failure>"#
        ));
        assert!(xml.contains(r#"<skipped message="why"/>"#));
    }
}
