//! The one JUnit XML writer: every command (validate, probe, scenario,
//! scorecard, doctor) describes its results as suites of test cases and
//! this turns them into the XML CI systems read, counts included, so the
//! format is written and escaped in one place.

use crate::spool::{Spool, SPOOL_MEMORY};
use crate::xml::escape;
use std::fmt::Write as _;
use std::io::{self, Write};

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

/// Test counts, as the `<testsuites>` and `<testsuite>` tags carry them.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        self.tests += 1;
        match o {
            Outcome::Pass => {}
            Outcome::Failure { .. } => self.failures += 1,
            Outcome::Error { .. } => self.errors += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }

    fn sum(&mut self, other: Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }

    /// ` tests="…" failures="…" errors="…" skipped="…"`
    fn attrs(&self) -> String {
        format!(
            r#" tests="{}" failures="{}" errors="{}" skipped="{}""#,
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

fn time_attr(t: Option<f64>) -> String {
    t.map(|s| format!(r#" time="{s:.3}""#)).unwrap_or_default()
}

impl Junit {
    /// The whole report, through the [`JunitWriter`] that streams one.
    pub fn render(&self) -> String {
        let mut writer = JunitWriter::new(Vec::new(), &self.name, Spool::in_memory);
        for s in &self.suites {
            writer.suite_start(&s.name, s.time_secs, &s.properties);
            for c in &s.cases {
                writer.case(c);
            }
            writer.suite_end();
        }
        let bytes = writer.finish().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("XML text is UTF-8")
    }
}

/// Writes a JUnit report case by case, in flat memory. The counts go in
/// the start tags, before the cases they count, so an open suite's cases
/// are spooled until it ends and its tag can be written, and the ended
/// suites are spooled until the report ends and `<testsuites>` can be
/// written (each spool in memory up to a few MB, then in a temporary
/// file): every case is copied twice on its way out, and nothing but the
/// counts and one suite's tag stays in memory.
pub struct JunitWriter<W: Write> {
    out: W,
    name: String,
    totals: Counts,
    /// The open suite's start tag without its counts, and its counts.
    open: Option<(String, Option<f64>, Counts)>,
    /// The open suite's properties and cases.
    cases: Spool,
    /// The ended suites, whole.
    suites: Spool,
    /// The first write error; later writes are skipped and `finish` says.
    failed: Option<io::Error>,
}

impl<W: Write> JunitWriter<W> {
    pub(crate) fn new(out: W, name: &str, spool: fn() -> Spool) -> JunitWriter<W> {
        JunitWriter {
            out,
            name: name.to_string(),
            totals: Counts::default(),
            open: None,
            cases: spool(),
            suites: spool(),
            failed: None,
        }
    }

    /// A writer whose spools move to temporary files when they grow.
    pub fn streaming(out: W, name: &str) -> JunitWriter<W> {
        JunitWriter::new(out, name, || Spool::new(SPOOL_MEMORY))
    }

    fn spool(&mut self, text: &str) {
        if self.failed.is_none() {
            self.failed = self.cases.write_all(text.as_bytes()).err();
        }
    }

    /// Opens a `<testsuite>` (ending the open one).
    pub fn suite_start(
        &mut self,
        name: &str,
        time_secs: Option<f64>,
        properties: &[(String, String)],
    ) {
        self.suite_end();
        self.open = Some((name.to_string(), time_secs, Counts::default()));
        if !properties.is_empty() {
            let mut text = String::from("    <properties>\n");
            for (k, v) in properties {
                let _ = writeln!(
                    text,
                    r#"      <property name="{}" value="{}"/>"#,
                    escape(k),
                    escape(v)
                );
            }
            text.push_str("    </properties>\n");
            self.spool(&text);
        }
    }

    /// A `<testcase>` of the open suite.
    pub fn case(&mut self, c: &Case) {
        if let Some((_, _, counts)) = &mut self.open {
            counts.add(&c.outcome);
        }
        let mut text = format!(
            r#"    <testcase classname="{}" name="{}"{}"#,
            escape(&c.classname),
            escape(&c.name),
            time_attr(c.time_secs)
        );
        let _ = match &c.outcome {
            Outcome::Pass => writeln!(text, "/>"),
            Outcome::Failure {
                message,
                kind,
                body,
            } => writeln!(
                text,
                r#"><failure message="{}" type="{}">{}</failure></testcase>"#,
                escape(message),
                escape(kind),
                escape(body)
            ),
            Outcome::Error { message } => {
                writeln!(
                    text,
                    r#"><error message="{}"/></testcase>"#,
                    escape(message)
                )
            }
            Outcome::Skipped { message } => writeln!(
                text,
                r#"><skipped message="{}"/></testcase>"#,
                escape(message)
            ),
        };
        self.spool(&text);
    }

    /// Ends the open suite, if any: its tag, with its counts, and its cases
    /// go to the ended suites.
    pub fn suite_end(&mut self) {
        let Some((name, time_secs, counts)) = self.open.take() else {
            return;
        };
        self.totals.sum(counts);
        if self.failed.is_some() {
            return;
        }
        let tag = format!(
            "  <testsuite name=\"{}\"{}{}>\n",
            escape(&name),
            counts.attrs(),
            time_attr(time_secs)
        );
        let suites = &mut self.suites;
        let copied = suites.write_all(tag.as_bytes()).and_then(|()| {
            self.cases.drain(|cases| io::copy(cases, suites))?;
            suites.write_all(b"  </testsuite>\n")
        });
        self.failed = copied.err();
    }

    /// Writes the report: `<testsuites>` with the totals, then the suites.
    /// The writer, or the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        self.suite_end();
        if let Some(e) = self.failed {
            return Err(e);
        }
        let out = &mut self.out;
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="{}"{}>"#,
            escape(&self.name),
            self.totals.attrs()
        )?;
        self.suites.drain(|suites| io::copy(suites, out))?;
        writeln!(out, "</testsuites>")?;
        out.flush()?;
        Ok(self.out)
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
