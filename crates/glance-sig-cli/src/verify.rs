//! `glance-sig verify`.

use std::path::{Path, PathBuf};

use glance_sig_core::report::Report;

use crate::cli::VerifyArgs;
use crate::engine::{self, CertFacts, Engine};
use crate::exit::{CliError, Outcome};
use crate::{input, render};

pub fn run(args: &VerifyArgs) -> Result<Outcome, CliError> {
    if let Some(image_id) = &args.image_id {
        return crate::cloud::remote_verify::run(args, image_id);
    }
    engine::with_engine(&args.engine, |e| e.verify(args))?
}

/// `verify` with the scheme work done by `engine`.
pub fn run_with<E: Engine>(engine: &mut E, args: &VerifyArgs) -> Result<Outcome, CliError> {
    let image = required(&args.image, "--image")?;
    let props = input::properties(engine, required(&args.properties, "--properties")?)?;
    let cert = input::certificate(engine, required(&args.cert, "--cert")?)?;
    let trusted = input::trusted(engine, &args.trusted)?;
    let at = input::time(args.at.as_deref())?;
    if !image.is_file() {
        return Err(CliError::Read {
            what: "image",
            path: image.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a readable file"),
        });
    }

    let verdict = engine.verify(&props, &cert, image)?;
    let explain = !args.no_explain && verdict.explainable();
    let diagnosis = if explain {
        engine.explain(&props, &cert, image)?
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
                input::rfc3339(facts.not_before),
                input::rfc3339(facts.not_after)
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
