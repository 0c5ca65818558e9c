//! A signing session: a key (or any [`DigestSigner`]), the certificate, the hash and a time
//! in; the image data fed in chunks; the four properties and the notes out.

use rand_core::CryptoRngCore;

use crate::certificate::Certificate;
use crate::error::SignError;
use crate::hasher::ImageHasher;
use crate::note::Note;
use crate::policy;
use crate::properties::{HashMethod, SignatureProperties};
use crate::signer::DigestSigner;

/// Signs an image so that clouds verify it, after checking what can be checked before the
/// first byte: the key against the certificate, and the certificate's dates.
pub struct SigningSession<'s> {
    signer: Box<dyn DigestSigner + 's>,
    hasher: ImageHasher,
    certificate_uuid: String,
    notes: Vec<Note>,
}

/// What a signing session made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The four properties to set, all in the image's create request.
    pub properties: SignatureProperties,
    /// Remarks (the certificate's dates as Nova judges them).
    pub notes: Vec<Note>,
}

impl<'s> SigningSession<'s> {
    /// A session signing with `signer` under `hash`, for the certificate Barbican holds as
    /// `certificate_uuid`. With `certificate`, the key must be its key, and its dates at `at`
    /// (Unix seconds) give a note when Nova would refuse them.
    ///
    /// # Errors
    /// [`SignError::NoCertificateId`] for an empty id; [`SignError::KeyMismatch`] when the
    /// key is not the certificate's.
    pub fn new(
        signer: impl DigestSigner + 's,
        certificate: Option<&Certificate>,
        hash: HashMethod,
        certificate_uuid: &str,
        at: i64,
    ) -> Result<Self, SignError> {
        let certificate_uuid = certificate_uuid.trim();
        if certificate_uuid.is_empty() {
            return Err(SignError::NoCertificateId);
        }
        let mut notes = Vec::new();
        if let Some(cert) = certificate {
            let public = signer.public_key();
            if !public.same_key(cert.public_key()) {
                return Err(SignError::KeyMismatch {
                    key: public.describe().to_string(),
                    certificate_key: cert.public_key().describe().to_string(),
                });
            }
            notes.extend(policy::certificate_dates(
                cert.not_before(),
                cert.not_after(),
                at,
            ));
        }
        Ok(Self {
            signer: Box::new(signer),
            hasher: ImageHasher::new(hash),
            certificate_uuid: certificate_uuid.to_owned(),
            notes,
        })
    }

    /// Remarks known before any data (shown before a long signing pass).
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// Feeds the next chunk of image data.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
    }

    /// Signs everything fed. Randomness (PSS salt, blinding, nonces) comes from `rng`.
    ///
    /// # Errors
    /// [`SignError::Crypto`] when the primitive refuses (an RSA key too small for the hash).
    pub fn finish(self, mut rng: &mut dyn CryptoRngCore) -> Result<Signed, SignError> {
        let digest = self.hasher.finalize();
        let signature = self.signer.sign_digest(&digest, &mut rng)?;
        Ok(Signed {
            properties: SignatureProperties {
                signature: Some(crate::base64::encode(&signature)),
                hash_method: Some(digest.method().name().to_owned()),
                key_type: Some(self.signer.key_type().name().to_owned()),
                certificate_uuid: Some(self.certificate_uuid),
            },
            notes: self.notes,
        })
    }
}
