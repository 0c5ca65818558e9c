//! `glance-sig sign`.

use crate::cli::SignArgs;
use crate::engine::{self, Engine};
use crate::exit::{CliError, Outcome};
use crate::{input, render};

pub fn run(args: &SignArgs) -> Result<Outcome, CliError> {
    if args.cert_uuid.trim().is_empty() {
        return Err(CliError::Usage(
            "--cert-uuid must not be empty: give the Barbican secret id of the certificate"
                .to_owned(),
        ));
    }
    engine::with_engine(&args.engine, |e| e.sign(args))?
}

/// `sign` with the scheme work done by `engine`.
pub fn run_with<E: Engine>(engine: &mut E, args: &SignArgs) -> Result<Outcome, CliError> {
    let (key_bytes, passphrase) =
        input::private_key_material(&args.key, args.passphrase_file.as_deref())?;
    let key = engine
        .private_key(&key_bytes, passphrase.as_deref())?
        .map_err(|e| input::malformed("private key", &args.key, e, None))?;
    if let Some(cert_path) = &args.cert {
        let cert = input::certificate(engine, cert_path)?;
        let facts = engine.facts(&cert)?;
        if !engine.key_matches(&key, &cert)? {
            return Err(CliError::KeyMismatch {
                key: args.key.display().to_string(),
                cert: cert_path.display().to_string(),
                cert_key: facts.key,
            });
        }
        let now = input::time(None)?;
        if now > facts.not_after {
            eprintln!(
                "glance-sig: warning: the certificate expired at {}; Glance still accepts the signature, Nova with trusted certificates refuses it",
                input::rfc3339(facts.not_after)
            );
        }
    }
    let props = engine
        .sign(&key, args.hash_method, args.cert_uuid.trim(), &args.image)?
        .map_err(CliError::Sign)?;
    render::json(&props.to_json());
    Ok(Outcome::Success)
}
