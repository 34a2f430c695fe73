//! `conform convert FILE|-`: FHIR JSON to XML and XML to JSON (the
//! direction from the input), lossless, with the loaded definitions
//! deciding arrays, value types and element order. Glue only: the mapping
//! is `conform_xml`'s.

use crate::exit::{Code, Failure, Outcome};
use conform_setup::Settings;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The resource (a JSON or XML file), or - for standard input.
    #[arg(default_value = "-")]
    file: String,
    /// Write here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Map with this core package's definitions alone instead of the
    /// configured packages (hl7.fhir.r3.core#3.0.1 for STU3).
    #[arg(long, value_name = "ID#VERSION")]
    core: Option<String>,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    let bytes = super::read_input(&args.file)?;
    let validator = match &args.core {
        Some(core) => settings.core_definitions(core)?,
        None => settings.definitions(&conform_setup::LoadOptions::default())?,
    };
    let model = validator.xml_model();
    let text = if conform_xml::looks_like_xml(&bytes) {
        let converted = conform_xml::read(&bytes, &model).map_err(|e| {
            let (line, col) = line_col(&bytes, e.offset);
            Failure::usage(format!("{}:{line}:{col}: {}", args.file, e.message))
        })?;
        // What only XML can get wrong is said, and the rest converted.
        for issue in &converted.issues {
            let (line, col) = converted.positions.xml_line_col(issue.offset);
            eprintln!(
                "conform: {}:{line}:{col}: warning: {} [{}]",
                args.file, issue.message, issue.rule
            );
        }
        let doc = conform_json::parse(converted.json.as_bytes()).map_err(|e| {
            Failure::usage(format!("internal: the XML was read into invalid JSON: {e}"))
        })?;
        conform_xml::to_pretty_json(&doc)
    } else {
        let doc = conform_json::parse(&bytes).map_err(|e| {
            let (line, col) = line_col(&bytes, e.offset);
            Failure::usage(format!(
                "{}:{line}:{col}: not valid JSON: {}",
                args.file, e.message
            ))
        })?;
        conform_xml::to_xml(&doc, &model)
            .map_err(|e| Failure::usage(format!("{}: {e}", args.file)))?
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?,
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| Failure::usage(format!("cannot write to standard output: {e}")))?,
    }
    Ok(Code::Pass)
}

fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
    let text = String::from_utf8_lossy(bytes);
    conform_json::LineIndex::new(&text).line_col(&text, offset)
}
