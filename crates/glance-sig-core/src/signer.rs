//! What signs an image digest. Local keys implement it; a token (PKCS#11) or an external
//! signer can, too, without the sessions knowing the difference.

use der::Encode;
use rand_core::CryptoRngCore;
use rsa::traits::PublicKeyParts;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use signature::hazmat::RandomizedPrehashSigner;

use crate::error::SignError;
use crate::hasher::ImageDigest;
use crate::private_key::PrivateKey;
use crate::properties::{HashMethod, KeyType};
use crate::public_key::{ecdsa_prehash, pss_max_salt_len, PublicKey};

/// Signs an image digest the way cursive verifies it: RSA-PSS with MGF1 over the same hash
/// and the maximum salt length, ECDSA and DSA as DER.
pub trait DigestSigner {
    /// The key type its signatures carry.
    fn key_type(&self) -> KeyType;
    /// Its public half (to check it against the certificate).
    fn public_key(&self) -> PublicKey;
    /// The raw signature over `digest`.
    ///
    /// # Errors
    /// [`SignError::Crypto`] when the primitive refuses.
    fn sign_digest(
        &self,
        digest: &ImageDigest,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, SignError>;
}

impl DigestSigner for PrivateKey {
    fn key_type(&self) -> KeyType {
        PrivateKey::key_type(self)
    }

    fn public_key(&self) -> PublicKey {
        PrivateKey::public_key(self)
    }

    fn sign_digest(
        &self,
        digest: &ImageDigest,
        mut rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, SignError> {
        let hash = digest.method();
        let d = digest.as_bytes();
        let fail = |e: &dyn std::fmt::Display| SignError::Crypto {
            detail: e.to_string(),
        };
        match self {
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
                k.sign_with_rng(&mut rng, scheme, d).map_err(|e| fail(&e))
            }
            PrivateKey::P384(k) => {
                let sig: p384::ecdsa::Signature = k
                    .sign_prehash_with_rng(&mut rng, &ecdsa_prehash(d, 48))
                    .map_err(|e| fail(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::P521(k) => {
                let sig: p521::ecdsa::Signature = k
                    .sign_prehash_with_rng(&mut rng, &ecdsa_prehash(d, 66))
                    .map_err(|e| fail(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::Dsa(k) => {
                let sig = k.sign_prehash_with_rng(&mut rng, d).map_err(|e| fail(&e))?;
                sig.to_der().map_err(|e| fail(&e))
            }
        }
    }
}

/// A borrowed signer signs as its owner does (a session need not own the key).
impl<S: DigestSigner + ?Sized> DigestSigner for &S {
    fn key_type(&self) -> KeyType {
        (**self).key_type()
    }

    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn sign_digest(
        &self,
        digest: &ImageDigest,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, SignError> {
        (**self).sign_digest(digest, rng)
    }
}
