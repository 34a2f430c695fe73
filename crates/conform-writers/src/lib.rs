//! Writers: turn every command's outcomes (data) into text, JSON,
//! OperationOutcome, JUnit and SARIF. Nothing here checks anything, and
//! nothing here depends on the validator: writers read the wire types of
//! conform-outcome, grouped by scope ([`Group`]); a scenario run's document
//! has its own renderers too ([`scenario`]).

mod format;
mod group;
mod json;
mod junit;
pub mod junit_xml;
mod operation_outcome;
mod sarif;
pub mod scenario;
mod text;
pub mod xml;

pub use format::Format;
pub use group::{scenario_groups, validation_groups, Group, Scope};
pub use json::render_json;
pub use junit::render_junit;
pub use operation_outcome::render_operation_outcome;
pub use sarif::{artifact_uri, render_sarif, SarifOptions, FINGERPRINT_KEY};
pub use text::{TextOptions, TextSink};
