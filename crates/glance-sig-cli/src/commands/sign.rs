//! `glance-sig sign`.

use crate::args::SignArgs;
use crate::commands::inputs;
use std::path::Path;

use crate::engine::{Engine, SignRefusal, SignRequest};
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::image::ImageFile;
use crate::io::time::time;
use crate::output::render;

/// Runs `glance-sig sign` with the engine `--engine` names.
///
/// # Errors
/// [`CliError`] for unreadable or malformed inputs, a key that does not match the
/// certificate, and a refused signature.
pub fn run(args: &SignArgs) -> Result<Outcome, CliError> {
    crate::with_engine!(args.engine, |engine| run_with(engine, args))
}

/// `sign` with the scheme work done by `engine`.
fn run_with<E: Engine>(engine: &mut E, args: &SignArgs) -> Result<Outcome, CliError> {
    // clap requires --cert-uuid for `sign`; an empty one is refused here, before any input
    // is read.
    let cert_uuid = args.keys.cert_uuid.as_deref().unwrap_or_default().trim();
    if cert_uuid.is_empty() {
        return Err(CliError::Usage(
            "--cert-uuid must not be empty: give the Barbican secret id of the certificate"
                .to_owned(),
        ));
    }
    let keys = &args.keys;
    let key = inputs::private_key(engine, &keys.key, keys.passphrase_file.as_deref())?;
    let cert = match &keys.cert {
        Some(path) => Some(inputs::certificate(engine, path)?),
        None => None,
    };
    let request = SignRequest {
        key: &key,
        certificate: cert.as_ref(),
        hash: keys.hash_method,
        certificate_uuid: cert_uuid,
        at: time(None)?,
    };
    let signed = engine.sign(
        request,
        &mut |note| eprintln!("glance-sig: warning: {}", note.message),
        &mut ImageFile::new(&args.image),
    )?;
    let props = signed.map_err(|refusal| refused(refusal, &keys.key, keys.cert.as_deref()))?;
    render::json(&props.to_json());
    Ok(Outcome::Success)
}

/// A signing session's refusal as the error `sign` and `upload` end with.
pub fn refused(refusal: SignRefusal, key: &Path, cert: Option<&Path>) -> CliError {
    match refusal {
        SignRefusal::KeyMismatch(detail) => CliError::KeyMismatch {
            key: key.display().to_string(),
            cert: cert.map_or_else(String::new, |c| c.display().to_string()),
            detail,
        },
        SignRefusal::NoCertificateId(detail) => CliError::Usage(detail),
        SignRefusal::Failed(detail) => CliError::Sign(detail),
    }
}
