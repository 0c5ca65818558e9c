//! `glance-sig sign`.

use std::path::Path;

use glance_sig_core::{Certificate, HashMethod};

use crate::args::SignArgs;
use crate::commands::inputs;
use crate::engine::{Engine, SignOutcome, SignRefusal, SignRequest, SigningKey};
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::files::malformed;
use crate::io::image::ImageFile;
use crate::io::time::time;
use crate::keys::{self, KeySource, Outside};
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
    let source = KeySource::of(keys)?;
    let outside = Outside::open(&source, keys)?;
    let cert_input = match (&keys.cert, &outside) {
        (Some(path), _) => Some(keys::certificate_bytes(path, keys)?),
        (None, Some(signer)) => signer.own_certificate()?,
        (None, None) => None,
    };
    let parsed_key = match &source {
        KeySource::File(path) => Some(inputs::private_key(
            engine,
            path,
            keys.passphrase_file.as_deref(),
        )?),
        _ => None,
    };
    let cert = match &cert_input {
        Some((bytes, place)) => Some(inputs::certificate_from(engine, bytes, place)?),
        None => None,
    };
    let outside = match outside {
        Some(signer) => Some(prepare_outside(signer, &source, cert_input.as_ref())?),
        None => None,
    };
    let mut sign_digest = |digest: &[u8]| outside_sign(outside.as_ref(), digest, keys.hash_method);
    let key = match &parsed_key {
        Some(key) => SigningKey::Parsed(key),
        None => SigningKey::Outside(&mut sign_digest),
    };
    let request = SignRequest {
        key,
        certificate: cert.as_ref(),
        hash: keys.hash_method,
        certificate_uuid: cert_uuid,
        at: time(None)?,
    };
    let signed = engine.sign(
        request,
        &mut |note| render::err_line(&format!("glance-sig: warning: {}", note.message)),
        &mut ImageFile::new(&args.image),
    )?;
    let cert_place = cert_input.as_ref().map(|(_, place)| place.as_str());
    let signed = signed.map_err(|refusal| refused(refusal, &source.describe(), cert_place))?;
    told(
        &signed,
        outside.is_some().then(|| source.describe()).as_deref(),
    );
    render::json(&signed.properties.to_json());
    Ok(Outcome::Success)
}

/// An outside signer with the certificate its signature is checked under, the key matched
/// against it first.
pub struct PreparedOutside {
    signer: Outside,
    certificate: Certificate,
}

/// Checks an outside signer against its certificate, natively: the token's key must be the
/// certificate's, and a command needs the certificate's key for its parameters.
///
/// # Errors
/// [`CliError::Usage`] without a certificate; [`CliError::KeyMismatch`];
/// [`CliError::Malformed`].
pub fn prepare_outside(
    signer: Outside,
    source: &KeySource<'_>,
    cert: Option<&(Vec<u8>, String)>,
) -> Result<PreparedOutside, CliError> {
    let Some((bytes, place)) = cert else {
        return Err(CliError::Usage(format!(
            "{} signs outside glance-sig, so its signature is verified under the certificate before anything is made: give the certificate with --cert (a file, or the pkcs11: URI of the certificate on the token)",
            source.describe()
        )));
    };
    let certificate = Certificate::from_pem_or_der(bytes)
        .map_err(|e| malformed("certificate", Path::new(place), e, None))?;
    signer.check_matches(&source.describe(), &certificate, place)?;
    Ok(PreparedOutside::new(signer, certificate))
}

impl PreparedOutside {
    /// `signer`, whose signatures are checked under `certificate` (already matched).
    pub fn new(signer: Outside, certificate: Certificate) -> Self {
        Self {
            signer,
            certificate,
        }
    }
}

/// Signs a digest with the prepared outside signer.
///
/// # Errors
/// [`CliError::Signer`].
pub fn outside_sign(
    outside: Option<&PreparedOutside>,
    digest: &[u8],
    hash: HashMethod,
) -> Result<Vec<u8>, CliError> {
    match outside {
        Some(o) => o.signer.sign(digest, hash, o.certificate.public_key()),
        None => Err(CliError::Sign("no signer outside the engine".to_owned())),
    }
}

/// Says what the session did after the data: what was done to an outside signer's signature,
/// its salt, and who signed.
pub fn told(signed: &SignOutcome, outside: Option<&str>) {
    for note in &signed.notes {
        let kind = if note.code == "pss-salt-not-maximum" {
            "warning"
        } else {
            "note"
        };
        render::err_line(&format!("glance-sig: {kind}: {}", note.message));
    }
    if let Some(who) = outside {
        let salt = signed
            .pss_salt_length
            .map(|s| format!(", RSA-PSS salt {s} bytes"))
            .unwrap_or_default();
        render::err_line(&format!(
            "glance-sig: signed by {who}{salt}; the signature verifies under the certificate's key"
        ));
    }
}

/// A signing session's refusal as the error `sign` and `upload` end with.
pub fn refused(refusal: SignRefusal, key: &str, cert: Option<&str>) -> CliError {
    match refusal {
        SignRefusal::KeyMismatch(detail) => CliError::KeyMismatch {
            key: key.to_owned(),
            cert: cert.unwrap_or_default().to_owned(),
            detail,
        },
        SignRefusal::NoCertificateId(detail) => CliError::Usage(detail),
        SignRefusal::NoCertificate => CliError::Usage(format!(
            "{key} signs outside glance-sig: give the certificate with --cert"
        )),
        SignRefusal::Failed(detail) => CliError::Sign(detail),
        SignRefusal::Unusable(detail) => CliError::Signer {
            signer: key.to_owned(),
            detail,
            fix: Some("check that the signer holds the certificate's key and signs the raw digest with the hash --hash-method names (docs/signers.md)".to_owned()),
        },
    }
}
