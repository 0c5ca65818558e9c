//! `glance-sig verify --image`, and the end every `verify` shares ([`conclude`]).

use std::path::{Path, PathBuf};

use glance_sig_core::report::Report;

use crate::args::common::EngineKind;
use crate::args::VerifyArgs;
use crate::commands::inputs;
use crate::engine::native::Native;
use crate::engine::wasm::host::ComponentEngine;
use crate::engine::{CertFacts, Engine};
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::image::ImageFile;
use crate::io::time::{rfc3339, time};
use crate::output::render;

/// Runs `glance-sig verify --image` with the engine `--engine` names.
///
/// # Errors
/// [`CliError`] for unreadable or malformed inputs; a signature that does not verify is a
/// report and [`Outcome::Rejected`], not an error.
pub fn run(args: &VerifyArgs) -> Result<Outcome, CliError> {
    match args.engine.engine {
        EngineKind::Native => run_with(&mut Native, args),
        EngineKind::Component => run_with(
            &mut ComponentEngine::locate(args.engine.component.as_deref())?,
            args,
        ),
    }
}

/// `verify` of a file with the scheme work done by `engine`.
fn run_with<E: Engine>(engine: &mut E, args: &VerifyArgs) -> Result<Outcome, CliError> {
    let image = required(&args.image, "--image")?;
    let props = inputs::properties(engine, required(&args.properties, "--properties")?)?;
    let cert = inputs::certificate(engine, required(&args.cert, "--cert")?)?;
    let trusted = inputs::trusted(engine, &args.trusted)?;
    let at = time(args.at.as_deref())?;
    if !image.is_file() {
        return Err(CliError::Read {
            what: "image",
            path: image.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a readable file"),
        });
    }

    let mut source = ImageFile::new(image);
    let verdict = engine.verify(&props, &cert, &mut source)?;
    let explain = !args.no_explain && verdict.explainable();
    let diagnosis = if explain {
        engine.explain(&props, &cert, &mut source)?
    } else {
        Vec::new()
    };
    let chain = if args.trusted.is_empty() {
        None
    } else {
        Some(engine.chain(&cert, &trusted, at)?)
    };
    let facts = engine.facts(&cert)?;
    Ok(conclude(
        Report::new(verdict, chain, diagnosis),
        Some(&facts),
        at,
        args,
    ))
}

/// A file flag that clap requires without --image-id.
fn required<'a>(path: &'a Option<PathBuf>, flag: &str) -> Result<&'a Path, CliError> {
    path.as_deref()
        .ok_or_else(|| CliError::Usage(format!("{flag} is needed with --image")))
}

/// Adds the date warning, prints the report (text or JSON) and gives the exit code: the same
/// for a file and for an image in Glance. `facts` is `None` when there is no certificate.
pub fn conclude(
    mut report: Report,
    facts: Option<&CertFacts>,
    at: i64,
    args: &VerifyArgs,
) -> Outcome {
    let outside = facts.filter(|f| at > f.not_after || at < f.not_before);
    if let Some(facts) = outside.filter(|_| args.trusted.is_empty()) {
        report.warnings.push(glance_sig_core::Note {
            code: "certificate-outside-validity",
            message: format!(
                "the certificate is valid {} to {}; Glance does not check dates, but Nova with trusted certificates refuses it",
                rfc3339(facts.not_before),
                rfc3339(facts.not_after)
            ),
        });
    }
    if args.json {
        render::json(&report);
    } else {
        let subject = facts.map_or("(no certificate)", |f| f.subject.as_str());
        render::out(&render::verify_text(&report, subject, at));
    }
    if report.valid {
        Outcome::Success
    } else {
        Outcome::Rejected
    }
}
