//! `glance-sig`: parse, run, map to an exit code. Everything else lives in modules.

use std::process::ExitCode;

use clap::Parser;

mod bench;
mod cli;
mod cloud;
mod component;
mod engine;
mod exit;
mod input;
mod inspect;
mod render;
mod sign;
mod verify;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let result = match args.command {
        cli::Command::Sign(a) => sign::run(&a),
        cli::Command::Verify(a) => verify::run(&a),
        cli::Command::Upload(a) => cloud::upload::run(&a),
        cli::Command::Audit(a) => cloud::audit::run(&a),
        cli::Command::Inspect(a) => inspect::run(&a),
        cli::Command::BenchHash(a) => bench::run(&a),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("glance-sig: error: {e}");
            if let Some(fix) = e.fix() {
                eprintln!("  fix: {fix}");
            }
            exit::Outcome::from(&e).into()
        }
    }
}
