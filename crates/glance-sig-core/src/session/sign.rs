//! A signing session: a key (or any [`DigestSigner`]), the certificate, the hash and a time
//! in; the image data fed in chunks; the four properties and the notes out.

use rand_core::CryptoRngCore;

use crate::certificate::Certificate;
use crate::error::SignError;
use crate::hasher::{ImageDigest, ImageHasher};
use crate::normalize::{normalize, sign_checked, CheckedSignature};
use crate::note::Note;
use crate::policy;
use crate::properties::{HashMethod, KeyType, SignatureProperties};
use crate::public_key::PublicKey;
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
    /// Remarks: the certificate's dates as Nova judges them, and what was done to the
    /// signer's signature (a raw ECDSA signature made DER, a salt that older clouds refuse).
    pub notes: Vec<Note>,
    /// RSA-PSS: the salt length of the signature (the maximum, for a local key).
    pub pss_salt_length: Option<usize>,
}

/// The certificate's key, for a session signed outside: it has no private half here.
struct OutsideKey {
    public: PublicKey,
    key_type: KeyType,
}

impl DigestSigner for OutsideKey {
    fn key_type(&self) -> KeyType {
        self.key_type
    }
    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }
    fn sign_digest(
        &self,
        _: &ImageDigest,
        _: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, SignError> {
        Err(SignError::Signer {
            detail: "this session is signed outside: sign its digest and call finish_with"
                .to_owned(),
        })
    }
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
        let mut notes = crate::weakness::of_signature(&signer.public_key(), hash);
        if let Some(cert) = certificate {
            notes.extend(crate::weakness::of_chain([cert]));
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

    /// A session whose signature is made outside it, by a token or a KMS holding the key of
    /// `certificate`: feed the data, sign [`SigningSession::digest`] there, and give the
    /// signature to [`SigningSession::finish_with`].
    ///
    /// # Errors
    /// [`SignError::NoCertificateId`]; [`SignError::NoKeyType`] for a certificate whose key
    /// cannot sign Glance images.
    pub fn outside(
        certificate: &Certificate,
        hash: HashMethod,
        certificate_uuid: &str,
        at: i64,
    ) -> Result<SigningSession<'static>, SignError> {
        let public = certificate.public_key().clone();
        let Some(key_type) = public.key_type() else {
            return Err(SignError::NoKeyType {
                key: public.describe().to_string(),
            });
        };
        SigningSession::new(
            OutsideKey { public, key_type },
            Some(certificate),
            hash,
            certificate_uuid,
            at,
        )
    }

    /// Remarks known before any data (shown before a long signing pass).
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// Feeds the next chunk of image data.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
    }

    /// The digest of everything fed, for a signer that works apart from the session (a
    /// component host's token or KMS): give its signature to [`SigningSession::finish_with`].
    pub fn digest(&self) -> ImageDigest {
        self.hasher.clone().finalize()
    }

    /// Signs everything fed, then normalizes and verifies the signature before making the
    /// properties. Randomness (PSS salt, blinding, nonces) comes from `rng`.
    ///
    /// # Errors
    /// [`SignError::Crypto`] when the primitive refuses (an RSA key too small for the hash);
    /// [`SignError::Signer`] when a token or command fails; [`SignError::InvalidSignature`]
    /// when what it returns does not verify.
    pub fn finish(self, rng: &mut dyn CryptoRngCore) -> Result<Signed, SignError> {
        let digest = self.hasher.clone().finalize();
        let checked = sign_checked(&*self.signer, &digest, rng)?;
        Ok(self.signed(&digest, checked))
    }

    /// Finishes with `signature`, made over [`SigningSession::digest`] by a signer outside
    /// the session, normalized and verified as [`SigningSession::finish`] does.
    ///
    /// # Errors
    /// [`SignError::InvalidSignature`].
    pub fn finish_with(self, signature: Vec<u8>) -> Result<Signed, SignError> {
        let digest = self.hasher.clone().finalize();
        let checked = normalize(&self.signer.public_key(), &digest, signature)?;
        Ok(self.signed(&digest, checked))
    }

    fn signed(self, digest: &ImageDigest, checked: CheckedSignature) -> Signed {
        let mut notes = self.notes;
        notes.extend(checked.notes);
        Signed {
            properties: SignatureProperties {
                signature: Some(crate::base64::encode(&checked.bytes)),
                hash_method: Some(digest.method().name().to_owned()),
                key_type: Some(self.signer.key_type().name().to_owned()),
                certificate_uuid: Some(self.certificate_uuid),
            },
            notes,
            pss_salt_length: checked.pss_salt_length,
        }
    }
}
