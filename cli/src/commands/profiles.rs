//! `conform profiles list`: which profile the selected pack applies to each
//! resource type by default.

use super::listing::{self, ListFormat};
use crate::exit::Outcome;
use conform_setup::Settings;
use conform_validate::pack::Pack;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the profile the pack applies to each resource type.
    List {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value = "text")]
        format: ListFormat,
    },
}

/// How the pack's choice combines with the others, said with every listing.
const SELECTION_NOTE: &str = "Resources are also checked against the profiles they declare in \
meta.profile (unless --no-meta-profiles) and, for top-level resources, any --profile URL.";

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    let Command::List { format } = cmd;
    listing::print(settings, *format, text, json)
}

fn text(pack: &Pack) -> String {
    let mut out = listing::header(pack);
    if !pack.packages.is_empty() {
        out.push_str(&format!("Packages: {}\n", pack.packages.join(", ")));
    }
    if pack.profiles.is_empty() {
        out.push_str("\nNo profiles: resources are checked against the base FHIR definitions.\n");
    } else {
        out.push_str("\nProfile for each resource type:\n\n");
        let width = pack.profiles.keys().map(String::len).max().unwrap_or(0);
        for (resource_type, url) in &pack.profiles {
            out.push_str(&format!("  {resource_type:<width$}  {url}\n"));
        }
    }
    out.push('\n');
    out.push_str(SELECTION_NOTE);
    out.push('\n');
    out
}

/// Schema `conform.profiles/1`: `pack` (null when none is selected) and
/// `profiles`, resource type -> canonical URL.
fn json(pack: Option<&Pack>) -> String {
    let value = serde_json::json!({
        "schema": "conform.profiles/1",
        "pack": pack.map(listing::pack_json),
        "profiles": pack.map(|p| p.profiles.clone()).unwrap_or_default(),
        "note": SELECTION_NOTE,
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
