//! Typed errors. Each carries what is needed to say what happened and how to fix it.

use thiserror::Error;

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
    /// An encrypted key whose key derivation would take unreasonable time or memory (a key
    /// file can ask for 2^32 PBKDF2 iterations or gigabytes of scrypt memory).
    #[error("the encrypted private key asks for {cost}, above the limit of {limit}: a key file should not take minutes or gigabytes to open; re-encrypt it (openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 600000)")]
    KdfTooCostly {
        /// What it asks for.
        cost: String,
        /// The limit.
        limit: String,
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
    /// The signer (a token, a KMS, an external command) failed.
    #[error("the signer failed: {detail}")]
    Signer {
        /// What it said.
        detail: String,
    },
    /// What the signer returned is not a signature that verifies under the key: nothing is
    /// emitted.
    #[error("the signer's signature does not verify, so no properties were made: {detail}")]
    InvalidSignature {
        /// Why, and what the signer must do instead.
        detail: String,
    },
    /// The certificate's key has no Glance key type (a P-256 or Ed25519 key, say).
    #[error("the certificate holds {key}, which no Glance key type names (RSA-PSS, DSA, ECC_SECP384R1, ECC_SECP521R1): no cloud would verify its signatures")]
    NoKeyType {
        /// The key, described.
        key: String,
    },
    /// No Barbican secret id for the certificate.
    #[error("the certificate id is empty: give the Barbican secret id of the certificate (img_signature_certificate_uuid)")]
    NoCertificateId,
}
