//! The inputs an engine parses: the file read here, the bytes parsed by the engine, its
//! message given the file's name.

use std::path::Path;

use glance_sig_core::SignatureProperties;

use crate::engine::Engine;
use crate::error::CliError;
use crate::io::files::{malformed, private_key_material, read_small};

/// The image properties file.
///
/// # Errors
/// [`CliError::Read`], [`CliError::Malformed`].
pub fn properties<E: Engine>(engine: &mut E, path: &Path) -> Result<SignatureProperties, CliError> {
    let bytes = read_small("properties file", path)?;
    engine.properties(&bytes)?.map_err(|e| {
        malformed(
            "properties file",
            path,
            e,
            Some("give a JSON object of image properties, or the output of `openstack image show -f json IMAGE`".to_owned()),
        )
    })
}

/// A certificate (the first one in a bundle).
///
/// # Errors
/// [`CliError::Read`], [`CliError::Malformed`].
pub fn certificate<E: Engine>(engine: &mut E, path: &Path) -> Result<E::Cert, CliError> {
    certificate_from(
        engine,
        &read_small("certificate", path)?,
        &path.display().to_string(),
    )
}

/// A certificate already read, from `place` (a file, a token, a Barbican secret).
///
/// # Errors
/// [`CliError::Malformed`].
pub fn certificate_from<E: Engine>(
    engine: &mut E,
    bytes: &[u8],
    place: &str,
) -> Result<E::Cert, CliError> {
    engine
        .certificate(bytes)?
        .map_err(|e| malformed("certificate", Path::new(place), e, None))
}

/// Reads a Barbican secret's certificate bytes by id.
pub type SecretReader<'a> = &'a mut dyn FnMut(&str) -> Result<Vec<u8>, CliError>;

/// The trust anchors: each a file (every certificate in it), or a Barbican secret id read with
/// `barbican` (for `verify --image-id`; `None` elsewhere).
///
/// # Errors
/// [`CliError::Read`], [`CliError::Malformed`]; [`CliError::Usage`] for a secret id without a
/// cloud; what `barbican` returns.
pub fn trusted<E: Engine>(
    engine: &mut E,
    anchors: &[String],
    mut barbican: Option<SecretReader<'_>>,
) -> Result<Vec<E::Cert>, CliError> {
    let mut out = Vec::new();
    for anchor in anchors.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        let path = Path::new(anchor);
        let (bytes, what) = if !path.exists() && is_secret_id(anchor) {
            match barbican.as_deref_mut() {
                Some(read) => (read(anchor)?, format!("Barbican secret {anchor}")),
                None => {
                    return Err(CliError::Usage(format!(
                        "--trusted {anchor}: a Barbican secret id needs a cloud (verify --image-id); give the certificate as a file here"
                    )))
                }
            }
        } else {
            (read_small("trusted certificate", path)?, anchor.to_owned())
        };
        out.extend(
            engine
                .certificates(&bytes)?
                .map_err(|e| malformed("trusted certificate", Path::new(&what), e, None))?,
        );
    }
    Ok(out)
}

/// A Barbican secret id: a UUID.
fn is_secret_id(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A private key, asking for its passphrase on a terminal when needed and none was given.
///
/// # Errors
/// [`CliError::Read`], [`CliError::Malformed`] (also for a wrong passphrase).
pub fn private_key<E: Engine>(
    engine: &mut E,
    path: &Path,
    passphrase_file: Option<&Path>,
) -> Result<E::Key, CliError> {
    let (bytes, passphrase) = private_key_material(path, passphrase_file)?;
    engine
        .private_key(&bytes, passphrase.as_deref().map(Vec::as_slice))?
        .map_err(|e| malformed("private key", path, e, None))
}
