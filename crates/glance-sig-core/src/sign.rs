//! Streaming signer: hash the image in chunks, then sign the digest as cursive verifies it.

use std::borrow::Cow;

use der::Encode;
use rand_core::CryptoRngCore;
use rsa::traits::PublicKeyParts;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use signature::hazmat::RandomizedPrehashSigner;

use crate::error::SignError;
use crate::hasher::ImageHasher;
use crate::private_key::PrivateKey;
use crate::properties::{HashMethod, SignatureProperties};
use crate::public_key::{ecdsa_prehash, pss_max_salt_len};

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
    pub fn finish(self, rng: &mut impl CryptoRngCore) -> Result<Vec<u8>, SignError> {
        let digest = self.hasher.finalize();
        let hash = digest.method();
        let d = digest.as_bytes();
        let fail = |e: &dyn std::fmt::Display| SignError::Crypto {
            detail: e.to_string(),
        };
        match self.key.as_ref() {
            PrivateKey::Rsa(k) => {
                let salt = pss_max_salt_len(&k.to_public_key(), hash);
                let scheme = match hash {
                    HashMethod::Sha224 => rsa::Pss::new_blinded_with_salt::<Sha224>(salt),
                    HashMethod::Sha256 => rsa::Pss::new_blinded_with_salt::<Sha256>(salt),
                    HashMethod::Sha384 => rsa::Pss::new_blinded_with_salt::<Sha384>(salt),
                    HashMethod::Sha512 => rsa::Pss::new_blinded_with_salt::<Sha512>(salt),
                };
                if k.size() < hash.output_len() + 2 {
                    return Err(fail(&"the RSA key is too small for this hash"));
                }
                k.sign_with_rng(rng, scheme, d).map_err(|e| fail(&e))
            }
            PrivateKey::P384(k) => {
                let sig: p384::ecdsa::Signature = k
                    .sign_prehash_with_rng(rng, &ecdsa_prehash(d, 48))
                    .map_err(|e| fail(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::P521(k) => {
                let sig: p521::ecdsa::Signature = k
                    .sign_prehash_with_rng(rng, &ecdsa_prehash(d, 66))
                    .map_err(|e| fail(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::Dsa(k) => {
                let sig = k.sign_prehash_with_rng(rng, d).map_err(|e| fail(&e))?;
                sig.to_der().map_err(|e| fail(&e))
            }
        }
    }

    /// The four properties for an image whose certificate is stored under
    /// `certificate_uuid`.
    ///
    /// # Errors
    /// As [`Signer::finish`].
    pub fn finish_properties(
        self,
        rng: &mut impl CryptoRngCore,
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
