//! The core, in this process.

use glance_sig_core::{
    validate_chain_like_nova, Certificate, ChainVerdict, Diagnosis, Explainer, HashMethod,
    PrivateKey, SignatureProperties, SignatureVerdict, Signer, Verifier,
};
use rand_core::OsRng;

use crate::engine::{CertFacts, Engine};
use crate::error::CliError;
use crate::io::image::ImageSource;

/// The core, compiled into this binary.
#[derive(Debug, Clone, Copy, Default)]
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
        image: &mut dyn ImageSource,
    ) -> Result<Result<SignatureProperties, String>, CliError> {
        let mut signer = Signer::new(key, hash);
        image.open("signing")?.feed(|chunk| signer.update(chunk))?;
        Ok(signer
            .finish_properties(&mut OsRng, cert_uuid)
            .map_err(|e| e.to_string()))
    }

    fn verify(
        &mut self,
        props: &SignatureProperties,
        cert: &Certificate,
        image: &mut dyn ImageSource,
    ) -> Result<SignatureVerdict, CliError> {
        Ok(match Verifier::new(props, cert.public_key()) {
            Ok(mut v) => {
                image.open("verifying")?.feed(|chunk| v.update(chunk))?;
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
        image: &mut dyn ImageSource,
    ) -> Result<Vec<Diagnosis>, CliError> {
        Ok(match Explainer::new(props, cert.public_key()) {
            Some(mut ex) => {
                image.open("explaining")?.feed(|chunk| ex.update(chunk))?;
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
