//! `glance-sig sign`.

use crate::args::common::EngineKind;
use crate::args::SignArgs;
use crate::commands::inputs;
use crate::engine::native::Native;
use crate::engine::wasm::host::ComponentEngine;
use crate::engine::Engine;
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::image::ImageFile;
use crate::io::time::{rfc3339, time};
use crate::output::render;

/// Runs `glance-sig sign` with the engine `--engine` names.
///
/// # Errors
/// [`CliError`] for unreadable or malformed inputs, a key that does not match the
/// certificate, and a refused signature.
pub fn run(args: &SignArgs) -> Result<Outcome, CliError> {
    // clap requires --cert-uuid for `sign`; an empty one is refused here.
    let cert_uuid = args.keys.cert_uuid.as_deref().unwrap_or_default().trim();
    if cert_uuid.is_empty() {
        return Err(CliError::Usage(
            "--cert-uuid must not be empty: give the Barbican secret id of the certificate"
                .to_owned(),
        ));
    }
    match args.engine.engine {
        EngineKind::Native => run_with(&mut Native, args, cert_uuid),
        EngineKind::Component => run_with(
            &mut ComponentEngine::locate(args.engine.component.as_deref())?,
            args,
            cert_uuid,
        ),
    }
}

/// `sign` with the scheme work done by `engine`.
fn run_with<E: Engine>(
    engine: &mut E,
    args: &SignArgs,
    cert_uuid: &str,
) -> Result<Outcome, CliError> {
    let keys = &args.keys;
    let key = inputs::private_key(engine, &keys.key, keys.passphrase_file.as_deref())?;
    if let Some(cert_path) = &keys.cert {
        let cert = inputs::certificate(engine, cert_path)?;
        let facts = engine.facts(&cert)?;
        if !engine.key_matches(&key, &cert)? {
            return Err(CliError::KeyMismatch {
                key: keys.key.display().to_string(),
                cert: cert_path.display().to_string(),
                cert_key: facts.key,
            });
        }
        let now = time(None)?;
        if now > facts.not_after {
            eprintln!(
                "glance-sig: warning: the certificate expired at {}; Glance still accepts the signature, Nova with trusted certificates refuses it",
                rfc3339(facts.not_after)
            );
        }
    }
    let props = engine
        .sign(
            &key,
            keys.hash_method,
            cert_uuid,
            &mut ImageFile::new(&args.image),
        )?
        .map_err(CliError::Sign)?;
    render::json(&props.to_json());
    Ok(Outcome::Success)
}
