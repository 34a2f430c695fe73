//! Times resolve and load of the packages named on the command line, e.g.
//! `cargo run --release -p conform-packages --example load -- hl7.fhir.r4.core#4.0.1`
//! with `CONFORM_PACKAGE_SOURCE` pointing at a folder of tarballs.

use std::time::Instant;

use conform_packages::{resolve, to_hex, DefinitionSet, PackageSpec, SourceConfig};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), conform_packages::PackageError> {
    let cfg = SourceConfig::from_env();
    let specs = std::env::args()
        .skip(1)
        .map(|a| PackageSpec::parse(&a))
        .collect::<Result<Vec<_>, _>>()?;
    let t = Instant::now();
    let pkgs = resolve(&cfg, &specs)?;
    let resolved = t.elapsed();
    for p in &pkgs {
        println!("{} {}", p.id, to_hex(&p.fingerprint));
    }
    let t = Instant::now();
    let set = DefinitionSet::load(&pkgs)?;
    let loaded = t.elapsed();
    let t = Instant::now();
    let parsed = set.by_type("StructureDefinition").count();
    let parse_all = t.elapsed();
    println!(
        "resolve {resolved:?}, load {loaded:?} ({} resources), parse {parsed} StructureDefinitions {parse_all:?}",
        set.entries().count()
    );
    Ok(())
}
