//! `glance-sig`: parse, run, map to an exit code. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;
use glance_sig_cli::args::Cli;
use glance_sig_cli::commands;
use glance_sig_cli::exit::Outcome;
use glance_sig_cli::output::render;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(&cli.command) {
        Ok(outcome) => outcome.into(),
        Err(e) => {
            render::err_line(&format!("glance-sig: error: {e}"));
            if let Some(fix) = e.fix() {
                render::err_line(&format!("  fix: {fix}"));
            }
            Outcome::from(&e).into()
        }
    }
}
