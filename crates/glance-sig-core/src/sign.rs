//! Streaming signer: hash the image in chunks, then sign the digest as cursive verifies it.

use std::borrow::Cow;

use rand_core::CryptoRngCore;

use crate::error::SignError;
use crate::hasher::ImageHasher;
use crate::private_key::PrivateKey;
use crate::properties::{HashMethod, SignatureProperties};

/// Signs image data fed in chunks of any size, in constant memory.
///
/// RSA keys sign RSA-PSS with MGF1 over the same hash and the maximum salt length, which
/// every cloud accepts (those on cryptography <= 41 accept nothing else). ECDSA and DSA
/// signatures are DER, as cryptography expects.
pub struct Signer<'k> {
    key: Cow<'k, PrivateKey>,
    hasher: ImageHasher,
}

impl<'k> Signer<'k> {
    /// A signer for `key` hashing with `hash`.
    pub fn new(key: &'k PrivateKey, hash: HashMethod) -> Self {
        Self {
            key: Cow::Borrowed(key),
            hasher: ImageHasher::new(hash),
        }
    }

    /// Feeds the next chunk of image data.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
    }

    /// The raw signature over everything fed. Randomness (PSS salt, blinding, DSA/ECDSA
    /// nonces) comes from `rng`.
    ///
    /// # Errors
    /// [`SignError::Crypto`] when the primitive refuses (e.g. an RSA key too small for the
    /// hash).
    pub fn finish(self, rng: &mut dyn CryptoRngCore) -> Result<Vec<u8>, SignError> {
        let digest = self.hasher.finalize();
        Ok(crate::normalize::sign_checked(&*self.key, &digest, rng)?.bytes)
    }

    /// The four properties for an image whose certificate is stored under
    /// `certificate_uuid`.
    ///
    /// # Errors
    /// As [`Signer::finish`].
    pub fn finish_properties(
        self,
        rng: &mut dyn CryptoRngCore,
        certificate_uuid: &str,
    ) -> Result<SignatureProperties, SignError> {
        let key_type = self.key.key_type();
        let hash = self.hasher.method();
        let signature = self.finish(rng)?;
        Ok(SignatureProperties {
            signature: Some(crate::base64::encode(&signature)),
            hash_method: Some(hash.name().to_owned()),
            key_type: Some(key_type.name().to_owned()),
            certificate_uuid: Some(certificate_uuid.to_owned()),
        })
    }
}

impl Signer<'static> {
    /// A signer that owns its key, for holders that outlive the caller's borrow (a WASI
    /// component's `signer` resource).
    pub fn owning(key: PrivateKey, hash: HashMethod) -> Self {
        Self {
            key: Cow::Owned(key),
            hasher: ImageHasher::new(hash),
        }
    }
}
