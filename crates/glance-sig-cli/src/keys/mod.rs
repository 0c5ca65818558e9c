//! Who signs: a key file (the engine parses it), a key in a PKCS#11 token or HSM ([`pkcs11`],
//! named by an RFC 7512 URI, [`uri`]), or an external command in front of a KMS
//! ([`command`]). The last two sign outside the engine: the engine hashes the image, they
//! sign the digest, and the engine's signing session normalizes and verifies what they return
//! before any property is made.

pub mod command;
pub mod pkcs11;
pub mod uri;

use std::path::Path;
use std::time::Duration;

use glance_sig_core::{Certificate, HashMethod, PublicKey};

use self::command::CommandSigner;
use self::pkcs11::{KeyObject, Token};
use self::uri::Pkcs11Uri;
use crate::args::common::KeyArgs;
use crate::error::CliError;
use crate::io::files::read_small;

/// What `--key` or `--signer-command` names.
pub enum KeySource<'a> {
    /// A key file.
    File(&'a Path),
    /// A key on a token.
    Pkcs11(Box<Pkcs11Uri>),
    /// An external signer.
    Command(&'a str),
}

/// A `pkcs11:` URI given where a path is expected (`--key`, `--cert`).
fn as_uri(what: &str, path: &Path) -> Result<Option<Pkcs11Uri>, CliError> {
    let Some(text) = path.to_str().filter(|t| Pkcs11Uri::is_uri(t)) else {
        return Ok(None);
    };
    Pkcs11Uri::parse(text)
        .map(Some)
        .map_err(|e| CliError::Usage(format!("{what}: not a usable PKCS#11 URI: {e}")))
}

impl<'a> KeySource<'a> {
    /// The signer the flags name.
    ///
    /// # Errors
    /// [`CliError::Usage`] for a malformed `pkcs11:` URI, or neither flag.
    pub fn of(keys: &'a KeyArgs) -> Result<Self, CliError> {
        match (&keys.key, &keys.signer_command) {
            (Some(path), _) => Ok(match as_uri("--key", path)? {
                Some(uri) => Self::Pkcs11(Box::new(uri)),
                None => Self::File(path),
            }),
            (None, Some(cmd)) => Ok(Self::Command(cmd)),
            (None, None) => Err(CliError::Usage(
                "give the signing key: --key FILE, --key 'pkcs11:…', or --signer-command CMD"
                    .to_owned(),
            )),
        }
    }

    /// How messages name it (a URI without its PIN).
    pub fn describe(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Pkcs11(uri) => uri.display(),
            Self::Command(cmd) => command::describe(cmd),
        }
    }
}

/// A signer outside the engine, opened.
pub enum Outside {
    /// A key on a logged-in token.
    Token {
        /// The token.
        token: Box<Token>,
        /// The key.
        key: KeyObject,
    },
    /// An external command.
    Command(CommandSigner),
}

impl Outside {
    /// Opens the signer `source` names; `None` for a key file (the engine reads it).
    ///
    /// # Errors
    /// [`CliError::Signer`]: the token's module, PIN or key object.
    pub fn open(source: &KeySource<'_>, keys: &KeyArgs) -> Result<Option<Self>, CliError> {
        Ok(match source {
            KeySource::File(_) => None,
            KeySource::Pkcs11(uri) => {
                let token = Token::open(uri, keys.pkcs11_module.as_deref(), true)?;
                let key = token.private_key()?;
                Some(Self::Token {
                    token: Box::new(token),
                    key,
                })
            }
            KeySource::Command(cmd) => Some(Self::Command(CommandSigner::new(
                cmd,
                Duration::from_secs(keys.signer_timeout),
            ))),
        })
    }

    /// The key's public half, when the signer tells it (a token does; a command does not).
    pub fn public_key(&self) -> Option<&PublicKey> {
        match self {
            Self::Token { key, .. } => Some(key.public_key()),
            Self::Command(_) => None,
        }
    }

    /// Signs `digest`, made with `hash`, by the key of `certificate_key`.
    ///
    /// # Errors
    /// [`CliError::Signer`].
    pub fn sign(
        &self,
        digest: &[u8],
        hash: HashMethod,
        certificate_key: &PublicKey,
    ) -> Result<Vec<u8>, CliError> {
        match self {
            Self::Token { token, key } => token.sign(key, digest, hash),
            Self::Command(cmd) => cmd.sign(digest, hash, certificate_key),
        }
    }

    /// Refuses a token key that is not `certificate`'s before any data is read (a command's
    /// key is known only from its signature, which the session verifies).
    ///
    /// # Errors
    /// [`CliError::KeyMismatch`].
    pub fn check_matches(
        &self,
        key: &str,
        certificate: &Certificate,
        place: &str,
    ) -> Result<(), CliError> {
        check_key(self.public_key(), certificate, key, place)
    }

    /// The certificate when `--cert` is not given: the token's, under the key's label or id.
    ///
    /// # Errors
    /// [`CliError::Signer`] for several.
    pub fn own_certificate(&self) -> Result<Option<(Vec<u8>, String)>, CliError> {
        match self {
            Self::Token { token, .. } => Ok(token.certificate()?.map(|der| {
                (
                    der,
                    format!("the certificate on the token ({})", token.uri().display()),
                )
            })),
            Self::Command(_) => Ok(None),
        }
    }
}

/// `--cert`'s bytes and how messages name it: a file, or a certificate on a token (read
/// without logging in: certificates are public objects).
///
/// # Errors
/// [`CliError::Read`], [`CliError::Usage`], [`CliError::Signer`].
pub fn certificate_bytes(cert: &Path, keys: &KeyArgs) -> Result<(Vec<u8>, String), CliError> {
    match as_uri("--cert", cert)? {
        None => Ok((read_small("certificate", cert)?, cert.display().to_string())),
        Some(uri) => {
            let token = Token::open(&uri, keys.pkcs11_module.as_deref(), false)?;
            let der = token.certificate()?.ok_or_else(|| CliError::Signer {
                signer: uri.display(),
                detail: "no certificate on the token matches".to_owned(),
                fix: Some("name the certificate by its label (object=) or id (id=%XX); pkcs11-tool --list-objects --type cert lists them".to_owned()),
            })?;
            Ok((der, uri.display()))
        }
    }
}

/// Refuses `key` (named `key_name`) when it is not `certificate`'s (from `place`), before any
/// data is read; `None` (a signer command's key) passes: the session verifies its signature.
///
/// # Errors
/// [`CliError::KeyMismatch`].
pub fn check_key(
    key: Option<&PublicKey>,
    certificate: &Certificate,
    key_name: &str,
    place: &str,
) -> Result<(), CliError> {
    let Some(key) = key.filter(|k| !k.same_key(certificate.public_key())) else {
        return Ok(());
    };
    Err(CliError::KeyMismatch {
        key: key_name.to_owned(),
        cert: place.to_owned(),
        detail: glance_sig_core::SignError::KeyMismatch {
            key: key.describe().to_string(),
            certificate_key: certificate.public_key().describe().to_string(),
        }
        .to_string(),
    })
}
