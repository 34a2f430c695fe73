//! `conform snapshot`: a StructureDefinition's snapshot generated from its
//! differential, against the same packages validation loads (so a profile
//! authored as a differential can be checked, published or diffed).

use crate::exit::{Code, Failure, Outcome};
use conform_packages::{DefinitionSet, PackageSpec};
use conform_setup::Settings;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The StructureDefinition (JSON) whose snapshot to generate.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Also load an implementation guide (for base profiles, extensions and
    /// type profiles): id#version, a .tgz, a package folder, or loose
    /// conformance resources in a file or folder.
    #[arg(long = "ig", value_name = "PACKAGE")]
    igs: Vec<String>,
    /// Write the StructureDefinition to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    let sd = read_json(&args.file)?;
    let defs = load_definitions(settings, &args.igs)?;
    let generated = conform_snapshot::generate_with_issues(&sd, &defs).map_err(|e| {
        Failure::usage(format!(
            "cannot generate the snapshot of {}: {e}",
            args.file.display()
        ))
    })?;
    for issue in &generated.issues {
        eprintln!("conform: warning: {issue}");
    }
    let mut text = serde_json::to_string_pretty(&generated.structure_definition)
        .map_err(|e| Failure::usage(format!("cannot render the result: {e}")))?;
    text.push('\n');
    crate::output::write(args.output.as_deref(), &text)?;
    Ok(Code::Pass)
}

fn read_json(path: &Path) -> Result<Value, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    serde_json::from_slice(bytes)
        .map_err(|e| Failure::usage(format!("{} is not valid JSON: {e}", path.display())))
}

/// The base packages and `--ig`s, resolved as `conform validate` resolves
/// them, with every resource loaded for lookup by canonical URL (loose XML
/// read as validation reads it).
fn load_definitions(settings: &Settings, igs: &[String]) -> Result<DefinitionSet, Failure> {
    let mut specs = Vec::new();
    for s in settings.base_packages.iter().chain(igs) {
        specs.push(PackageSpec::parse(s).map_err(Failure::from)?);
    }
    let resolved = conform_packages::resolve(&settings.sources, &specs)?;
    for line in conform_packages::notes(&resolved) {
        eprintln!("conform: {line}");
    }
    let cache = conform_validate::plan::cache::default_dir();
    Ok(conform_validate::definitions(&resolved, Some(&cache))?)
}
