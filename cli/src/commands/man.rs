//! `conform man`: roff man pages generated from the clap definitions:
//! `conform.1` on standard output, or with `-o DIR` one page for conform
//! and one for each subcommand (`conform-validate.1`...).

use crate::exit::{Code, Failure, Outcome};
use clap::CommandFactory;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Write conform.1 and a page per subcommand into this folder.
    #[arg(long, short = 'o', value_name = "DIR")]
    output: Option<PathBuf>,
}

pub fn run(args: &Args) -> Outcome {
    let cmd = crate::Cli::command();
    match &args.output {
        None => {
            let mut out = Vec::new();
            render(&cmd, &mut out)?;
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(&out);
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
            let written = write_pages(&cmd, "conform", dir)?;
            eprintln!("conform: wrote {written} man pages to {}", dir.display());
        }
    }
    Ok(Code::Pass)
}

fn render(cmd: &clap::Command, out: &mut Vec<u8>) -> Result<(), Failure> {
    clap_mangen::Man::new(cmd.clone())
        .render(out)
        .map_err(|e| Failure::usage(format!("cannot render the man page: {e}")))
}

/// Writes `name.1` for `cmd` and, recursively, `name-sub.1` for its
/// subcommands; returns how many pages.
fn write_pages(cmd: &clap::Command, name: &str, dir: &Path) -> Result<usize, Failure> {
    // The page is named `name`; its synopsis shows `conform validate ...`.
    let cmd = cmd
        .clone()
        .display_name(name.to_string())
        .bin_name(name.replace('-', " "));
    let mut out = Vec::new();
    render(&cmd, &mut out)?;
    let file = dir.join(format!("{name}.1"));
    std::fs::write(&file, out)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", file.display())))?;
    let mut n = 1;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        n += write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(n)
}
