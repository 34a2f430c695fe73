//! `--format json`: the `conform.validate/1` document
//! ([`Document`](conform_outcome::validate::Document)), one object with a
//! summary and per-resource issues, versioned by `schema` so CI scripts can
//! rely on it.

use conform_outcome::validate::{Document, ValidationReport};
use std::collections::HashMap;

pub fn render_json(report: &ValidationReport) -> String {
    let document = Document::of(report, env!("CARGO_PKG_VERSION"));
    serde_json::to_string_pretty(&document).expect("the document always serialises") + "\n"
}

/// `--format json` written as results arrive: each resource as soon as it
/// is validated, so memory stays flat however large the input (a 1 GB
/// NDJSON never sits in memory as a report). The same document as
/// [`render_json`], laid out alike, but with `summary` last (it is known
/// only at the end).
pub struct JsonSink<W: std::io::Write> {
    out: W,
    pub summary: conform_outcome::validate::Summary,
    /// A shard's report: each file's place in the whole run's input list.
    order: Option<HashMap<String, usize>>,
    /// The file being written: its path, resources so far, failure.
    open: Option<(String, usize, Option<String>)>,
    files: usize,
    /// The first write error; later writes are skipped and `finish` says.
    failed: Option<std::io::Error>,
    /// The run's Must-Support population, written at the end.
    must_support: Option<conform_outcome::validate::MustSupportReport>,
}

impl<W: std::io::Write> JsonSink<W> {
    /// Starts the document with what is known before validation (a
    /// shard's report says which shard it is here, before the files).
    pub fn new(mut out: W, report: &ValidationReport) -> JsonSink<W> {
        let head = Document::of(report, env!("CARGO_PKG_VERSION"));
        let mut head = serde_json::to_value(&head).expect("the document always serialises");
        if let Some(map) = head.as_object_mut() {
            map.remove("summary");
            map.remove("files");
        }
        let text = serde_json::to_string_pretty(&head).expect("serialises");
        let text = text.strip_suffix("\n}").unwrap_or(&text);
        let failed = write!(out, "{text},\n  \"files\": [").err();
        JsonSink {
            out,
            summary: Default::default(),
            order: None,
            open: None,
            files: 0,
            failed,
            must_support: None,
        }
    }

    /// A shard's report: each file (by name) is written with its place in
    /// the whole run's input list, so merged shards keep the unsharded
    /// order (what `FileReport::order` holds in a collected report).
    pub fn with_order(mut self, order: HashMap<String, usize>) -> JsonSink<W> {
        self.order = Some(order);
        self
    }

    fn write(&mut self, text: &str) {
        if self.failed.is_none() {
            self.failed = self.out.write_all(text.as_bytes()).err();
        }
    }

    fn open(&mut self, name: &str) {
        if self.open.as_ref().is_some_and(|(p, ..)| p == name) {
            return;
        }
        self.close();
        let sep = if self.files > 0 { "," } else { "" };
        let path = serde_json::to_string(name).expect("a string serialises");
        let order = match self.order.as_ref().and_then(|o| o.get(name)) {
            Some(place) => format!("\n      \"order\": {place},"),
            None => String::new(),
        };
        self.write(&format!(
            "{sep}\n    {{\n      \"path\": {path},{order}\n      \"resources\": ["
        ));
        self.summary.files += 1;
        self.open = Some((name.to_string(), 0, None));
    }

    fn close(&mut self) {
        let Some((_, resources, failure)) = self.open.take() else {
            return;
        };
        let mut text = String::from(if resources > 0 { "\n      ]" } else { "]" });
        if let Some(message) = failure {
            let message = serde_json::to_string(&message).expect("a string serialises");
            text.push_str(&format!(",\n      \"error\": {message}"));
        }
        text.push_str("\n    }");
        self.write(&text);
        self.files += 1;
    }

    /// Ends the document; the summary, or why it could not be written.
    pub fn finish(mut self) -> std::io::Result<conform_outcome::validate::Summary> {
        self.close();
        let close = if self.files > 0 { "\n  ]" } else { "]" };
        let summary = serde_json::to_string_pretty(&self.summary).expect("serialises");
        let summary = summary.replace('\n', "\n  ");
        let must_support = match self.must_support.take() {
            Some(report) => {
                let text = serde_json::to_string_pretty(&report).expect("serialises");
                format!(",\n  \"must_support\": {}", text.replace('\n', "\n  "))
            }
            None => String::new(),
        };
        self.write(&format!(
            "{close}{must_support},\n  \"summary\": {summary}\n}}\n"
        ));
        if self.failed.is_none() {
            self.failed = self.out.flush().err();
        }
        match self.failed {
            Some(e) => Err(e),
            None => Ok(self.summary),
        }
    }
}

impl<W: std::io::Write> conform_outcome::validate::Sink for JsonSink<W> {
    fn file_start(&mut self, name: &str) {
        self.open(name);
    }

    fn resource(&mut self, name: &str, result: &mut conform_outcome::validate::ResourceResult) {
        self.open(name);
        self.summary.add(result);
        let doc = conform_outcome::validate::ResourceDocument::of(result);
        let text = serde_json::to_string_pretty(&doc).expect("serialises");
        let text = text.replace('\n', "\n        ");
        let sep = match &mut self.open {
            Some((_, n, _)) => {
                *n += 1;
                if *n > 1 {
                    ","
                } else {
                    ""
                }
            }
            None => "",
        };
        self.write(&format!("{sep}\n        {text}"));
    }

    fn file_failed(&mut self, name: &str, failure: conform_outcome::Outcome) {
        self.open(name);
        self.summary.unreadable += 1;
        if let Some((_, _, f)) = &mut self.open {
            *f = Some(failure.message);
        }
    }

    fn file_end(&mut self, name: &str) {
        if self.open.as_ref().is_some_and(|(p, ..)| p == name) {
            self.close();
        }
    }

    fn must_support(&mut self, report: &conform_outcome::validate::MustSupportReport) {
        self.must_support
            .get_or_insert_with(Default::default)
            .add(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conform_outcome::validate::{Collector, FileFailure, ResourceResult, Sink};
    use conform_outcome::{IssueCode, Location, Outcome, Severity};

    fn feed(sink: &mut dyn Sink) {
        let bad = Outcome::finding(
            Severity::Error,
            IssueCode::CodeInvalid,
            "binding-required",
            Location::payload("Patient.gender".into(), 3, 5),
            "not in the value set",
        );
        sink.file_start("a.json");
        sink.resource(
            "a.json",
            &mut ResourceResult {
                resource_type: Some("Patient".into()),
                line: 1,
                findings: vec![bad],
                ..Default::default()
            },
        );
        sink.file_end("a.json");
        sink.file_start("empty.ndjson");
        sink.file_end("empty.ndjson");
        sink.file_start("lines.ndjson");
        for line in [1, 2] {
            sink.resource(
                "lines.ndjson",
                &mut ResourceResult {
                    resource_type: Some("Observation".into()),
                    line,
                    ..Default::default()
                },
            );
        }
        sink.file_end("lines.ndjson");
        sink.file_start("broken.json");
        sink.file_failed(
            "broken.json",
            FileFailure {
                message: "not JSON: \"x\"".into(),
            }
            .into_outcome(),
        );
        sink.file_end("broken.json");
    }

    #[test]
    fn streams_the_document_render_json_writes() {
        let head = ValidationReport {
            packages: vec!["hl7.fhir.r4.core#4.0.1".into()],
            ..Default::default()
        };
        let mut collector = Collector::default();
        collector.report.packages = head.packages.clone();
        feed(&mut collector);
        let whole: serde_json::Value =
            serde_json::from_str(&render_json(&collector.report)).unwrap();
        let mut bytes = Vec::new();
        let mut sink = JsonSink::new(&mut bytes, &head);
        feed(&mut sink);
        let summary = sink.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let streamed: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(streamed, whole);
        assert_eq!(summary, collector.report.summary);
        assert_eq!(
            (
                summary.files,
                summary.resources,
                summary.errors,
                summary.unreadable
            ),
            (4, 3, 1, 1)
        );
        // Nothing validated at all is still a document.
        let mut bytes = Vec::new();
        JsonSink::new(&mut bytes, &head).finish().unwrap();
        let empty: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(empty["files"], serde_json::json!([]));
    }
}
