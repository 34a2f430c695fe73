pub mod fhirpath;
pub mod listing;
pub mod package;
pub mod profiles;
pub mod rules;
pub mod snapshot;
pub mod validate;
