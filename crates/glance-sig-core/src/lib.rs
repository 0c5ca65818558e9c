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
//! assert!(verifier.finish().valid);
//! # use rand_chacha::rand_core::SeedableRng;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod base64;
mod certificate;
mod chain;
mod error;
mod explain;
mod hasher;
mod identity;
mod note;
mod oid;
mod pem;
mod private_key;
mod properties;
mod public_key;
pub mod policy;
pub mod report;
pub mod session;
mod sign;
mod signer;
pub mod time;
mod verify;

pub use certificate::{Certificate, CertificateInfo, Constraints, Validity};
pub use chain::{validate_chain_like_nova, ChainError, ChainVerdict, SkippedTrust};
pub use error::{Base64Error, CertificateError, KeyError, Rejection, SignError};
pub use explain::{Diagnosis, Explainer};
pub use hasher::{AllDigestsHasher, ImageDigest, ImageHasher};
pub use private_key::{is_encrypted, PrivateKey, MAX_RSA_SIGN_BITS};
pub use properties::{
    HashMethod, KeyClass, KeyType, PropertyError, SignatureProperties, SigningState, IMG_SIGNATURE,
    IMG_SIGNATURE_CERTIFICATE_UUID, IMG_SIGNATURE_HASH_METHOD, IMG_SIGNATURE_KEY_TYPE,
    MAX_PROPERTY_VALUE_LEN, REMOVED_BINARY_CURVE_KEY_TYPES, SIGNATURE_PROPERTY_NAMES,
};
pub use public_key::{
    locate_pss_salt_len, pss_max_salt_len, verify_dsa_der, verify_ecdsa_der,
    verify_rsa_pss_any_salt, EcPublicKey, KeyDescription, PublicKey,
};
pub use sign::Signer;
pub use identity::{test_identity, TEST_ORGANIZATION};
pub use note::Note;
pub use report::Report;
pub use session::{Pass, Signed, SigningSession, VerificationSession};
pub use signer::DigestSigner;
pub use verify::{PssReport, SignatureVerdict, Verifier};
