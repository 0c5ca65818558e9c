//! `glance-sig sign`.

use glance_sig_core::Signer;
use rand_core::OsRng;

use crate::cli::SignArgs;
use crate::exit::{CliError, Outcome};
use crate::{input, render};

pub fn run(args: &SignArgs) -> Result<Outcome, CliError> {
    if args.cert_uuid.trim().is_empty() {
        return Err(CliError::Usage(
            "--cert-uuid must not be empty: give the Barbican secret id of the certificate"
                .to_owned(),
        ));
    }
    let key = input::private_key(&args.key, args.passphrase_file.as_deref())?;
    if let Some(cert_path) = &args.cert {
        let cert = input::certificate(cert_path)?;
        if !key.matches(cert.public_key()) {
            return Err(CliError::KeyMismatch {
                key: args.key.display().to_string(),
                cert: cert_path.display().to_string(),
                cert_key: cert.public_key().describe().to_string(),
            });
        }
        let now = input::time(None)?;
        if now > cert.not_after() {
            eprintln!(
                "glance-sig: warning: the certificate expired at {}; Glance still accepts the signature, Nova with trusted certificates refuses it",
                input::rfc3339(cert.not_after())
            );
        }
    }
    let mut signer = Signer::new(&key, args.hash_method);
    input::stream_image(&args.image, "signing", |chunk| signer.update(chunk))?;
    let props = signer.finish_properties(&mut OsRng, args.cert_uuid.trim())?;
    render::json(&props.to_json());
    Ok(Outcome::Success)
}
