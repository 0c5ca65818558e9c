//! cursive's wording, both ways: why cursive (and so Glance, Nova and Cinder) refuses a
//! signature, in its words and ours ([`Rejection`]); and Glance's refusal message read back
//! into a typed reason ([`GlanceRefusal`]), so every door explains a refused upload alike.

use thiserror::Error;

use crate::error::Base64Error;
use crate::properties::{KeyClass, KeyType, PropertyError};

/// Why cursive (and so Glance, Nova and Cinder) would refuse the signature.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rejection {
    /// One of the four properties is absent.
    #[error("Required image properties for signature verification do not exist. Cannot verify signature. Missing property: {cursive_name}")]
    MissingProperty {
        /// Our name for it.
        name: &'static str,
        /// The name cursive prints (`img_signature_uuid` for the certificate id).
        cursive_name: &'static str,
    },
    /// `img_signature` is not base64.
    #[error("The signature data was not properly encoded using base64 ({0})")]
    InvalidBase64(Base64Error),
    /// Bad `img_signature_hash_method` or `img_signature_key_type`.
    #[error("{0}")]
    Property(PropertyError),
    /// The certificate's key class differs from the key type.
    #[error("Invalid public key type for signature key type: {key_type} (the certificate holds {found})")]
    PublicKeyTypeMismatch {
        /// The key type named.
        key_type: KeyType,
        /// What the certificate holds.
        found: String,
        /// The key class found, if it is one of the three.
        found_class: Option<KeyClass>,
    },
    /// `img_signature` decodes to nothing.
    #[error("Error occurred while creating the verifier (img_signature is empty)")]
    EmptySignature,
    /// An EC certificate on a curve this implementation cannot verify (cursive might).
    #[error("the certificate's EC key is on {curve}, which glance-sig cannot verify")]
    UnsupportedCurve {
        /// The curve.
        curve: String,
    },
    /// The signature does not verify with the certificate's key over this data.
    #[error("Signature verification failed: the signature does not match the data and the certificate's public key")]
    SignatureMismatch,
}

impl Rejection {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MissingProperty { .. } => "missing-property",
            Rejection::InvalidBase64(_) => "invalid-base64",
            Rejection::Property(PropertyError::InvalidHashMethod { .. }) => "invalid-hash-method",
            Rejection::Property(PropertyError::BinaryCurveRemoved { .. }) => "binary-curve-removed",
            Rejection::Property(_) => "invalid-key-type",
            Rejection::PublicKeyTypeMismatch { .. } => "public-key-type-mismatch",
            Rejection::EmptySignature => "empty-signature",
            Rejection::UnsupportedCurve { .. } => "unsupported-curve",
            Rejection::SignatureMismatch => "signature-mismatch",
        }
    }

    /// What cursive itself says, as Glance reports it.
    pub fn cursive_message(&self) -> String {
        let reason = match self {
            Rejection::MissingProperty { cursive_name, .. } => format!(
                "Required image properties for signature verification do not exist. Cannot \
                 verify signature. Missing property: {cursive_name}"
            ),
            // Python refuses non-ASCII text with a ValueError that cursive does not catch.
            Rejection::InvalidBase64(Base64Error::NotAscii { .. }) => {
                return "(no message: cursive raises ValueError \"string argument should contain only ASCII characters\" decoding img_signature, which Glance and Nova do not catch)".to_owned()
            }
            Rejection::InvalidBase64(_) => {
                "The signature data was not properly encoded using base64".to_owned()
            }
            Rejection::Property(PropertyError::InvalidHashMethod { value, .. }) => {
                format!("Invalid signature hash method: {value}")
            }
            Rejection::Property(
                PropertyError::InvalidKeyType { value, .. }
                | PropertyError::BinaryCurveRemoved { value },
            ) => format!("Invalid signature key type: {value}"),
            Rejection::Property(other) => other.to_string(),
            Rejection::PublicKeyTypeMismatch { key_type, .. } => {
                format!("Invalid public key type for signature key type: {key_type}")
            }
            Rejection::EmptySignature => "Error occurred while creating the verifier".to_owned(),
            Rejection::UnsupportedCurve { .. } | Rejection::SignatureMismatch => {
                return "Signature verification failed".to_owned()
            }
        };
        format!("Signature verification for the image failed: {reason}.")
    }

    /// Whether a second pass over the data ([`crate::Explainer`]) can say more: the
    /// signature was read, and either it does not match or a property value is wrong.
    pub fn is_explainable(&self) -> bool {
        matches!(
            self,
            Rejection::SignatureMismatch
                | Rejection::Property(_)
                | Rejection::PublicKeyTypeMismatch { .. }
        )
    }

    /// How to fix it, in one sentence, knowing only the refusal (a report prefers the fix of
    /// the cause the explanation pass found: [`crate::Diagnosis::fix`]).
    pub fn fix(&self) -> String {
        match self {
            Rejection::MissingProperty { name, .. } => format!(
                "set {name}: Glance verifies only when all four img_signature* properties are \
                 present, and Nova refuses to boot partially signed images"
            ),
            Rejection::InvalidBase64(_) => {
                "store base64 of the raw signature bytes, padded (glance-sig sign prints it)".to_owned()
            }
            Rejection::Property(PropertyError::InvalidHashMethod { .. }) => {
                "use exactly SHA-224, SHA-256, SHA-384 or SHA-512 (case-sensitive)".to_owned()
            }
            Rejection::Property(PropertyError::BinaryCurveRemoved { .. }) => {
                "re-sign with a P-384 or P-521 key (ECC_SECP384R1 / ECC_SECP521R1)".to_owned()
            }
            Rejection::Property(_) => {
                "use exactly RSA-PSS, DSA, ECC_SECP384R1 or ECC_SECP521R1".to_owned()
            }
            Rejection::PublicKeyTypeMismatch { found_class, .. } => match found_class {
                Some(KeyClass::Rsa) => "the certificate holds an RSA key: set img_signature_key_type to RSA-PSS".to_owned(),
                Some(KeyClass::Dsa) => "the certificate holds a DSA key: set img_signature_key_type to DSA".to_owned(),
                Some(KeyClass::Ec) => "the certificate holds an EC key: set img_signature_key_type to ECC_SECP384R1 or ECC_SECP521R1".to_owned(),
                None => "sign with an RSA, DSA or EC (P-384, P-521) key and its certificate".to_owned(),
            },
            Rejection::EmptySignature => "img_signature must hold the signature".to_owned(),
            Rejection::UnsupportedCurve { .. } => {
                "sign with a P-384 or P-521 key".to_owned()
            }
            // Without a diagnosis (none asked for, or none found) the cause is unknown: say
            // what makes a signature that verifies.
            Rejection::SignatureMismatch => {
                "sign exactly the bytes Glance stores, with the private key of the certificate img_signature_certificate_uuid names and the hash img_signature_hash_method names, and set img_signature to the new signature (glance-sig sign does all of it)".to_owned()
            }
        }
    }
}

/// Why Glance refused signed image data, read from its 400 message (cursive's texts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GlanceRefusal {
    /// The signature does not match the data: tampered or truncated data, a different key, or
    /// a signature over something else.
    DataMismatch,
    /// One of the four properties is missing.
    MissingProperty,
    /// `img_signature_hash_method` is not one of the accepted names.
    InvalidHashMethod,
    /// `img_signature_key_type` is not one of the accepted names.
    InvalidKeyType,
    /// The certificate's key does not fit `img_signature_key_type`.
    KeyTypeMismatch,
    /// `img_signature` is not valid base64.
    SignatureNotBase64,
    /// Barbican has no secret with that id visible to the token.
    CertificateNotFound,
    /// The certificate could not be fetched from Barbican (access refused, or Barbican failed).
    CertificateUnreadable,
    /// The secret is not a PEM X.509 certificate in the form castellan reads.
    CertificateFormat,
    /// Another signature verification message.
    Other,
}

impl GlanceRefusal {
    /// Reads a Glance error message. `None` when it is not about signature verification.
    pub fn from_message(message: &str) -> Option<Self> {
        // Most specific first: every one of these messages also says "Signature verification".
        use GlanceRefusal as G;
        const PATTERNS: &[(&str, GlanceRefusal)] = &[
            ("missing property", G::MissingProperty),
            ("invalid signature hash method", G::InvalidHashMethod),
            ("invalid public key type", G::KeyTypeMismatch),
            ("invalid signature key type", G::InvalidKeyType),
            ("not properly encoded using base64", G::SignatureNotBase64),
            ("certificate not found with id", G::CertificateNotFound),
            ("unable to retrieve certificate", G::CertificateUnreadable),
            ("invalid certificate format", G::CertificateFormat),
            ("unable to load pem", G::CertificateFormat),
            ("malformedframing", G::CertificateFormat),
            ("unable to load certificate", G::CertificateFormat),
        ];
        let lower = message.to_ascii_lowercase();
        if !lower.contains("signature") && !lower.contains("certificate") {
            return None;
        }
        if let Some((_, refusal)) = PATTERNS.iter().find(|(needle, _)| lower.contains(needle)) {
            return Some(*refusal);
        }
        if lower.contains("signature verification failed") {
            // Glance wraps cryptography's InvalidSignature as "Signature verification failed for
            // image <id>: Signature verification failed", with nothing more specific.
            return Some(Self::DataMismatch);
        }
        if lower.contains("signature verification") {
            return Some(Self::Other);
        }
        None
    }

    /// One sentence telling the user what to change.
    pub fn hint(self) -> &'static str {
        match self {
            Self::DataMismatch => {
                "the uploaded bytes do not match img_signature: sign exactly the bytes you \
                 upload, with the private key of the certificate named by \
                 img_signature_certificate_uuid"
            }
            Self::MissingProperty => {
                "set all four img_signature* properties in the image create request"
            }
            Self::InvalidHashMethod => {
                "img_signature_hash_method must be exactly SHA-224, SHA-256, SHA-384 or SHA-512"
            }
            Self::InvalidKeyType => {
                "img_signature_key_type must be exactly RSA-PSS, DSA, ECC_SECP384R1 or \
                 ECC_SECP521R1"
            }
            Self::KeyTypeMismatch => {
                "img_signature_key_type does not fit the certificate's key (RSA key for RSA-PSS, \
                 EC key for ECC_*, DSA key for DSA)"
            }
            Self::SignatureNotBase64 => {
                "img_signature must be the standard base64 (with padding) of the raw signature \
                 bytes"
            }
            Self::CertificateNotFound => {
                "the uploader's token sees no Barbican secret with that id: check \
                 img_signature_certificate_uuid, the secret's project, its ACL, and that its \
                 Barbican expiration has not passed"
            }
            Self::CertificateUnreadable => {
                "the certificate could not be read from Barbican with the uploader's token: \
                 give that user or project read access with a Barbican ACL"
            }
            Self::CertificateFormat => {
                "store the certificate as PEM, secret_type certificate, payload_content_type \
                 application/octet-stream, payload_content_encoding base64"
            }
            Self::Other => "Glance could not verify the image signature",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursive_messages_are_sorted() {
        let id = "Signature verification failed for image 8a2ea42d: ";
        for (message, refusal) in [
            ("Invalid signature hash method: SHA-1", GlanceRefusal::InvalidHashMethod),
            ("Invalid signature key type: RSA", GlanceRefusal::InvalidKeyType),
            (
                "Invalid public key type for signature key type: RSA-PSS",
                GlanceRefusal::KeyTypeMismatch,
            ),
            (
                "The signature data was not properly encoded using base64",
                GlanceRefusal::SignatureNotBase64,
            ),
            (
                "Certificate not found with ID: 0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11",
                GlanceRefusal::CertificateNotFound,
            ),
            (
                "Unable to retrieve certificate with ID: 0f3f0fa2",
                GlanceRefusal::CertificateUnreadable,
            ),
            (
                "Unable to load PEM file. See https://cryptography.io/en/latest/faq#why-can-t-i-import-my-pem-file for more details. MalformedFraming",
                GlanceRefusal::CertificateFormat,
            ),
            ("Invalid certificate format: Opaque", GlanceRefusal::CertificateFormat),
            (
                "Required image properties for signature verification do not exist. Cannot verify signature. Missing property: img_signature",
                GlanceRefusal::MissingProperty,
            ),
            ("Signature verification failed", GlanceRefusal::DataMismatch),
        ] {
            let full = format!("{id}{message}");
            assert_eq!(GlanceRefusal::from_message(&full), Some(refusal), "{full}");
            assert!(!refusal.hint().is_empty());
        }
        assert_eq!(
            GlanceRefusal::from_message("Image 8a2e could not be found."),
            None
        );
    }

    #[test]
    fn a_mismatch_alone_has_a_complete_fix() {
        // Without a diagnosis there is none to point at: the fix stands on its own.
        let fix = Rejection::SignatureMismatch.fix();
        assert!(!fix.contains("diagnosis"), "{fix}");
        assert!(
            fix.starts_with("sign exactly the bytes Glance stores"),
            "{fix}"
        );
    }

    #[test]
    fn our_words_read_back_as_glance_answers_them() {
        // Glance wraps cursive's message as "Signature verification failed for image <id>:
        // <message>"; each rejection we predict must read back as the refusal it is.
        let wrap = |r: &Rejection| {
            format!(
                "Signature verification failed for image x: {}",
                r.cursive_message()
            )
        };
        for (rejection, refusal) in [
            (
                Rejection::MissingProperty {
                    name: crate::IMG_SIGNATURE,
                    cursive_name: crate::IMG_SIGNATURE,
                },
                GlanceRefusal::MissingProperty,
            ),
            (
                Rejection::Property(crate::HashMethod::parse("SHA-1").expect_err("refused")),
                GlanceRefusal::InvalidHashMethod,
            ),
            (
                Rejection::Property(crate::KeyType::parse("RSA").expect_err("refused")),
                GlanceRefusal::InvalidKeyType,
            ),
            (
                Rejection::PublicKeyTypeMismatch {
                    key_type: KeyType::RsaPss,
                    found: "an EC P-384 key".to_owned(),
                    found_class: Some(KeyClass::Ec),
                },
                GlanceRefusal::KeyTypeMismatch,
            ),
            (Rejection::SignatureMismatch, GlanceRefusal::DataMismatch),
        ] {
            assert_eq!(
                GlanceRefusal::from_message(&wrap(&rejection)),
                Some(refusal),
                "{rejection:?}"
            );
        }
    }
}
