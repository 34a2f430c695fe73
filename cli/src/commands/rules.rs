//! `conform rules list`: the national rules of the selected profile pack,
//! so a team can see (and cite) what a run checks beyond the profiles.

use super::listing::{self, ListFormat};
use crate::exit::Outcome;
use conform_setup::Settings;
use conform_validate::national::Rule;
use conform_validate::pack::Pack;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the pack's national rules: id, severity, kind, system and why.
    List {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value = "text")]
        format: ListFormat,
    },
}

pub fn run(settings: &Settings, cmd: &Command) -> Outcome {
    let Command::List { format } = cmd;
    listing::print(settings, *format, text, json)
}

fn text(pack: &Pack) -> String {
    let mut out = listing::header(pack);
    if pack.rules.is_empty() {
        out.push_str("\nNo national rules.\n");
        return out;
    }
    let n = pack.rules.len();
    out.push_str(&format!(
        "\n{n} national rule{}, checked on every Identifier:\n",
        if n == 1 { "" } else { "s" }
    ));
    let width = |f: fn(&Rule) -> &str| pack.rules.iter().map(|r| f(r).len()).max();
    let id_width = width(|r| &r.id).unwrap_or(0);
    let severity_width = width(|r| r.severity.as_str()).unwrap_or(0);
    let kind_width = width(|r| r.check.kind()).unwrap_or(0);
    for rule in &pack.rules {
        out.push_str(&format!(
            "\n{:<id_width$}  {:<severity_width$}  {:<kind_width$}  {}\n    {}\n",
            rule.id,
            rule.severity.as_str(),
            rule.check.kind(),
            rule.check.system(),
            rule.why
        ));
    }
    out
}

/// Schema `conform.rules/1`: `pack` (null when none is selected) and
/// `rules[]` as the pack states them (id, severity, why, kind, parameters).
fn json(pack: Option<&Pack>) -> String {
    let value = serde_json::json!({
        "schema": "conform.rules/1",
        "pack": pack.map(listing::pack_json),
        "rules": pack.map_or(&[][..], |p| p.rules.as_slice()),
    });
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
