//! X.509 certificates, PEM or DER, as cursive loads them from Barbican.

use der::{Decode, Encode, Tag, Tagged};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::name::Name;

use crate::error::CertificateError;
use crate::oid;
use crate::pem;
use crate::properties::HashMethod;
use crate::public_key::{CertHash, KeyDescription, PublicKey};

/// A parsed certificate and its public key.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    parsed: x509_cert::Certificate,
    public_key: PublicKey,
}

impl PartialEq for Certificate {
    /// Same bytes (how cryptography compares certificates, and so cursive's chain loop).
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

/// `basicConstraints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Constraints {
    /// CA:TRUE
    pub ca: bool,
    /// pathLenConstraint
    pub path_len: Option<u8>,
}

impl Certificate {
    /// The first certificate in PEM text, or a DER certificate.
    ///
    /// # Errors
    /// [`CertificateError::Empty`], [`CertificateError::NotACertificate`] (with the PEM labels
    /// found, e.g. a private key given by mistake), [`CertificateError::Malformed`].
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, CertificateError> {
        Self::all_from_pem_or_der(bytes)?
            .into_iter()
            .next()
            .ok_or(CertificateError::NotACertificate { found: Vec::new() })
    }

    /// Every certificate in a PEM bundle (or the one DER certificate).
    ///
    /// # Errors
    /// As [`Certificate::from_pem_or_der`].
    pub fn all_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Self>, CertificateError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(CertificateError::Empty);
        }
        if !pem::looks_like_pem(bytes) {
            if bytes.first() != Some(&0x30) {
                return Err(CertificateError::NotACertificate { found: Vec::new() });
            }
            return Ok(vec![Self::from_der(bytes)?]);
        }
        let mut certs = Vec::new();
        let mut others = Vec::new();
        for block in pem::blocks(bytes) {
            if block.label == "CERTIFICATE"
                || block.label == "X509 CERTIFICATE"
                || block.label == "TRUSTED CERTIFICATE"
            {
                let der = block.der.map_err(|detail| CertificateError::Malformed {
                    format: "PEM",
                    detail,
                })?;
                certs.push(Self::from_der(&der)?);
            } else {
                others.push(block.label);
            }
        }
        if certs.is_empty() {
            return Err(CertificateError::NotACertificate { found: others });
        }
        Ok(certs)
    }

    /// A DER certificate.
    ///
    /// # Errors
    /// [`CertificateError::Malformed`], [`CertificateError::PublicKey`].
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let parsed =
            x509_cert::Certificate::from_der(der).map_err(|e| CertificateError::Malformed {
                format: "DER",
                detail: e.to_string(),
            })?;
        let spki_der = parsed
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertificateError::Malformed {
                format: "DER",
                detail: e.to_string(),
            })?;
        let public_key = PublicKey::from_spki_der(&spki_der)?;
        Ok(Self {
            der: der.to_vec(),
            parsed,
            public_key,
        })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text, as Barbican should store it.
    pub fn to_pem(&self) -> String {
        let b64 = crate::base64::encode(&self.der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// The subject public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Subject, RFC 4514.
    pub fn subject(&self) -> String {
        self.parsed.tbs_certificate.subject.to_string()
    }

    /// Issuer, RFC 4514.
    pub fn issuer(&self) -> String {
        self.parsed.tbs_certificate.issuer.to_string()
    }

    /// notBefore, seconds since the Unix epoch.
    pub fn not_before(&self) -> i64 {
        unix(self.parsed.tbs_certificate.validity.not_before)
    }

    /// notAfter, seconds since the Unix epoch.
    pub fn not_after(&self) -> i64 {
        unix(self.parsed.tbs_certificate.validity.not_after)
    }

    /// SHA-256 over the DER, lower-case hex with colons (as `openssl x509 -fingerprint`).
    pub fn fingerprint_sha256(&self) -> String {
        Sha256::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Serial number, hex.
    pub fn serial(&self) -> String {
        self.parsed
            .tbs_certificate
            .serial_number
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn extension(&self, id: der::asn1::ObjectIdentifier) -> Option<&[u8]> {
        self.parsed
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == id)
            .map(|e| e.extn_value.as_bytes())
    }

    /// `basicConstraints`, when present and readable.
    pub fn basic_constraints(&self) -> Option<Constraints> {
        let bc = BasicConstraints::from_der(self.extension(oid::BASIC_CONSTRAINTS)?).ok()?;
        Some(Constraints {
            ca: bc.ca,
            path_len: bc.path_len_constraint,
        })
    }

    /// `keyUsage` keyCertSign: `None` when there is no keyUsage extension.
    pub fn key_cert_sign(&self) -> Option<bool> {
        let ku = KeyUsage::from_der(self.extension(oid::KEY_USAGE)?).ok()?;
        Some(ku.0.contains(KeyUsages::KeyCertSign))
    }

    /// `keyUsage` digitalSignature: `None` when there is no keyUsage extension.
    pub fn digital_signature(&self) -> Option<bool> {
        let ku = KeyUsage::from_der(self.extension(oid::KEY_USAGE)?).ok()?;
        Some(ku.0.contains(KeyUsages::DigitalSignature))
    }

    /// Subject equals issuer, compared as cryptography compares names.
    pub fn is_self_issued(&self) -> bool {
        names_equal(
            &self.parsed.tbs_certificate.subject,
            &self.parsed.tbs_certificate.issuer,
        )
    }

    /// Whether `issuer`'s subject is this certificate's issuer name.
    pub(crate) fn issuer_name_is_subject_of(&self, issuer: &Certificate) -> bool {
        names_equal(
            &issuer.parsed.tbs_certificate.subject,
            &self.parsed.tbs_certificate.issuer,
        )
    }

    /// The hash of the certificate's own signature, and (tbs digest, signature) to check it.
    pub(crate) fn signed_content(&self) -> Option<(CertHash, Vec<u8>, &[u8])> {
        let hash = self.signature_hash()?;
        let tbs = self.parsed.tbs_certificate.to_der().ok()?;
        let sig = self.parsed.signature.as_bytes()?;
        Some((hash, hash.digest(&tbs), sig))
    }

    /// The hash of the certificate's own signature, when it is one cursive checks.
    pub(crate) fn signature_hash(&self) -> Option<CertHash> {
        Some(match self.parsed.signature_algorithm.oid {
            oid::SHA1_WITH_RSA | oid::ECDSA_WITH_SHA1 | oid::DSA_WITH_SHA1 => CertHash::Sha1,
            oid::SHA224_WITH_RSA | oid::ECDSA_WITH_SHA224 | oid::DSA_WITH_SHA224 => {
                CertHash::Sha2(HashMethod::Sha224)
            }
            oid::SHA256_WITH_RSA | oid::ECDSA_WITH_SHA256 | oid::DSA_WITH_SHA256 => {
                CertHash::Sha2(HashMethod::Sha256)
            }
            oid::SHA384_WITH_RSA | oid::ECDSA_WITH_SHA384 => CertHash::Sha2(HashMethod::Sha384),
            oid::SHA512_WITH_RSA | oid::ECDSA_WITH_SHA512 => CertHash::Sha2(HashMethod::Sha512),
            _ => return None,
        })
    }

    /// A summary for people and JSON, judged at `now` (Unix seconds).
    pub fn info(&self, now: i64) -> CertificateInfo {
        CertificateInfo {
            subject: self.subject(),
            issuer: self.issuer(),
            serial: self.serial(),
            not_before: self.not_before(),
            not_after: self.not_after(),
            validity: if now < self.not_before() {
                Validity::NotYetValid
            } else if now > self.not_after() {
                Validity::Expired
            } else {
                Validity::Valid
            },
            fingerprint_sha256: self.fingerprint_sha256(),
            public_key: self.public_key.describe(),
            self_signed: self.is_self_issued(),
            basic_constraints: self.basic_constraints(),
            key_cert_sign: self.key_cert_sign(),
            digital_signature: self.digital_signature(),
        }
    }
}

/// Validity at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validity {
    /// Within notBefore..=notAfter.
    Valid,
    /// Before notBefore.
    NotYetValid,
    /// After notAfter.
    Expired,
}

/// What `inspect` shows about a certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateInfo {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// At the time asked.
    pub validity: Validity,
    /// SHA-256 fingerprint.
    pub fingerprint_sha256: String,
    /// The key.
    pub public_key: KeyDescription,
    /// Subject equals issuer.
    pub self_signed: bool,
    /// basicConstraints.
    pub basic_constraints: Option<Constraints>,
    /// keyUsage keyCertSign.
    pub key_cert_sign: Option<bool>,
    /// keyUsage digitalSignature.
    pub digital_signature: Option<bool>,
}

fn unix(t: x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Names compare as in cryptography: RDN by RDN, attribute type and string value, with the
/// string's ASN.1 type ignored and the attributes of one RDN as a set.
fn names_equal(a: &Name, b: &Name) -> bool {
    fn canon(n: &Name) -> Vec<Vec<(String, Vec<u8>)>> {
        n.0.iter()
            .map(|rdn| {
                let mut attrs: Vec<(String, Vec<u8>)> = rdn
                    .0
                    .iter()
                    .map(|atv| {
                        let value = match atv.value.tag() {
                            Tag::Utf8String
                            | Tag::PrintableString
                            | Tag::Ia5String
                            | Tag::TeletexString
                            | Tag::VisibleString => atv.value.value().to_vec(),
                            Tag::BmpString => {
                                let units: Vec<u16> = atv
                                    .value
                                    .value()
                                    .chunks(2)
                                    .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                                    .collect();
                                String::from_utf16_lossy(&units).into_bytes()
                            }
                            _ => atv.value.to_der().unwrap_or_default(),
                        };
                        (atv.oid.to_string(), value)
                    })
                    .collect();
                attrs.sort();
                attrs
            })
            .collect()
    }
    canon(a) == canon(b)
}
