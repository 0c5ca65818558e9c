//! Typed errors. Each carries what is needed to say what happened and how to fix it.

use thiserror::Error;

use crate::properties::{KeyClass, KeyType, PropertyError};

/// Why `img_signature` is not base64 as Python reads it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base64Error {
    /// Python refuses non-ASCII text before decoding.
    #[error("non-ASCII character at position {position}")]
    NotAscii {
        /// Byte offset of the first non-ASCII character.
        position: usize,
    },
    /// The data does not end on a complete, padded quad.
    #[error("incorrect padding")]
    IncorrectPadding,
    /// One data character too many.
    #[error("number of data characters ({data_chars}) cannot be 1 more than a multiple of 4")]
    DanglingCharacter {
        /// Count of base64 alphabet characters read.
        data_chars: usize,
    },
}

/// A key (private or public) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Nothing to read.
    #[error("the key file is empty")]
    Empty,
    /// No key in the text.
    #[error("no private key found{}", found_labels(found))]
    NotAKey {
        /// PEM labels present, if any.
        found: Vec<String>,
    },
    /// An encrypted key and no passphrase.
    #[error("the private key is encrypted: give its passphrase (--passphrase-file, or type it at the prompt)")]
    PassphraseRequired,
    /// Decryption failed.
    #[error("wrong passphrase for the encrypted private key (or a corrupted key)")]
    WrongPassphrase,
    /// OpenSSL's traditional `Proc-Type: 4,ENCRYPTED` PEM, which we do not decrypt.
    #[error(
        "this key uses OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED); convert it to \
         PKCS#8 with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY -out KEY.p8"
    )]
    LegacyEncryptedPem,
    /// A key algorithm the scheme does not have.
    #[error("{algorithm} keys cannot sign Glance images; OpenStack accepts RSA (RSA-PSS), DSA, and EC keys on P-384 or P-521")]
    UnsupportedAlgorithm {
        /// What the key is.
        algorithm: String,
    },
    /// An EC key on a curve the scheme does not have.
    #[error("EC keys on {curve} cannot sign Glance images; OpenStack accepts only P-384 (ECC_SECP384R1) and P-521 (ECC_SECP521R1)")]
    UnsupportedCurve {
        /// The curve's name or OID.
        curve: String,
    },
    /// An RSA key too large for the RSA implementation.
    #[error("{bits}-bit RSA keys are not supported here (at most {max} bits)")]
    RsaTooLarge {
        /// The modulus size.
        bits: usize,
        /// The limit.
        max: usize,
    },
    /// Structurally broken.
    #[error("malformed {format}: {detail}")]
    Malformed {
        /// The format being read (PEM, PKCS#8, PKCS#1, SEC1, ...).
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
}

fn found_labels(found: &[String]) -> String {
    if found.is_empty() {
        " (the file is neither PEM nor a DER key)".to_owned()
    } else {
        format!(" (the file holds: {})", found.join(", "))
    }
}

/// A certificate that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Nothing to read.
    #[error("the certificate file is empty")]
    Empty,
    /// No certificate in the text.
    #[error("no certificate found{}", found_labels_cert(found))]
    NotACertificate {
        /// PEM labels present, if any.
        found: Vec<String>,
    },
    /// Structurally broken.
    #[error("malformed certificate ({format}): {detail}")]
    Malformed {
        /// PEM or DER.
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The certificate's public key cannot be read.
    #[error("the certificate's public key cannot be used: {0}")]
    PublicKey(#[from] KeyError),
}

fn found_labels_cert(found: &[String]) -> String {
    if found.is_empty() {
        " (the file is neither a PEM certificate nor DER)".to_owned()
    } else {
        format!(
            " (the file holds: {}; expected CERTIFICATE)",
            found.join(", ")
        )
    }
}

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

    /// How to fix it, in one sentence.
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
            Rejection::SignatureMismatch => {
                "see the diagnosis: the data changed, or the signature was made with another key, hash or format".to_owned()
            }
        }
    }
}

/// Signing could not be done.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignError {
    /// The signing primitive failed (for instance a key too small for the hash and salt).
    #[error("signing failed: {detail}")]
    Crypto {
        /// What the primitive said.
        detail: String,
    },
    /// The key is not the certificate's: every cloud would refuse the signature.
    #[error("the private key ({key}) does not match the certificate, which holds {certificate_key}: every cloud would refuse the signature")]
    KeyMismatch {
        /// The signing key.
        key: String,
        /// The certificate's key.
        certificate_key: String,
    },
    /// No Barbican secret id for the certificate.
    #[error("the certificate id is empty: give the Barbican secret id of the certificate (img_signature_certificate_uuid)")]
    NoCertificateId,
}
