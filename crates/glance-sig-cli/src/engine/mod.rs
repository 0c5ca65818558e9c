//! Who does the scheme work: the native core ([`native`]), or the WebAssembly component under
//! wasmtime ([`wasm`]).
//!
//! An [`Engine`] parses the inputs it is given as bytes (properties, certificates, keys: the
//! component parses inside wasm) and runs the core's two sessions over image data it reads
//! from an [`ImageSource`], chunk by chunk: a verification session for as many passes as it
//! asks for, a signing session for one. It opens no file and knows no command: the commands
//! read files, prompt, pick the engine, keep the clock and render the [`Report`], so both
//! engines print the same bytes and exit with the same codes, and the same engine verifies a
//! local file and a Glance download.

pub mod native;
pub mod wasm;

/// Evaluates `$body` with `$engine` bound to `&mut` the engine an
/// [`EngineArgs`](crate::args::common::EngineArgs) names (`--engine`, `--component`). A macro
/// because the body is generic over [`Engine`], which a closure cannot be.
#[macro_export]
macro_rules! with_engine {
    ($args:expr, |$engine:ident| $body:expr) => {
        match $args.engine {
            $crate::args::common::EngineKind::Native => {
                let $engine = &mut $crate::engine::native::Native;
                $body
            }
            $crate::args::common::EngineKind::Component => {
                let $engine = &mut $crate::engine::wasm::host::ComponentEngine::locate(
                    $args.component.as_deref(),
                )?;
                $body
            }
        }
    };
}

use glance_sig_core::{HashMethod, Note, Report, SignatureProperties};

use crate::error::CliError;
use crate::io::image::ImageSource;

/// What a verification is about.
pub struct VerifyRequest<'a, C> {
    /// The four properties, as stored.
    pub properties: SignatureProperties,
    /// The certificate the image names; `None` when there is none to be had.
    pub certificate: Option<&'a C>,
    /// The trusted certificates; empty: authenticity is not established.
    pub anchors: &'a [C],
    /// The time for the certificate checks, Unix seconds.
    pub at: i64,
    /// Whether a failure worth explaining gets its second pass.
    pub explain: bool,
}

/// Signs a digest outside the engine (a PKCS#11 token, an external command for a KMS).
pub type OutsideSigner<'a> = &'a mut dyn FnMut(&[u8]) -> Result<Vec<u8>, CliError>;

/// Who signs: a key the engine parsed, or a signer outside it that gets the digest.
pub enum SigningKey<'a, K> {
    /// A key file, parsed by the engine.
    Parsed(&'a K),
    /// A token or a KMS: the engine hashes, this signs the digest, and the engine makes the
    /// signature into what cursive verifies and verifies it under the certificate's key,
    /// which the request must give.
    Outside(OutsideSigner<'a>),
}

/// What a signing is about.
pub struct SignRequest<'a, K, C> {
    /// Who signs.
    pub key: SigningKey<'a, K>,
    /// The certificate the key must match (its dates give notes), when given; required for
    /// an outside signer.
    pub certificate: Option<&'a C>,
    /// The hash.
    pub hash: HashMethod,
    /// `img_signature_certificate_uuid`.
    pub certificate_uuid: &'a str,
    /// Now, Unix seconds.
    pub at: i64,
}

/// What a signing made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOutcome {
    /// The four properties.
    pub properties: SignatureProperties,
    /// Remarks made after the data (what was done to a signer's signature), beyond the ones
    /// told before it.
    pub notes: Vec<Note>,
    /// RSA-PSS: the salt length of the signature.
    pub pss_salt_length: Option<usize>,
}

/// Why a signing session refused, in the core's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignRefusal {
    /// The key is not the certificate's.
    KeyMismatch(String),
    /// No certificate id.
    NoCertificateId(String),
    /// An outside signer and no certificate to verify its signature with.
    NoCertificate,
    /// The primitive refused.
    Failed(String),
    /// An outside signer's signature does not verify, or the certificate's key cannot sign
    /// Glance images.
    Unusable(String),
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
    /// A private key, decrypted with `passphrase` when given.
    fn private_key(
        &mut self,
        bytes: &[u8],
        passphrase: Option<&[u8]>,
    ) -> Result<Result<Self::Key, String>, CliError>;
    /// A verification session fed from `image` for every pass it wants (none when the
    /// properties are refused outright: `image` is then not opened).
    fn verify(
        &mut self,
        request: VerifyRequest<'_, Self::Cert>,
        image: &mut dyn ImageSource,
    ) -> Result<Report, CliError>;
    /// A signing session: its checks, `notes` told what is known before the data, then one
    /// pass over `image`. `Ok(Err(_))` when the session refuses.
    fn sign(
        &mut self,
        request: SignRequest<'_, Self::Key, Self::Cert>,
        notes: &mut dyn FnMut(&Note),
        image: &mut dyn ImageSource,
    ) -> Result<Result<SignOutcome, SignRefusal>, CliError>;
}
