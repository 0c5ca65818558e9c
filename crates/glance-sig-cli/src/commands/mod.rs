//! The commands. Each reads its inputs (`io`), picks its engine (`--engine`) where it has one,
//! and prints (`output`); [`run`] dispatches.
//!
//! `upload` and `audit` run the native core: their Glance and Barbican checks read the core's
//! certificate directly.

pub mod audit;
pub mod inputs;
pub mod inspect;
pub mod remote_verify;
pub mod sign;
pub mod upload;
pub mod verify;

use crate::args::Command;
use crate::error::CliError;
use crate::exit::Outcome;

/// Runs one command.
///
/// # Errors
/// [`CliError`] for whatever ended the command; a signature that does not verify is an
/// [`Outcome`], not an error.
pub fn run(command: &Command) -> Result<Outcome, CliError> {
    match command {
        Command::Sign(a) => sign::run(a),
        Command::Verify(a) => match &a.image_id {
            Some(image_id) => remote_verify::run(a, image_id),
            None => verify::run(a),
        },
        Command::Upload(a) => upload::run(a),
        Command::Audit(a) => audit::run(a),
        Command::AuditMerge(a) => audit::merge(a),
        Command::Inspect(a) => inspect::run(a),
    }
}
