//! The inputs an engine parses: the file read here, the bytes parsed by the engine, its
//! message given the file's name.

use std::path::{Path, PathBuf};

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
    let bytes = read_small("certificate", path)?;
    engine
        .certificate(&bytes)?
        .map_err(|e| malformed("certificate", path, e, None))
}

/// Every certificate in each file.
///
/// # Errors
/// [`CliError::Read`], [`CliError::Malformed`].
pub fn trusted<E: Engine>(engine: &mut E, paths: &[PathBuf]) -> Result<Vec<E::Cert>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let bytes = read_small("trusted certificate", p)?;
        out.extend(
            engine
                .certificates(&bytes)?
                .map_err(|e| malformed("trusted certificate", p, e, None))?,
        );
    }
    Ok(out)
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
        .private_key(&bytes, passphrase.as_deref())?
        .map_err(|e| malformed("private key", path, e, None))
}
