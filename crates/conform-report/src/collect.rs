//! A [`Sink`] that keeps every result, for formats that are written whole.

use conform_validate::{FileFailure, ResourceResult, Sink, Summary};
use serde::Serialize;

/// Everything one validation run found.
#[derive(Debug, Default, Serialize)]
pub struct ValidationReport {
    /// The packages the plans came from (`id#version`).
    pub packages: Vec<String>,
    pub summary: Summary,
    pub files: Vec<FileReport>,
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FileFailure>,
    pub resources: Vec<ResourceResult>,
}

/// Collects results in order.
#[derive(Debug, Default)]
pub struct Collector {
    pub report: ValidationReport,
}

impl Collector {
    fn current(&mut self, name: &str) -> &mut FileReport {
        if self.report.files.last().is_none_or(|f| f.path != name) {
            self.report.summary.files += 1;
            self.report.files.push(FileReport {
                path: name.to_string(),
                failure: None,
                resources: Vec::new(),
            });
        }
        self.report.files.last_mut().expect("just pushed")
    }
}

impl Sink for Collector {
    fn file_start(&mut self, name: &str) {
        self.current(name);
    }

    fn resource(&mut self, name: &str, result: ResourceResult) {
        self.report.summary.add(&result);
        self.current(name).resources.push(result);
    }

    fn file_failed(&mut self, name: &str, failure: FileFailure) {
        self.report.summary.unreadable += 1;
        self.current(name).failure = Some(failure);
    }
}
