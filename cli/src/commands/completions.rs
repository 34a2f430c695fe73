//! `conform completions SHELL`: a completion script generated from the
//! clap definitions, on standard output.

use crate::exit::{Code, Outcome};
use clap::CommandFactory;
use clap_complete::Shell;

#[derive(clap::Args)]
pub struct Args {
    /// The shell: bash, zsh, fish or powershell (also elvish).
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: &Args) -> Outcome {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "conform", &mut std::io::stdout());
    Ok(Code::Pass)
}
