//! The `loghunt` binary: parse flags, run, map the outcome to an exit code (0 nothing found,
//! 1 results found, 2 error or input not fully read). A closed stdout pipe is not an error.

use std::process::ExitCode;

use clap::Parser;
use loghunt::app::{self, Error};
use loghunt::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stderr_style = app::stderr_style(&cli.command);
    match app::run(cli.command) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loghunt: {} {e}", stderr_style.error("error:"));
            ExitCode::from(2)
        }
    }
}
