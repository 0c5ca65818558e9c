//! What a signer hands back, made into what cursive verifies, and checked before anything is
//! emitted.
//!
//! A local key signs exactly as cursive verifies. A token or a KMS may not: an HSM's
//! `CKM_ECDSA` and Azure Key Vault return raw `r||s` (cursive wants DER); AWS KMS, Google
//! Cloud KMS and Vault sign RSA-PSS with a digest-length salt (clouds on cryptography <= 41
//! accept only the maximum); a signer that strips leading zero bytes returns an RSA signature
//! shorter than the modulus. Every signature, a local key's too, passes through
//! [`sign_checked`], so no door emits properties that do not verify under the key.

use rand_core::CryptoRngCore;

use crate::error::SignError;
use crate::hasher::ImageDigest;
use crate::note::Note;
use crate::public_key::{
    pss_max_salt_len, raw_to_der, rsa_signature_bytes, verify_dsa_der, verify_ecdsa_der,
    verify_rsa_pss_any_salt, PublicKey,
};
use crate::signer::DigestSigner;

/// A signature in the form cursive verifies, already verified over the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSignature {
    /// The bytes `img_signature` carries (base64-encoded there).
    pub bytes: Vec<u8>,
    /// RSA-PSS: the salt length the signer used (the maximum, for a local key).
    pub pss_salt_length: Option<usize>,
    /// What was changed, and what some clouds would refuse.
    pub notes: Vec<Note>,
}

/// Signs `digest` with `signer`, normalizes what it returns, and verifies the result under
/// the signer's public key (the certificate's, once the session has matched them).
///
/// # Errors
/// What the signer returns; [`SignError::InvalidSignature`] when its signature cannot be made
/// into one that verifies.
pub fn sign_checked(
    signer: &dyn DigestSigner,
    digest: &ImageDigest,
    rng: &mut dyn CryptoRngCore,
) -> Result<CheckedSignature, SignError> {
    let raw = signer.sign_digest(digest, rng)?;
    normalize(&signer.public_key(), digest, raw)
}

/// Makes `raw`, a signature over `digest` by the holder of `key`, into the form cursive
/// verifies, and verifies it.
///
/// # Errors
/// [`SignError::InvalidSignature`], saying what was wrong with it.
pub fn normalize(
    key: &PublicKey,
    digest: &ImageDigest,
    raw: Vec<u8>,
) -> Result<CheckedSignature, SignError> {
    let hash = digest.method();
    let d = digest.as_bytes();
    let invalid = |detail: String| SignError::InvalidSignature { detail };
    if raw.is_empty() {
        return Err(invalid("the signer returned no bytes".to_owned()));
    }
    match key {
        PublicKey::Rsa(k) => {
            use rsa::traits::PublicKeyParts;
            let size = k.size();
            let mut notes = Vec::new();
            // The length rule verification uses (public_key.rs): shorter is the same number
            // with its leading zeros dropped, and is padded back; longer is no signature.
            let Some(padded) = rsa_signature_bytes(k, &raw) else {
                return Err(invalid(format!(
                    "{} bytes, longer than the key's {size}-byte modulus: it is not an RSA signature by this key",
                    raw.len()
                )));
            };
            if raw.len() < size {
                notes.push(Note::new(
                    "signature-left-padded",
                    format!("the signer returned {} bytes for a {size}-byte modulus (leading zero bytes dropped); padded back to {size}, as OpenSSL does", raw.len()),
                ));
            }
            let bytes = padded.into_owned();
            let max = pss_max_salt_len(k, hash);
            let Some(salt) = verify_rsa_pss_any_salt(k, hash, d, &bytes) else {
                return Err(invalid(format!(
                    "it is not an RSA-PSS signature (MGF1 over {hash}) of the {hash} digest under the certificate's key; the signer must sign the digest with RSASSA-PSS and {hash}, not PKCS#1 v1.5 and not another hash"
                )));
            };
            if salt != max {
                notes.push(Note::new(
                    "pss-salt-not-maximum",
                    format!("the signer used a {salt}-byte RSA-PSS salt, not the maximum {max}: clouds on cryptography 42 or later accept it, older ones (cryptography <= 41) refuse it; configure the signer for the maximum salt length where it can be (KMS services use the digest length)"),
                ));
            }
            Ok(CheckedSignature {
                bytes,
                pss_salt_length: Some(salt),
                notes,
            })
        }
        PublicKey::Ec(ec) => {
            let verifies = |sig: &[u8]| verify_ecdsa_der(ec, d, sig);
            let (bytes, notes) = der_or_raw(key, raw, verifies, ec.curve_name())?;
            Ok(CheckedSignature {
                bytes,
                pss_salt_length: None,
                notes,
            })
        }
        PublicKey::Dsa(k) => {
            let (bytes, notes) = der_or_raw(key, raw, |sig| verify_dsa_der(k, d, sig), "DSA")?;
            Ok(CheckedSignature {
                bytes,
                pss_salt_length: None,
                notes,
            })
        }
        PublicKey::Other { .. } => Err(invalid(format!(
            "the key ({}) cannot sign Glance images",
            key.describe()
        ))),
    }
}

/// A DER signature as it is, or raw `r||s` (PKCS#11, JWS, WebCrypto) converted to DER.
fn der_or_raw(
    key: &PublicKey,
    raw: Vec<u8>,
    verifies: impl Fn(&[u8]) -> bool,
    what: &str,
) -> Result<(Vec<u8>, Vec<Note>), SignError> {
    if verifies(&raw) {
        return Ok((raw, Vec::new()));
    }
    if let Some(der) = raw_to_der(key, &raw).filter(|der| verifies(der)) {
        let note = Note::new(
            "signature-converted-to-der",
            format!("the signer returned a raw r||s {what} signature ({} bytes); converted to the DER form cursive requires", raw.len()),
        );
        return Ok((der, vec![note]));
    }
    Err(SignError::InvalidSignature {
        detail: format!(
            "{} bytes that verify under the certificate's key neither as a DER {what} signature nor as raw r||s; the signer must sign the digest itself (not hash it again) with the certificate's key",
            raw.len()
        ),
    })
}
