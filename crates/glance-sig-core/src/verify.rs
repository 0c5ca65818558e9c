//! Streaming verifier: the checks cursive makes, in cursive's order, with a verdict that
//! says what was found.

use crate::hasher::ImageHasher;
use crate::note::Note;
use crate::properties::{HashMethod, KeyType, SignatureProperties};
use crate::public_key::{
    pss_max_salt_len, verify_dsa_der, verify_ecdsa_der, verify_rsa_pss_any_salt, PublicKey,
};
use crate::rejection::Rejection;
use crate::report::{PssReport, SignatureSection};

/// The outcome of checking an image signature as cursive does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureVerdict {
    /// What was found, as the report shows it: whether cursive (Glance, Nova, Cinder) accepts
    /// the signature, the key type and hash method when they parsed, the certificate id, and
    /// the RSA-PSS details.
    pub signature: SignatureSection,
    /// Why it is refused.
    pub rejection: Option<Rejection>,
    /// Remarks that do not change the verdict.
    pub warnings: Vec<Note>,
}

impl SignatureVerdict {
    /// Whether a second pass over the data could say why this verdict is a refusal.
    pub fn explainable(&self) -> bool {
        !self.signature.valid
            && self
                .rejection
                .as_ref()
                .is_some_and(Rejection::is_explainable)
    }

    /// A verdict for properties refused before any data was read (as Glance answers at once).
    pub fn rejected(props: &SignatureProperties, rejection: Rejection) -> Self {
        Self {
            signature: SignatureSection {
                valid: false,
                key_type: props
                    .key_type
                    .as_deref()
                    .and_then(|k| KeyType::parse(k).ok()),
                hash_method: props
                    .hash_method
                    .as_deref()
                    .and_then(|h| HashMethod::parse(h).ok()),
                certificate_uuid: props.certificate_uuid.clone(),
                pss: None,
            },
            rejection: Some(rejection),
            warnings: Vec::new(),
        }
    }
}

/// Verifies image data fed in chunks of any size, in constant memory.
pub struct Verifier {
    key_type: KeyType,
    signature: Vec<u8>,
    key: PublicKey,
    hasher: ImageHasher,
    certificate_uuid: Option<String>,
    warnings: Vec<Note>,
}

impl Verifier {
    /// Checks the properties against the certificate's key as cursive's `get_verifier` does,
    /// in its order: all four present, base64, hash method, key type, key class, non-empty.
    ///
    /// # Errors
    /// The [`Rejection`] cursive would raise before reading any data.
    pub fn new(props: &SignatureProperties, key: &PublicKey) -> Result<Self, Rejection> {
        // cursive's dict order, and its name for the certificate id.
        for (value, name, cursive_name) in [
            (
                &props.certificate_uuid,
                crate::IMG_SIGNATURE_CERTIFICATE_UUID,
                "img_signature_uuid",
            ),
            (
                &props.hash_method,
                crate::IMG_SIGNATURE_HASH_METHOD,
                crate::IMG_SIGNATURE_HASH_METHOD,
            ),
            (&props.signature, crate::IMG_SIGNATURE, crate::IMG_SIGNATURE),
            (
                &props.key_type,
                crate::IMG_SIGNATURE_KEY_TYPE,
                crate::IMG_SIGNATURE_KEY_TYPE,
            ),
        ] {
            if value.is_none() {
                return Err(Rejection::MissingProperty { name, cursive_name });
            }
        }
        let text = props.signature.as_deref().unwrap_or_default();
        let signature = crate::base64::decode_lenient(text).map_err(Rejection::InvalidBase64)?;
        let hash = HashMethod::parse(props.hash_method.as_deref().unwrap_or_default())
            .map_err(Rejection::Property)?;
        let key_type = KeyType::parse(props.key_type.as_deref().unwrap_or_default())
            .map_err(Rejection::Property)?;
        if key.class() != Some(key_type.key_class()) {
            return Err(Rejection::PublicKeyTypeMismatch {
                key_type,
                found: key.describe().to_string(),
                found_class: key.class(),
            });
        }
        if signature.is_empty() {
            return Err(Rejection::EmptySignature);
        }
        let mut warnings = Vec::new();
        if let PublicKey::Ec(ec) = key {
            if ec.key_type() != Some(key_type) {
                warnings.push(Note::new("certificate-curve-differs", format!(
                        "the key type names {key_type} but the certificate's key is on {}; cursive checks only that it is an EC key, so clouds accept it, but the label is wrong",
                        ec.curve_name()
                    ),
                ));
            }
        }
        if !crate::base64::is_canonical(text) {
            warnings.push(Note::new("non-canonical-base64", "img_signature holds characters outside the base64 alphabet (line breaks, spaces) or data after the padding; cursive skips them, stricter tools may not"));
        }
        Ok(Self {
            key_type,
            signature,
            key: key.clone(),
            hasher: ImageHasher::new(hash),
            certificate_uuid: props.certificate_uuid.clone(),
            warnings,
        })
    }

    /// Feeds the next chunk of image data.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
    }

    /// The verdict over everything fed.
    pub fn finish(self) -> SignatureVerdict {
        let digest = self.hasher.finalize();
        let hash = digest.method();
        let d = digest.as_bytes();
        let mut warnings = self.warnings;
        let (valid, pss) = match &self.key {
            PublicKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                if self.signature.len() < k.size() {
                    warnings.push(Note::new("rsa-signature-short", format!(
                        "the RSA signature is {} bytes, shorter than the key's {}-byte modulus (its leading zero bytes were dropped); OpenSSL and cursive read it as the same number and accept it, stricter verifiers may not; glance-sig sign writes the full length",
                        self.signature.len(),
                        k.size()
                    )));
                }
                let max = pss_max_salt_len(k, hash);
                let salt = verify_rsa_pss_any_salt(k, hash, d, &self.signature);
                if let Some(s) = salt.filter(|&s| s != max) {
                    warnings.push(Note::new("pss-salt-not-maximum", format!(
                            "the RSA-PSS salt is {s} bytes, not the maximum {max}: clouds on cryptography 42 or later accept it, older ones (cryptography <= 41) refuse it; re-sign with glance-sig for the maximum salt"
                        ),
                    ));
                }
                (
                    salt.is_some(),
                    Some(PssReport {
                        salt_length: salt,
                        max_salt_length: max,
                        accepted_by_older_clouds: salt == Some(max),
                    }),
                )
            }
            PublicKey::Ec(k) => (verify_ecdsa_der(k, d, &self.signature), None),
            PublicKey::Dsa(k) => (verify_dsa_der(k, d, &self.signature), None),
            PublicKey::Other { .. } => (false, None),
        };
        SignatureVerdict {
            signature: SignatureSection {
                valid,
                key_type: Some(self.key_type),
                hash_method: Some(hash),
                certificate_uuid: self.certificate_uuid,
                pss,
            },
            rejection: (!valid).then_some(Rejection::SignatureMismatch),
            warnings,
        }
    }
}
