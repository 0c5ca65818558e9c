//! Who does the scheme work: the native core, or the WebAssembly component under wasmtime.
//!
//! `sign` and `verify` are written once against [`Engine`]; reading files, prompting, the
//! clock and rendering stay in the commands, so both engines print the same bytes and exit
//! with the same codes.

use std::path::{Path, PathBuf};

use glance_sig_core::{
    validate_chain_like_nova, Certificate, ChainVerdict, Diagnosis, Explainer, HashMethod,
    PrivateKey, SignatureProperties, SignatureVerdict, Signer, Verifier,
};
use rand_core::OsRng;

use crate::cli::{EngineArgs, EngineKind};
use crate::component::ComponentEngine;
use crate::exit::CliError;
use crate::input;

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
/// (the caller adds the file name); [`CliError`]s are failures of the engine or of reading
/// the image.
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
    /// Signs the image; `Ok(Err(_))` when the signing primitive refuses.
    fn sign(
        &mut self,
        key: &Self::Key,
        hash: HashMethod,
        cert_uuid: &str,
        image: &Path,
    ) -> Result<Result<SignatureProperties, String>, CliError>;
    /// Checks the properties and, unless they are refused outright, the image data.
    fn verify(
        &mut self,
        props: &SignatureProperties,
        cert: &Self::Cert,
        image: &Path,
    ) -> Result<SignatureVerdict, CliError>;
    /// The second pass after a failure.
    fn explain(
        &mut self,
        props: &SignatureProperties,
        cert: &Self::Cert,
        image: &Path,
    ) -> Result<Vec<Diagnosis>, CliError>;
    /// Nova-style chain validation at `at` (Unix seconds).
    fn chain(
        &mut self,
        cert: &Self::Cert,
        trusted: &[Self::Cert],
        at: i64,
    ) -> Result<ChainVerdict, CliError>;
}

/// Runs `f` with the engine the arguments ask for.
pub fn with_engine<T>(
    args: &EngineArgs,
    f: impl FnOnce(&mut dyn EngineRunner) -> T,
) -> Result<T, CliError> {
    match args.engine {
        EngineKind::Native => Ok(f(&mut Native)),
        EngineKind::Component => {
            let mut engine = ComponentEngine::load(&component_path(args.component.as_deref())?)?;
            Ok(f(&mut engine))
        }
    }
}

/// Object-safe entry points, so commands need no generics at their call sites.
pub trait EngineRunner {
    /// `glance-sig sign`.
    fn sign(&mut self, args: &crate::cli::SignArgs) -> Result<crate::exit::Outcome, CliError>;
    /// `glance-sig verify`.
    fn verify(&mut self, args: &crate::cli::VerifyArgs) -> Result<crate::exit::Outcome, CliError>;
}

impl<E: Engine> EngineRunner for E {
    fn sign(&mut self, args: &crate::cli::SignArgs) -> Result<crate::exit::Outcome, CliError> {
        crate::sign::run_with(self, args)
    }

    fn verify(&mut self, args: &crate::cli::VerifyArgs) -> Result<crate::exit::Outcome, CliError> {
        crate::verify::run_with(self, args)
    }
}

/// Where the component is: `--component` / `GLANCE_SIG_COMPONENT`, else the output of
/// `scripts/component/build.sh` under the current directory, else next to this executable
/// (`target/release/glance-sig` finds `target/component/`).
pub fn component_path(given: Option<&Path>) -> Result<PathBuf, CliError> {
    let tried = match given {
        Some(p) => vec![p.to_owned()],
        None => {
            let mut tried = vec![Path::new("target").join(COMPONENT_REL)];
            if let Some(dir) = std::env::current_exe()
                .ok()
                .as_deref()
                .and_then(Path::parent)
            {
                tried.push(dir.join(COMPONENT_FILE));
                tried.push(dir.join("..").join(COMPONENT_REL));
            }
            tried
        }
    };
    match tried.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(CliError::ComponentMissing {
            tried: tried.iter().map(|p| p.display().to_string()).collect(),
        }),
    }
}

/// The file `scripts/component/build.sh` writes.
pub const COMPONENT_FILE: &str = "glance_sig_component.wasm";
const COMPONENT_REL: &str = "component/glance_sig_component.wasm";

/// The core, in this process.
pub struct Native;

impl Engine for Native {
    type Cert = Certificate;
    type Key = PrivateKey;

    fn properties(&mut self, json: &[u8]) -> Result<Result<SignatureProperties, String>, CliError> {
        Ok(SignatureProperties::from_json(json).map_err(|e| e.to_string()))
    }

    fn certificate(&mut self, bytes: &[u8]) -> Result<Result<Certificate, String>, CliError> {
        Ok(Certificate::from_pem_or_der(bytes).map_err(|e| e.to_string()))
    }

    fn certificates(&mut self, bytes: &[u8]) -> Result<Result<Vec<Certificate>, String>, CliError> {
        Ok(Certificate::all_from_pem_or_der(bytes).map_err(|e| e.to_string()))
    }

    fn facts(&mut self, cert: &Certificate) -> Result<CertFacts, CliError> {
        Ok(CertFacts {
            subject: cert.subject(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            key: cert.public_key().describe().to_string(),
        })
    }

    fn private_key(
        &mut self,
        bytes: &[u8],
        passphrase: Option<&[u8]>,
    ) -> Result<Result<PrivateKey, String>, CliError> {
        Ok(PrivateKey::from_bytes(bytes, passphrase).map_err(|e| e.to_string()))
    }

    fn key_matches(&mut self, key: &PrivateKey, cert: &Certificate) -> Result<bool, CliError> {
        Ok(key.matches(cert.public_key()))
    }

    fn sign(
        &mut self,
        key: &PrivateKey,
        hash: HashMethod,
        cert_uuid: &str,
        image: &Path,
    ) -> Result<Result<SignatureProperties, String>, CliError> {
        let mut signer = Signer::new(key, hash);
        input::stream_image(image, "signing", |chunk| signer.update(chunk))?;
        Ok(signer
            .finish_properties(&mut OsRng, cert_uuid)
            .map_err(|e| e.to_string()))
    }

    fn verify(
        &mut self,
        props: &SignatureProperties,
        cert: &Certificate,
        image: &Path,
    ) -> Result<SignatureVerdict, CliError> {
        Ok(match Verifier::new(props, cert.public_key()) {
            Ok(mut v) => {
                input::stream_image(image, "verifying", |chunk| v.update(chunk))?;
                v.finish()
            }
            // Refused before any data is read, as Glance answers at once.
            Err(r) => SignatureVerdict::rejected(props, r),
        })
    }

    fn explain(
        &mut self,
        props: &SignatureProperties,
        cert: &Certificate,
        image: &Path,
    ) -> Result<Vec<Diagnosis>, CliError> {
        Ok(match Explainer::new(props, cert.public_key()) {
            Some(mut ex) => {
                input::stream_image(image, "explaining", |chunk| ex.update(chunk))?;
                ex.finish()
            }
            None => Vec::new(),
        })
    }

    fn chain(
        &mut self,
        cert: &Certificate,
        trusted: &[Certificate],
        at: i64,
    ) -> Result<ChainVerdict, CliError> {
        Ok(validate_chain_like_nova(cert, trusted, at))
    }
}
