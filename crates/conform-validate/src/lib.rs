//! FHIR R4 validation: compile the loaded packages' StructureDefinitions into
//! plans ([`plan`]), then validate JSON against them in one pass ([`walk`]).
//!
//! The validator never renders anything: it reports [`Finding`]s for each
//! resource into a [`Sink`], and renderers elsewhere turn those into text,
//! JSON, OperationOutcome or JUnit.

pub mod finding;
mod input;
mod load;
pub mod plan;
pub mod primitive;
mod run;
pub mod terminology;
mod walk;

pub use finding::{rules, Finding, IssueCode, Severity};
pub use input::{collect_inputs, Input, InputError};
pub use load::{LoadError, LoadStats};
pub use run::{validate_inputs, FileFailure, ResourceResult, Sink, Summary};

use conform_json::Document;
use plan::Plans;
use std::sync::Arc;

/// A validator over one set of compiled plans. Cheap to clone and share
/// across threads.
#[derive(Clone)]
pub struct Validator {
    plans: Arc<Plans>,
}

impl Validator {
    pub fn new(plans: Plans) -> Self {
        Validator {
            plans: Arc::new(plans),
        }
    }

    pub fn plans(&self) -> &Plans {
        &self.plans
    }

    /// Validates one JSON text holding one resource. `line_base` is the
    /// number of lines before it in its file (for NDJSON).
    pub fn validate_bytes(&self, bytes: &[u8], line_base: u32) -> ResourceResult {
        match conform_json::parse(bytes) {
            Ok(doc) => self.validate_document(&doc, line_base),
            Err(e) => run::parse_failure(bytes, &e, line_base),
        }
    }

    /// Validates a parsed document whose root is a resource.
    pub fn validate_document(&self, doc: &Document<'_>, line_base: u32) -> ResourceResult {
        let mut w = walk::Walker::new(&self.plans, doc, line_base);
        let (resource_type, id) = w.root(doc.root());
        let (line, _) = w.line_col(doc.offset(doc.root()));
        ResourceResult {
            resource_type: resource_type.map(str::to_string),
            id,
            line,
            findings: w.findings,
        }
    }
}
