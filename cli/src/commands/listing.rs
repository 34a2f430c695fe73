//! What `rules list` and `profiles list` share: the output format option
//! and how the selected pack is introduced (or its absence explained).

use crate::exit::{Code, Outcome};
use conform_setup::Settings;
use conform_validate::pack::{builtin_names, Pack};

/// Output format of the listing commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// The first lines of a text listing: which pack, from where.
pub fn header(pack: &Pack) -> String {
    let mut out = format!("Pack {} ({})\n", pack.name, pack.origin);
    if !pack.description.is_empty() {
        out.push_str(&pack.description);
        out.push('\n');
    }
    out
}

/// Said instead of a listing when no pack is selected.
pub fn no_pack() -> String {
    format!(
        "No profile pack selected: validation applies no pack profiles or national rules.\n\
         Choose one with --pack NAME, or `pack = \"NAME\"` under [validate] in conform.toml.\n\
         Built-in packs: {}.\n",
        builtin_names().join(", ")
    )
}

/// The pack as the JSON listings describe it.
pub fn pack_json(pack: &Pack) -> serde_json::Value {
    serde_json::json!({
        "name": pack.name,
        "description": pack.description,
        "origin": pack.origin,
        "packages": pack.packages,
    })
}

/// Prints a listing of the selected pack in the chosen format (text says
/// so when no pack is selected).
pub fn print(
    settings: &Settings,
    format: ListFormat,
    text: fn(&Pack) -> String,
    json: fn(Option<&Pack>) -> String,
) -> Outcome {
    let pack = settings.pack()?;
    let out = match format {
        ListFormat::Text => pack.map_or_else(no_pack, text),
        ListFormat::Json => json(pack),
    };
    print!("{out}");
    Ok(Code::Pass)
}
