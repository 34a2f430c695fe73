//! `conform validate`'s report in any of its formats, written as results
//! arrive: the one [`Sink`] the command validates into, whatever `--format`
//! says, so no format holds a run's results in memory. Each format's sink
//! says what it must keep until the end and where it keeps it.
//!
//! The output is the whole report's (`report merge` renders one through
//! these same sinks, [`replay`](conform_outcome::validate::replay)ed), with
//! two differences a stream cannot avoid: the JSON document's `summary`
//! comes after `files`, and a read error in the middle of an NDJSON file
//! (the one failure that arrives after some of the file's resources) is
//! written where it happened, where a collected report puts a file's
//! failure first.

use crate::json::JsonSink;
use crate::junit::JunitSink;
use crate::operation_outcome::OperationOutcomeSink;
use crate::sarif::{validation_properties, Describe, SarifOptions, SarifSink};
use crate::text::{TextOptions, TextSink};
use crate::Format;
use conform_outcome::validate::{
    MustSupportReport, ResourceResult, Sink, Summary, ValidationReport,
};
use conform_outcome::Outcome;
use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The formats a validation report is written in.
pub const VALIDATE_FORMATS: &[Format] = &[
    Format::Text,
    Format::Json,
    Format::OperationOutcome,
    Format::Junit,
    Format::Sarif,
];

#[derive(Default)]
pub struct ReportOptions<'a> {
    /// Colours, and information findings shown (in SARIF too).
    pub text: TextOptions,
    /// SARIF: describes a rule by its id.
    pub describe: Option<Describe<'a>>,
    /// SARIF: the folder file URIs are made relative to.
    pub base_dir: Option<&'a Path>,
    /// JSON of a shard (`--shard K/N`): each file's place in the whole
    /// run's input list.
    pub order: Option<HashMap<String, usize>>,
}

type Out<'a> = BufWriter<Box<dyn Write + 'a>>;

enum Writer<'a> {
    Text(TextSink<Out<'a>>),
    Json(JsonSink<Out<'a>>),
    OperationOutcome(OperationOutcomeSink<Out<'a>>),
    Junit(JunitSink<Out<'a>>),
    Sarif(SarifSink<'a, Out<'a>>),
}

/// A validation report in one format, written as results arrive.
pub struct ReportWriter<'a> {
    writer: Writer<'a>,
    /// Counted here, once for every format, for the run's verdict.
    summary: Summary,
    /// The last file results came for (files are counted as they change).
    file: Option<String>,
}

impl<'a> ReportWriter<'a> {
    /// Starts a report in `format` to `out`, with what is known before
    /// validation (`head`: packages loaded, substituted, left out, and a
    /// shard's number); `None` for a format validate does not write.
    pub fn new(
        format: Format,
        out: Box<dyn Write + 'a>,
        head: &ValidationReport,
        opts: ReportOptions<'a>,
    ) -> Option<ReportWriter<'a>> {
        let out = BufWriter::new(out);
        let writer = match format {
            Format::Text => Writer::Text(TextSink::new(out, opts.text)),
            Format::Json => {
                let sink = JsonSink::new(out, head);
                Writer::Json(match opts.order {
                    Some(order) => sink.with_order(order),
                    None => sink,
                })
            }
            Format::OperationOutcome => Writer::OperationOutcome(OperationOutcomeSink::new(out)),
            Format::Junit => Writer::Junit(JunitSink::new(out)),
            Format::Sarif => Writer::Sarif(SarifSink::new(
                out,
                SarifOptions {
                    include_information: opts.text.show_information,
                    describe: opts.describe,
                    base_dir: opts.base_dir,
                    properties: validation_properties(head),
                },
            )),
            _ => return None,
        };
        Some(ReportWriter {
            writer,
            summary: Summary::default(),
            file: None,
        })
    }

    fn sink(&mut self) -> &mut dyn Sink {
        match &mut self.writer {
            Writer::Text(s) => s,
            Writer::Json(s) => s,
            Writer::OperationOutcome(s) => s,
            Writer::Junit(s) => s,
            Writer::Sarif(s) => s,
        }
    }

    fn file(&mut self, name: &str) {
        if self.file.as_deref() != Some(name) {
            self.summary.files += 1;
            self.file = Some(name.to_string());
        }
    }

    /// The run's counts so far (all of them once validation is over,
    /// whether or not the report could be written).
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Ends the report; the run's counts, or why the report could not be
    /// written. Text is written as a terminal is: what cannot be written is
    /// dropped.
    pub fn finish(self) -> io::Result<Summary> {
        match self.writer {
            Writer::Text(s) => {
                let _ = s.finish().flush();
            }
            Writer::Json(s) => {
                s.finish()?;
            }
            Writer::OperationOutcome(s) => {
                s.finish()?;
            }
            Writer::Junit(s) => {
                s.finish()?;
            }
            Writer::Sarif(s) => {
                s.finish()?;
            }
        }
        Ok(self.summary)
    }
}

impl Sink for ReportWriter<'_> {
    fn file_start(&mut self, name: &str) {
        self.file(name);
        self.sink().file_start(name);
    }

    fn resource(&mut self, name: &str, result: &mut ResourceResult) {
        self.file(name);
        self.summary.add(result);
        self.sink().resource(name, result);
    }

    fn file_failed(&mut self, name: &str, failure: Outcome) {
        self.file(name);
        self.summary.unreadable += 1;
        self.sink().file_failed(name, failure);
    }

    fn file_end(&mut self, name: &str) {
        self.sink().file_end(name);
    }

    fn must_support(&mut self, report: &MustSupportReport) {
        self.sink().must_support(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::junit::JunitSink;
    use crate::spool::Spool;
    use crate::{
        render_json, render_junit, render_operation_outcome, render_sarif, validation_groups,
    };
    use conform_outcome::validate::{Collector, FileFailure};
    use conform_outcome::{IssueCode, Location, Severity};
    use serde_json::Value;

    fn finding(severity: Severity, rule: &str, at: &str, line: u32) -> Outcome {
        let code = match severity {
            Severity::Information => IssueCode::Informational,
            _ => IssueCode::Invalid,
        };
        Outcome::finding(
            severity,
            code,
            rule,
            Location::payload(at.into(), line, 3),
            format!("{rule} <at> {at}"),
        )
    }

    fn resource(t: &str, id: Option<&str>, line: u32, findings: Vec<Outcome>) -> ResourceResult {
        ResourceResult {
            resource_type: Some(t.into()),
            id: id.map(str::to_string),
            line,
            findings,
            ..Default::default()
        }
    }

    /// A run as the validator passes it on: a file with an error, a
    /// warning and an information finding; an NDJSON whose rules come in
    /// an order other than their sorted one; an empty file; a file that
    /// could not be read.
    fn feed(sink: &mut dyn Sink) {
        sink.file_start("payloads/p q.json");
        sink.resource(
            "payloads/p q.json",
            &mut resource(
                "Patient",
                Some("p1"),
                1,
                vec![
                    finding(Severity::Error, "binding-required", "Patient.gender", 4),
                    finding(Severity::Warning, "unknown-element", "Patient.foo", 6),
                    finding(Severity::Information, "binding-not-checked", "Patient.x", 8),
                ],
            ),
        );
        sink.file_end("payloads/p q.json");
        sink.file_start("lines.ndjson");
        sink.resource(
            "lines.ndjson",
            &mut resource("Observation", None, 1, vec![]),
        );
        sink.resource(
            "lines.ndjson",
            &mut resource(
                "Observation",
                Some("o2"),
                2,
                vec![
                    finding(Severity::Error, "obs-6", "Observation", 2),
                    finding(Severity::Error, "cardinality-min", "Observation.status", 2),
                    finding(Severity::Error, "binding-required", "Observation.status", 2),
                ],
            ),
        );
        sink.resource(
            "lines.ndjson",
            &mut resource(
                "Observation",
                Some("o3"),
                3,
                vec![finding(
                    Severity::Information,
                    "binding-not-checked",
                    "Observation.code",
                    3,
                )],
            ),
        );
        sink.file_end("lines.ndjson");
        sink.file_start("empty.ndjson");
        sink.file_end("empty.ndjson");
        sink.file_start("missing.json");
        sink.file_failed(
            "missing.json",
            FileFailure {
                message: "cannot read missing.json: No such file".into(),
            }
            .into_outcome(),
        );
        sink.file_end("missing.json");
    }

    fn collected() -> ValidationReport {
        let mut collector = Collector::default();
        collector.report.packages = vec!["hl7.fhir.r4.core#4.0.1".into()];
        feed(&mut collector);
        collector.report
    }

    fn sarif_options(report: &ValidationReport) -> SarifOptions<'static> {
        SarifOptions {
            include_information: true,
            properties: validation_properties(report),
            ..SarifOptions::default()
        }
    }

    /// The whole report rendered in `format`, by the renderers `report
    /// merge` and the other commands use.
    fn whole(format: Format, report: &ValidationReport, text: TextOptions) -> String {
        match format {
            Format::Text => {
                let mut sink = TextSink::new(Vec::new(), text);
                sink.write_report(report);
                String::from_utf8(sink.finish()).unwrap()
            }
            Format::Json => render_json(report),
            Format::OperationOutcome => render_operation_outcome(report),
            Format::Junit => render_junit(report),
            Format::Sarif => render_sarif(&validation_groups(report), &sarif_options(report)),
            _ => unreachable!("not a validate format"),
        }
    }

    /// serde_json's own layout of the value the text holds: what the
    /// whole-report renderers printed.
    fn is_pretty_json(text: &str) -> bool {
        let value: Value = serde_json::from_str(text).unwrap();
        serde_json::to_string_pretty(&value).unwrap() + "\n" == text
    }

    #[test]
    fn every_format_streams_what_the_whole_report_renders() {
        let report = collected();
        let head = ValidationReport {
            packages: report.packages.clone(),
            ..Default::default()
        };
        let text = TextOptions {
            color: false,
            show_information: true,
        };
        for &format in VALIDATE_FORMATS {
            let mut bytes = Vec::new();
            let opts = ReportOptions {
                text,
                ..Default::default()
            };
            let mut writer = ReportWriter::new(format, Box::new(&mut bytes), &head, opts).unwrap();
            feed(&mut writer);
            let summary = writer.finish().unwrap();
            assert_eq!(summary, report.summary, "{format:?}");
            let streamed = String::from_utf8(bytes).unwrap();
            let whole = whole(format, &report, text);
            if format == Format::Json {
                // Streamed, the summary comes last: the same document.
                let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap();
                assert_eq!(parse(&streamed), parse(&whole));
            } else {
                assert_eq!(streamed, whole, "{format:?}");
            }
            if matches!(format, Format::Sarif | Format::OperationOutcome) {
                assert!(is_pretty_json(&streamed), "{format:?}: {streamed}");
            }
        }
        assert!(ReportWriter::new(
            Format::Html,
            Box::new(Vec::new()),
            &head,
            Default::default()
        )
        .is_none());
    }

    #[test]
    fn spools_moved_to_temporary_files_change_nothing() {
        let report = collected();
        // One byte in memory: every spool is a file from its first write.
        let mut sarif = SarifSink::with_spool(Vec::new(), sarif_options(&report), Spool::new(1));
        feed(&mut sarif);
        let sarif = String::from_utf8(sarif.finish().unwrap()).unwrap();
        assert_eq!(sarif, whole(Format::Sarif, &report, TextOptions::default()));
        let log: Value = serde_json::from_str(&sarif).unwrap();
        let rules: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        // Each result names its rule by its place in the sorted rule list.
        assert!(rules.is_sorted(), "{rules:?}");
        for result in log["runs"][0]["results"].as_array().unwrap() {
            let i = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i], result["ruleId"]);
        }

        let mut junit = JunitSink::with_spools(Vec::new(), || Spool::new(1));
        feed(&mut junit);
        let junit = String::from_utf8(junit.finish().unwrap()).unwrap();
        assert_eq!(junit, render_junit(&report));
        assert!(junit.contains(
            r#"<testsuite name="lines.ndjson" tests="3" failures="1" errors="0" skipped="0">"#
        ));
    }

    #[test]
    fn one_operation_outcome_alone_none_an_empty_bundle() {
        let write = |feed: &dyn Fn(&mut dyn Sink)| {
            let mut sink = OperationOutcomeSink::new(Vec::new());
            feed(&mut sink);
            let text = String::from_utf8(sink.finish().unwrap()).unwrap();
            assert!(is_pretty_json(&text), "{text}");
            serde_json::from_str::<Value>(&text).unwrap()
        };
        let none = write(&|_| {});
        assert_eq!(none["resourceType"], "Bundle");
        assert_eq!(none["entry"], serde_json::json!([]));
        let one = write(&|sink| sink.resource("a.json", &mut resource("Patient", None, 1, vec![])));
        assert_eq!(one["resourceType"], "OperationOutcome");
        assert_eq!(one["issue"][0]["details"]["text"], "No issues found");
        let two = write(&|sink| {
            sink.resource("a.json", &mut resource("Patient", None, 1, vec![]));
            sink.resource("b.json", &mut resource("Patient", None, 1, vec![]));
        });
        assert_eq!(two["entry"].as_array().unwrap().len(), 2);
    }
}
