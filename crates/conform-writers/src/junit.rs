//! `--format junit`: one test suite per file, one test case per resource,
//! failing when the resource has errors, so CI systems show each resource.
//! Streamed through the [`JunitWriter`]: see there what it keeps and where.

use crate::junit_xml::{Case, JunitWriter, Outcome};
use crate::spool::Spool;
use conform_outcome::validate::{replay, ResourceResult, Sink, ValidationReport};
use std::io::{self, Write};

/// The whole report, fed through the [`JunitSink`] that streams a run.
pub fn render_junit(report: &ValidationReport) -> String {
    let mut sink = JunitSink::with_spools(Vec::new(), Spool::in_memory);
    replay(report, &mut sink);
    let bytes = sink.finish().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("XML text is UTF-8")
}

const NAME: &str = "conform validate";

/// Writes the report as results arrive: a suite opens at a file's start and
/// ends at its end.
pub struct JunitSink<W: Write> {
    writer: JunitWriter<W>,
    /// The file whose suite is open.
    open: Option<String>,
}

impl<W: Write> JunitSink<W> {
    pub fn new(out: W) -> JunitSink<W> {
        JunitSink {
            writer: JunitWriter::streaming(out, NAME),
            open: None,
        }
    }

    pub(crate) fn with_spools(out: W, spool: fn() -> Spool) -> JunitSink<W> {
        JunitSink {
            writer: JunitWriter::new(out, NAME, spool),
            open: None,
        }
    }

    fn open(&mut self, name: &str) {
        if self.open.as_deref() != Some(name) {
            self.writer.suite_start(name, None, &[]);
            self.open = Some(name.to_string());
        }
    }

    /// Writes the report ([`JunitWriter::finish`]).
    pub fn finish(self) -> io::Result<W> {
        self.writer.finish()
    }
}

impl<W: Write> Sink for JunitSink<W> {
    fn file_start(&mut self, name: &str) {
        self.open(name);
    }

    fn resource(&mut self, name: &str, r: &mut ResourceResult) {
        self.open(name);
        let errors: Vec<_> = r
            .findings
            .iter()
            .filter(|x| x.severity.is_error())
            .collect();
        let outcome = if errors.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Failure {
                message: format!("{} error(s)", errors.len()),
                kind: "validation".into(),
                body: errors
                    .iter()
                    .map(|x| {
                        format!(
                            "{}:{} {} {} [{}]\n",
                            x.line(),
                            x.column(),
                            x.expression(),
                            x.message,
                            x.rule
                        )
                    })
                    .collect(),
            }
        };
        self.writer.case(&Case {
            classname: name.to_string(),
            name: r.label(),
            time_secs: None,
            outcome,
        });
    }

    fn file_failed(&mut self, name: &str, failure: conform_outcome::Outcome) {
        self.open(name);
        self.writer.case(&Case {
            classname: name.to_string(),
            name: name.to_string(),
            time_secs: None,
            outcome: Outcome::Error {
                message: failure.message,
            },
        });
    }

    fn file_end(&mut self, name: &str) {
        if self.open.as_deref() == Some(name) {
            self.writer.suite_end();
            self.open = None;
        }
    }
}
