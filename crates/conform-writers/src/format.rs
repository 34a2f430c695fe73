//! The output formats of every command, as one clap `ValueEnum`: each
//! command lists the ones it writes and refuses the others with the list.

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum Format {
    Text,
    /// A table for the terminal (the scorecard).
    Table,
    Json,
    Junit,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    #[value(alias = "md")]
    Markdown,
    Html,
    /// FHIR OperationOutcome (a Bundle of them for more than one resource).
    #[value(name = "operationoutcome", alias = "oo")]
    OperationOutcome,
    /// A FHIR TestReport per scenario.
    #[value(name = "testreport")]
    TestReport,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Table => "table",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::OperationOutcome => "operationoutcome",
            Format::TestReport => "testreport",
        }
    }

    /// Parses a format name (from `--format`, or `conform.toml`'s
    /// `format`) that the command `command` writes, one of `allowed`; the
    /// error names them, whether the name is no format at all or one this
    /// command does not write.
    pub fn parse_for(name: &str, command: &str, allowed: &[Format]) -> Result<Format, String> {
        Format::from_str(name, true)
            .ok()
            .filter(|f| allowed.contains(f))
            .ok_or_else(|| {
                format!(
                    "unknown format '{name}' for conform {command} (use {})",
                    names(allowed)
                )
            })
    }
}

/// `text, json, junit or sarif`.
fn names(formats: &[Format]) -> String {
    let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_refuses_formats_it_does_not_write_and_lists_those_it_does() {
        let probe = [Format::Text, Format::Json, Format::Junit, Format::Sarif];
        assert_eq!(
            Format::parse_for("sarif", "probe", &probe),
            Ok(Format::Sarif)
        );
        assert_eq!(
            Format::parse_for("oo", "validate", &[Format::OperationOutcome]),
            Ok(Format::OperationOutcome)
        );
        let err = Format::parse_for("html", "probe", &probe).unwrap_err();
        assert_eq!(
            err,
            "unknown format 'html' for conform probe (use text, json, junit or sarif)"
        );
        let err = Format::parse_for("yaml", "probe", &probe).unwrap_err();
        assert_eq!(
            err,
            "unknown format 'yaml' for conform probe (use text, json, junit or sarif)"
        );
    }
}
