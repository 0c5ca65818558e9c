//! OpenStack image signatures, exactly as cursive, Glance and Nova check them.
//!
//! An image is signed by four properties: `img_signature` (base64), `img_signature_hash_method`,
//! `img_signature_key_type` and `img_signature_certificate_uuid` (a Barbican secret holding
//! the X.509 certificate). This crate signs and verifies image data streamed in chunks, reads
//! keys and certificates, validates certificate chains as Nova does, and explains failures.
//!
//! It does no I/O, reads no clock and draws no randomness of its own: callers hand it bytes,
//! the time and an RNG, so the same code runs in the CLI, in a WASI component and in a browser.
//!
//! ```
//! use glance_sig_core::{HashMethod, PrivateKey, Signer, Verifier, SignatureProperties};
//! # let key_pem = include_bytes!("../tests/data/p384-key.pem");
//! let key = PrivateKey::from_bytes(key_pem, None)?;
//! let mut signer = Signer::new(&key, HashMethod::Sha384);
//! signer.update(b"image data, in chunks of any size");
//! let props = signer.finish_properties(&mut rand_chacha::ChaCha20Rng::seed_from_u64(1), "cert-uuid")?;
//!
//! let mut verifier = Verifier::new(&props, &key.public_key()).expect("properties are good");
//! verifier.update(b"image data, in chunks of any size");
//! assert!(verifier.finish().signature.valid);
//! # use rand_chacha::rand_core::SeedableRng;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod base64;
mod error;
mod note;
pub mod policy;
mod properties;
mod rejection;
pub mod report;
pub mod time;

pub use error::{Base64Error, CertificateError, KeyError, SignError};
pub use note::Note;
pub use properties::{
    HashMethod, KeyClass, KeyType, PropertyError, SignatureProperties, SigningState, IMG_SIGNATURE,
    IMG_SIGNATURE_CERTIFICATE_UUID, IMG_SIGNATURE_HASH_METHOD, IMG_SIGNATURE_KEY_TYPE,
    MAX_PROPERTY_VALUE_LEN, REMOVED_BINARY_CURVE_KEY_TYPES, SIGNATURE_PROPERTY_NAMES,
};
pub use rejection::{GlanceRefusal, Rejection};
pub use report::{PssReport, Report, SkippedTrust};

// Everything that touches keys, certificates or digests is the default feature `crypto`.
// Without it (the portal's page) the crate is the scheme's vocabulary, its advice and the
// report's shape.
#[cfg(feature = "crypto")]
mod certificate;
#[cfg(feature = "crypto")]
mod chain;
#[cfg(feature = "crypto")]
mod ec_params;
#[cfg(feature = "crypto")]
mod explain;
#[cfg(feature = "crypto")]
mod hasher;
#[cfg(feature = "crypto")]
mod identity;
#[cfg(feature = "crypto")]
mod normalize;
#[cfg(feature = "crypto")]
mod oid;
#[cfg(feature = "crypto")]
mod pem;
#[cfg(feature = "crypto")]
mod private_key;
#[cfg(feature = "crypto")]
mod public_key;
#[cfg(feature = "crypto")]
pub mod session;
#[cfg(feature = "crypto")]
mod sign;
#[cfg(feature = "crypto")]
mod signer;
#[cfg(feature = "crypto")]
mod verify;
#[cfg(feature = "crypto")]
pub mod weakness;

#[cfg(feature = "crypto")]
pub use certificate::{Certificate, CertificateInfo, Constraints, Validity};
#[cfg(feature = "crypto")]
pub use chain::{validate_chain_like_nova, ChainError, ChainVerdict, UnusableIssuer};
#[cfg(feature = "crypto")]
pub use explain::{Diagnosis, Explainer};
#[cfg(feature = "crypto")]
pub use hasher::{AllDigestsHasher, ImageDigest, ImageHasher};
#[cfg(feature = "crypto")]
pub use identity::{test_identity, TEST_ORGANIZATION};
#[cfg(feature = "crypto")]
pub use normalize::{normalize, CheckedSignature};
#[cfg(feature = "crypto")]
pub use private_key::{is_encrypted, PrivateKey, MAX_RSA_SIGN_BITS};
#[cfg(feature = "crypto")]
pub use public_key::{
    locate_pss_salt_len, pss_max_salt_len, verify_dsa_der, verify_ecdsa_der,
    verify_rsa_pss_any_salt, EcPublicKey, KeyDescription, PublicKey,
};
#[cfg(feature = "crypto")]
pub use session::{Pass, Signed, SigningSession, VerificationSession};
#[cfg(feature = "crypto")]
pub use sign::Signer;
#[cfg(feature = "crypto")]
pub use signer::DigestSigner;
#[cfg(feature = "crypto")]
pub use verify::{SignatureVerdict, Verifier};
