//! Who does the scheme work: the native core ([`native`]), or the WebAssembly component under
//! wasmtime ([`wasm`]).
//!
//! An [`Engine`] parses the inputs it is given as bytes (properties, certificates, keys: the
//! component parses inside wasm) and runs the scheme over image data it reads from an
//! [`ImageSource`], chunk by chunk. It opens no file and knows no command: the commands read
//! files, prompt, pick the engine, keep the clock and render, so both engines print the same
//! bytes and exit with the same codes, and the same engine verifies a local file and a Glance
//! download.

pub mod native;
pub mod wasm;

use glance_sig_core::{ChainVerdict, Diagnosis, HashMethod, SignatureProperties, SignatureVerdict};

use crate::error::CliError;
use crate::io::image::ImageSource;

/// What a command needs to know about a certificate besides handing it back to the engine.
#[derive(Debug, Clone)]
pub struct CertFacts {
    /// Subject, RFC 4514.
    pub subject: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// "a 2048-bit RSA key".
    pub key: String,
}

/// The scheme work of `sign` and `verify`. Parse errors come back as the core's message
/// (`Ok(Err(_))`: the caller adds the file name); [`CliError`]s are failures of the engine or
/// of reading the image.
pub trait Engine {
    /// A parsed certificate.
    type Cert;
    /// A parsed private key.
    type Key;

    /// The image properties from a JSON document.
    fn properties(&mut self, json: &[u8]) -> Result<Result<SignatureProperties, String>, CliError>;
    /// The first certificate in PEM or DER bytes.
    fn certificate(&mut self, bytes: &[u8]) -> Result<Result<Self::Cert, String>, CliError>;
    /// Every certificate in PEM or DER bytes.
    fn certificates(&mut self, bytes: &[u8]) -> Result<Result<Vec<Self::Cert>, String>, CliError>;
    /// Subject, dates and key of a certificate.
    fn facts(&mut self, cert: &Self::Cert) -> Result<CertFacts, CliError>;
    /// A private key, decrypted with `passphrase` when given.
    fn private_key(
        &mut self,
        bytes: &[u8],
        passphrase: Option<&[u8]>,
    ) -> Result<Result<Self::Key, String>, CliError>;
    /// Whether the certificate holds the key's public half.
    fn key_matches(&mut self, key: &Self::Key, cert: &Self::Cert) -> Result<bool, CliError>;
    /// Signs the image (one pass over `image`); `Ok(Err(_))` when the signing primitive
    /// refuses.
    fn sign(
        &mut self,
        key: &Self::Key,
        hash: HashMethod,
        cert_uuid: &str,
        image: &mut dyn ImageSource,
    ) -> Result<Result<SignatureProperties, String>, CliError>;
    /// Checks the properties and, unless they are refused outright (then `image` is not
    /// opened), the image data.
    fn verify(
        &mut self,
        props: &SignatureProperties,
        cert: &Self::Cert,
        image: &mut dyn ImageSource,
    ) -> Result<SignatureVerdict, CliError>;
    /// The second pass after a failure (`image` is opened only when the data can tell more).
    fn explain(
        &mut self,
        props: &SignatureProperties,
        cert: &Self::Cert,
        image: &mut dyn ImageSource,
    ) -> Result<Vec<Diagnosis>, CliError>;
    /// Nova-style chain validation at `at` (Unix seconds).
    fn chain(
        &mut self,
        cert: &Self::Cert,
        trusted: &[Self::Cert],
        at: i64,
    ) -> Result<ChainVerdict, CliError>;
}
