//! `glance-sig verify`.

use glance_sig_core::report::Report;
use glance_sig_core::{validate_chain_like_nova, Explainer, Rejection, SignatureVerdict, Verifier};

use crate::cli::VerifyArgs;
use crate::exit::{CliError, Outcome};
use crate::{input, render};

pub fn run(args: &VerifyArgs) -> Result<Outcome, CliError> {
    let props = input::properties(&args.properties)?;
    let cert = input::certificate(&args.cert)?;
    let trusted = input::trusted(&args.trusted)?;
    let at = input::time(args.at.as_deref())?;
    if !args.image.is_file() {
        return Err(CliError::Read {
            what: "image",
            path: args.image.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a readable file"),
        });
    }

    let key = cert.public_key();
    let verdict = match Verifier::new(&props, key) {
        Ok(mut v) => {
            input::stream_image(&args.image, "verifying", |chunk| v.update(chunk))?;
            v.finish()
        }
        // Refused before any data is read, as Glance answers at once.
        Err(r) => SignatureVerdict::rejected(&props, r),
    };
    let explain = !args.no_explain
        && !verdict.valid
        && matches!(
            verdict.rejection,
            Some(
                Rejection::SignatureMismatch
                    | Rejection::Property(_)
                    | Rejection::PublicKeyTypeMismatch { .. }
            )
        );
    let diagnosis = match Explainer::new(&props, key).filter(|_| explain) {
        Some(mut ex) => {
            input::stream_image(&args.image, "explaining", |chunk| ex.update(chunk))?;
            ex.finish()
        }
        None => Vec::new(),
    };
    let chain = (!args.trusted.is_empty()).then(|| validate_chain_like_nova(&cert, &trusted, at));
    let mut report = Report::new(verdict, chain, diagnosis);
    if args.trusted.is_empty() && (at > cert.not_after() || at < cert.not_before()) {
        report.warnings.push(glance_sig_core::Note {
            code: "certificate-outside-validity",
            message: format!(
                "the certificate is valid {} to {}; Glance does not check dates, but Nova with trusted certificates refuses it",
                input::rfc3339(cert.not_before()),
                input::rfc3339(cert.not_after())
            ),
        });
    }
    if args.json {
        render::json(&report);
    } else {
        render::out(&render::verify_text(&report, &cert.subject(), at));
    }
    Ok(if report.valid {
        Outcome::Success
    } else {
        Outcome::Rejected
    })
}
