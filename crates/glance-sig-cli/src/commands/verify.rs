//! `glance-sig verify --image`, and the end every `verify` shares ([`conclude`]).

use std::path::{Path, PathBuf};

use glance_sig_core::Report;

use crate::args::VerifyArgs;
use crate::commands::inputs;
use crate::engine::{Engine, VerifyRequest};
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::image::ImageFile;
use crate::io::time::time;
use crate::output::render;

/// Runs `glance-sig verify --image` with the engine `--engine` names.
///
/// # Errors
/// [`CliError`] for unreadable or malformed inputs; a signature that does not verify is a
/// report and [`Outcome::Rejected`], not an error.
pub fn run(args: &VerifyArgs) -> Result<Outcome, CliError> {
    crate::with_engine!(args.engine, |engine| run_with(engine, args))
}

/// `verify` of a file with the scheme work done by `engine`.
fn run_with<E: Engine>(engine: &mut E, args: &VerifyArgs) -> Result<Outcome, CliError> {
    let image = required(&args.image, "--image")?;
    let properties = inputs::properties(engine, required(&args.properties, "--properties")?)?;
    let cert = inputs::certificate(engine, required(&args.cert, "--cert")?)?;
    let anchors = inputs::trusted(engine, &args.trusted, None)?;
    let at = time(args.at.as_deref())?;
    if !image.is_file() {
        return Err(CliError::Read {
            what: "image",
            path: image.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a readable file"),
        });
    }
    let request = VerifyRequest {
        properties,
        certificate: Some(&cert),
        anchors: &anchors,
        at,
        explain: !args.no_explain,
    };
    let report = engine.verify(request, &mut ImageFile::new(image))?;
    Ok(conclude(&report, args))
}

/// A file flag that clap requires without --image-id.
fn required<'a>(path: &'a Option<PathBuf>, flag: &str) -> Result<&'a Path, CliError> {
    path.as_deref()
        .ok_or_else(|| CliError::Usage(format!("{flag} is needed with --image")))
}

/// Prints the report (text or JSON) and gives the exit code: the same for a file and for an
/// image in Glance.
pub fn conclude(report: &Report, args: &VerifyArgs) -> Outcome {
    if args.json {
        render::json(report);
    } else {
        render::out(&report.text());
    }
    if report.accepted(args.require_trust) {
        Outcome::Success
    } else {
        Outcome::Rejected
    }
}
