pub mod package;
pub mod validate;
